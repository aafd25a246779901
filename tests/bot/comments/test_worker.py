"""The worker resumes after a crash, never shares a comment between processes, retries then fails loudly."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlmodel import Session, col, func, select

from bot.comments.ingest import CommentIn, ingest
from bot.comments.lifecycle import transition
from bot.comments.steps import NOT_TRIAGED, post_review_step, record_untriaged
from bot.comments.worker import Worker
from bot.db import make_engine
from bot.models import Comment, SlackPost, State, TriageRecord, utcnow
from bot.runtime.leases import renew_leases
from bot.runtime.retry import PermanentError, RetryPolicy, is_outage


def add_comments(engine, n: int, prefix: str = "c") -> list[int]:
    ids = []
    for i in range(n):
        comment, _ = ingest(
            engine,
            CommentIn.model_validate(
                {
                    "platform": "instagram",
                    "external_id": f"{prefix}{i}",
                    "author": {"id": f"a{i}", "name": f"Client {i}"},
                    "text": f"Question numéro {i} : livrez-vous le samedi ?",
                }
            ),
        )
        ids.append(comment.id)
    return ids


def comment(engine, comment_id: int) -> Comment:
    """A detached row; the session is closed at once (an open one would hold PostgreSQL locks)."""
    with Session(engine) as s:
        row = s.get(Comment, comment_id)
        assert row is not None
        s.expunge(row)
        return row


def states(engine) -> dict[int, str]:
    with Session(engine) as s:
        return {c.id: c.state for c in s.exec(select(Comment)).all()}


def test_untriaged_marker_is_explicit_and_never_a_fake_result(engine):
    [cid] = add_comments(engine, 1)
    Worker(engine, {State.received: record_untriaged}).drain()
    with Session(engine) as s:
        record = s.exec(select(TriageRecord).where(col(TriageRecord.comment_id) == cid)).one()
    assert states(engine)[cid] == "triaged"
    assert record.status == NOT_TRIAGED and record.result is None


def test_restart_resumes_half_processed_comments(engine):
    ids = add_comments(engine, 6)
    # A first process took every comment, triaged two, posted one, then was killed (leases left behind).
    dead = Worker(engine, {State.received: record_untriaged}, owner="host:dead", lease_seconds=600)
    assert dead.claim(limit=len(ids)) == ids
    for cid in ids[:2]:
        record_untriaged(engine, comment(engine, cid))
    posted: list[tuple[str, str]] = []

    def post(comment_id, channel):
        posted.append((channel, comment_id))
        return f"1700000000.{len(posted):06d}"

    steps = {
        State.received: record_untriaged,
        State.triaged: post_review_step(post, lambda c: "C0REVIEW", from_state=State.triaged),
    }
    steps[State.triaged](engine, comment(engine, ids[0]))
    assert states(engine)[ids[0]] == "posted"

    # The dead process's leases block nobody forever: once expired, a new process resumes everything.
    with engine.begin() as conn:
        conn.execute(Comment.__table__.update().values(lease_until=utcnow() - timedelta(seconds=1)))
    Worker(engine, steps, owner="host:new").drain()

    assert set(states(engine).values()) == {"posted"}
    assert len(posted) == 6  # each comment posted exactly once, the first one not again
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(TriageRecord)).one() == 6
        assert s.exec(select(func.count()).select_from(SlackPost)).one() == 6


def test_same_owner_restarting_releases_its_own_leases(engine):
    ids = add_comments(engine, 3)
    Worker(engine, {State.received: record_untriaged}, owner="host:42", lease_seconds=600).claim()
    again = Worker(engine, {State.received: record_untriaged}, owner="host:42")
    assert again.release_own_leases() == 3
    again.drain()
    assert all(states(engine)[i] == "triaged" for i in ids)


def test_two_workers_never_take_the_same_comment(database_url, engine):
    add_comments(engine, 60)
    seen: dict[str, list[int]] = {"w1": [], "w2": []}
    lock = threading.Lock()

    def make_step(name):
        def step(eng, comment):
            with lock:
                seen[name].append(comment.id)
            record_untriaged(eng, comment)

        return step

    engines = [make_engine(database_url), make_engine(database_url)]
    workers = [
        Worker(e, {State.received: make_step(n)}, owner=n, batch_size=5) for e, n in zip(engines, seen, strict=True)
    ]
    threads = [threading.Thread(target=w.drain) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not set(seen["w1"]) & set(seen["w2"])
    assert len(seen["w1"]) + len(seen["w2"]) == 60
    assert set(states(engine).values()) == {"triaged"}
    for e in engines:
        e.dispose()


def test_transient_errors_are_retried_then_fail_with_the_reason(engine):
    flaky, broken, hopeless = add_comments(engine, 3)
    calls: dict[int, int] = {}

    def step(eng, comment):
        calls[comment.id] = calls.get(comment.id, 0) + 1
        if comment.id == flaky and calls[flaky] < 3:
            raise ConnectionError("Slack answered 500")
        if comment.id == broken:
            raise PermanentError("channel_not_found: the review channel does not exist")
        if comment.id == hopeless:
            raise TimeoutError("platform did not answer")
        record_untriaged(eng, comment)

    Worker(engine, {State.received: step}, retry=RetryPolicy(max_attempts=3, base_delay=0.01)).drain(timeout=20)
    with Session(engine) as s:
        got = {c.id: c for c in s.exec(select(Comment)).all()}
    assert got[flaky].state == "triaged" and calls[flaky] == 3
    assert got[broken].state == "failed" and "channel_not_found" in got[broken].failure_reason and calls[broken] == 1
    assert got[hopeless].state == "failed" and "TimeoutError" in got[hopeless].failure_reason
    assert calls[hopeless] == 3
    # a failed comment can be retried by a person and goes back where it failed
    transition(engine, broken, State.received, actor="U0CM")
    Worker(engine, {State.received: record_untriaged}).drain()
    assert states(engine)[broken] == "triaged"


def test_background_worker_picks_up_new_comments(engine):
    worker = Worker(engine, {State.received: record_untriaged}, poll_seconds=0.05)
    worker.start()
    try:
        [cid] = add_comments(engine, 1)
        worker.wake()
        deadline = utcnow() + timedelta(seconds=10)
        while states(engine)[cid] != "triaged" and utcnow() < deadline:
            threading.Event().wait(0.02)
    finally:
        worker.stop()
    assert states(engine)[cid] == "triaged"


def test_a_live_process_keeps_its_leases_and_a_dead_ones_expire(engine):
    ids = add_comments(engine, 3)
    alive = Worker(engine, {State.received: record_untriaged}, owner="host:alive", lease_seconds=5)
    assert alive.claim(limit=2) == ids[:2]
    with engine.begin() as conn:  # the second lease has already run out: the process is presumed dead
        conn.execute(Comment.__table__.update().where(col(Comment.id) == ids[1]).values(lease_until=utcnow()))
    assert renew_leases(engine, Comment, ids, owner="host:alive", lease_seconds=600) == 1
    with Session(engine) as s:
        leases = {c.id: c.lease_until for c in s.exec(select(Comment)).all()}
    assert leases[ids[0]] > utcnow() + timedelta(seconds=500)  # renewed
    assert leases[ids[1]] <= utcnow()  # not revived: another process may take it now
    # ... and another process does take it, with the never-claimed one.
    assert Worker(engine, {State.received: record_untriaged}, owner="host:other").claim() == ids[1:]


def test_the_heartbeat_renews_only_what_the_loop_is_working_on(engine):
    """A row claimed by an UPDATE whose answer was lost (the database blinked) is not kept forever."""
    ids = add_comments(engine, 2)
    worker = Worker(engine, {State.received: record_untriaged}, owner="host:alive", lease_seconds=5)
    assert worker.claim(limit=2) == ids
    with worker.heartbeat.holding(ids[:1]):
        assert worker.heartbeat.beat() == 1
    assert worker.heartbeat.beat() == 0  # done with it: nothing held, nothing renewed


def test_an_outage_is_not_the_comments_fault():
    class SlackDown(Exception):
        response = type("R", (), {"status_code": 503})()

    class Refused(Exception):
        response = type("R", (), {"status_code": 400})()

    assert is_outage(SlackDown()) and not is_outage(Refused()) and not is_outage(ValueError("bad"))
