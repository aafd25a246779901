"""One backoff for everything that retries: the worker and outbox between attempts, the Slack sender,
the polling loops while the database is away, the platform HTTP clients."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy.exc import OperationalError

from bot.runtime.loop import MAX_BACKOFF, PollingLoop
from bot.runtime.retry import RetryPolicy, backoff, is_outage, retry_while_unavailable


def test_the_wait_doubles_from_the_first_and_stops_at_the_cap():
    assert [backoff(n, 1.0, 60.0) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff(0, 1.0, 60.0) == 1.0  # a row never tried waits the first wait
    assert backoff(10_000, 1.0, 60.0) == 60.0  # a day-long outage: no overflow, the cap


def test_the_work_queues_give_up_after_their_attempts_with_the_same_waits():
    policy = RetryPolicy()
    assert (policy.max_attempts, [policy.delay(n) for n in (1, 2, 3)]) == (5, [1.0, 2.0, 4.0])


def test_a_polling_loop_waits_longer_after_each_failed_round_up_to_two_seconds():
    loop = PollingLoop(poll_seconds=0.1)
    assert [loop.backoff(f) for f in range(6)] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6, MAX_BACKOFF])


def test_an_outage_is_a_service_away_not_a_bad_piece_of_work():
    away = OperationalError("SELECT 1", {}, Exception("connection refused"))
    assert is_outage(away)
    assert is_outage(SimpleNamespace(response=SimpleNamespace(status_code=503)))  # type: ignore[arg-type]
    assert is_outage(SimpleNamespace(response=SimpleNamespace(status_code=429)))  # type: ignore[arg-type]
    assert not is_outage(SimpleNamespace(response=SimpleNamespace(status_code=400)))  # type: ignore[arg-type]
    assert not is_outage(ValueError("bad row"))


def test_recording_what_is_done_outside_waits_out_the_database_but_not_a_bug():
    calls = []

    def write() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("INSERT", {}, Exception("server closed the connection"))
        return "recorded"

    assert retry_while_unavailable(write, patience=5, pause=0) == "recorded" and len(calls) == 3
    with pytest.raises(ValueError):
        retry_while_unavailable(lambda: (_ for _ in ()).throw(ValueError("bug")), patience=5, pause=0)
