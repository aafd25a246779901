"""Shared fixtures: real databases (SQLite file and the machine's PostgreSQL), app clients."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import bot.models  # noqa: F401  (the tables, for truncation)
from bot.db import make_engine, upgrade

PG_ADMIN_URL = os.environ.get("SOWANA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
_pg_state: dict[str, str | None] = {}


def _postgres_problem() -> str | None:
    """None when the PostgreSQL server answers, else why not (cached for the session)."""
    if "problem" not in _pg_state:
        try:
            eng = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
            with eng.connect() as conn:
                conn.execute(text("SELECT 1"))
            eng.dispose()
            _pg_state["problem"] = None
        except Exception as exc:  # noqa: BLE001 - any failure means "no server"
            _pg_state["problem"] = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return _pg_state["problem"]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    problem = _pg_state.get("problem")
    if problem:
        terminalreporter.write_sep("!", "POSTGRESQL TESTS SKIPPED", red=True, bold=True)
        terminalreporter.write_line(f"No PostgreSQL server answered at {PG_ADMIN_URL}: {problem}", red=True)


@contextmanager
def _new_pg_database() -> Iterator[str]:
    """A throw-away database on the machine's PostgreSQL, dropped on exit."""
    problem = _postgres_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI and did not answer: {problem}")
        pytest.skip(f"!!! PostgreSQL not reachable ({problem}) — Postgres tests SKIPPED !!!")
    name = f"sowana_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """One PostgreSQL database for the session (tables truncated between tests)."""
    with _new_pg_database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of its own with no schema at all, on SQLite and on PostgreSQL (for migration tests)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'empty.db'}"
        return
    with _new_pg_database() as url:
        yield url


def _truncate_all(engine: Engine) -> None:
    tables = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE auditlog DISABLE TRIGGER auditlog_append_only"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(text("ALTER TABLE auditlog ENABLE TRIGGER auditlog_append_only"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Each persistence test runs on both SQLite (a fresh file) and PostgreSQL (a clean database)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "sowana.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield url
        return
    url = request.getfixturevalue("pg_database_url")
    upgrade(url)
    engine = make_engine(url)
    _truncate_all(engine)
    engine.dispose()
    yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()
