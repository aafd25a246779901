"""Leases dated by the database's clock: one holder at a time for a named job (the X poller), taken over
once its holder stops renewing, and never stolen by a process whose own clock runs ahead."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

import bot.runtime.leases as leases
from bot.comments.ingest import CommentIn, ingest
from bot.models import Comment, NamedLease, utcnow
from bot.runtime.leases import claim_rows, hold_lease, release_lease
from bot.slack.pace import DatabaseClock


def comment(engine: Engine, external_id: str) -> int:
    row, _ = ingest(
        engine,
        CommentIn.model_validate(
            {
                "platform": "facebook",
                "brand": "default",
                "external_id": external_id,
                "author": {"id": "a1", "name": "Julie Tremblay"},
                "text": "Livrez-vous à Magog le jeudi ?",
            }
        ),
    )
    assert row.id is not None
    return row.id


def test_a_named_lease_has_one_holder_and_passes_on_when_released(engine: Engine) -> None:
    assert hold_lease(engine, "x-mentions", owner="a", lease_seconds=30)
    assert hold_lease(engine, "x-mentions", owner="a", lease_seconds=30)  # renewed by its holder
    assert not hold_lease(engine, "x-mentions", owner="b", lease_seconds=30)
    release_lease(engine, "x-mentions", owner="b")  # not b's to give up
    assert not hold_lease(engine, "x-mentions", owner="b", lease_seconds=30)
    release_lease(engine, "x-mentions", owner="a")  # a clean stop
    assert hold_lease(engine, "x-mentions", owner="b", lease_seconds=30)
    assert not hold_lease(engine, "x-mentions", owner="a", lease_seconds=30)


def test_a_dead_holders_lease_is_taken_once_it_expires(engine: Engine) -> None:
    assert hold_lease(engine, "x-mentions", owner="dead", lease_seconds=0.5)
    # Its process is gone: no renewal. The lease expires by the database's clock, then b takes it.
    with engine.connect() as conn:
        until = conn.execute(select(col(NamedLease.lease_until))).scalar_one()
    assert until is not None
    while not hold_lease(engine, "x-mentions", owner="b", lease_seconds=30):
        assert utcnow() < until + timedelta(seconds=30), "an expired lease was never taken over"
        time.sleep(0.1)
    with engine.connect() as conn:
        assert conn.execute(select(col(NamedLease.owner))).scalar_one() == "b"


@pytest.fixture
def skewed_host(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """This process's clock runs an hour ahead of the database's (a host whose NTP broke)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite is a file on one host: its clock is that host's, there is no other to skew from")
    monkeypatch.setattr(leases, "utcnow", lambda: utcnow() + timedelta(hours=1))


@pytest.mark.usefixtures("skewed_host")
def test_a_host_whose_clock_runs_ahead_cannot_steal_a_live_lease(engine: Engine) -> None:
    assert hold_lease(engine, "x-mentions", owner="healthy", lease_seconds=60)
    assert not hold_lease(engine, "x-mentions", owner="skewed", lease_seconds=60)

    cid = comment(engine, "c-skew")
    held = claim_rows(engine, Comment, [col(Comment.id) == cid], owner="healthy", lease_seconds=60, limit=5)
    assert held == [cid]
    stolen = claim_rows(engine, Comment, [col(Comment.id) == cid], owner="skewed", lease_seconds=60, limit=5)
    assert stolen == []
    with engine.connect() as conn:
        assert conn.execute(select(col(Comment.lease_owner)).where(col(Comment.id) == cid)).scalar_one() == "healthy"


@pytest.mark.usefixtures("skewed_host")
def test_the_slack_pace_reads_the_databases_clock_whatever_the_host_says(engine: Engine) -> None:
    ahead = DatabaseClock(engine, host=lambda: time.time() + 3600)
    honest = DatabaseClock(engine)
    # Both read the same clock (the database's) within the time the two reads take.
    assert abs(ahead() - honest()) < 5
