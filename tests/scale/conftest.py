"""Scale and fault tests: several `sowana serve` processes on a throw-away PostgreSQL database.

They need PostgreSQL (several processes cannot share SQLite): skipped under a loud banner without a
server, failed in CI. Select them with `-m scale`."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import PG_ADMIN_URL, _postgres_problem


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/scale/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.scale)
            item.add_marker(pytest.mark.postgres)
            # Several processes starting and 500 comments: minutes on a loaded 2-core machine.
            item.add_marker(pytest.mark.timeout(900))


@contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    problem = _postgres_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI and did not answer: {problem}")
        pytest.skip(f"!!! PostgreSQL not reachable ({problem}) — scale tests SKIPPED !!!")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def scale_database_url() -> Iterator[str]:
    """A database of its own for each test (processes of an earlier test may still be winding down)."""
    with fresh_database("sowana_scale") as url:
        yield url


@pytest.fixture(scope="module")
def module_database_url() -> Iterator[str]:
    """One database for a module whose tests share one set of processes."""
    with fresh_database("sowana_faults") as url:
        yield url
