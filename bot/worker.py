"""The worker: claims comments that have work left and runs the step for their state.

Claiming is a lease written with one atomic UPDATE (with `FOR UPDATE SKIP LOCKED` on
PostgreSQL), so several processes never take the same comment, and a crashed process's
comments come back when its lease expires. On start the worker simply resumes: whatever
state a comment reached is the state it is taken up from.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Engine
from sqlmodel import col

from bot.cases import transition
from bot.db import is_unavailable, session_scope
from bot.loop import PollingLoop
from bot.models import Comment, State, utcnow

log = logging.getLogger(__name__)

T = TypeVar("T")

# A step does the work of one state for one comment and moves it on (or raises).
Step = Callable[[Engine, Comment], None]


def is_outage(exc: BaseException) -> bool:
    """The error says a service is away (the database unreachable, an HTTP API such as Slack answering
    5xx or 429), not that this piece of work is wrong. A call that gets no answer at all is not counted
    here: that may be this piece of work, and it fails after the usual attempts."""
    if is_unavailable(exc):
        return True
    status = getattr(getattr(exc, "response", None), "status_code", None)
    return isinstance(status, int) and (status >= 500 or status == 429)


def retry_while_unavailable(write: Callable[[], T], patience: float, pause: float = 0.25) -> T:
    """Run `write` (an idempotent transaction) again while the database is unavailable, up to
    `patience` seconds: for recording something already done outside (a publication, a Slack post)."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return write()
        except Exception as exc:
            if not is_unavailable(exc) or time.monotonic() > deadline:
                raise
            time.sleep(pause)


class PermanentError(Exception):
    """An error a retry cannot heal: the comment goes to `failed` at once, with this reason."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0

    def delay(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * 2 ** max(0, attempt - 1))


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_rows(
    engine: Engine,
    model: Any,
    conditions: list[Any],
    *,
    owner: str,
    lease_seconds: float,
    limit: int,
    count_attempt: bool = False,
) -> list[int]:
    """Lease rows of `model` (a table with id, lease_owner, lease_until[, attempts]) matching
    `conditions` and free of a live lease, in one atomic UPDATE; returns their ids.

    PostgreSQL: `FOR UPDATE SKIP LOCKED` lets processes claim side by side. SQLite ignores
    FOR UPDATE but runs one write at a time, so the UPDATE … WHERE id IN (…) is atomic there."""
    now = utcnow()
    candidates = (
        select(model.id)
        .where(*conditions, or_(model.lease_until.is_(None), model.lease_until < now))
        .order_by(model.id)
        .limit(limit)
    )
    if engine.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    values: dict[str, Any] = {"lease_owner": owner, "lease_until": now + timedelta(seconds=lease_seconds)}
    if count_attempt:
        values["attempts"] = model.attempts + 1
    stmt = update(model).where(model.id.in_(candidates.scalar_subquery())).values(**values).returning(model.id)
    with session_scope(engine, write=True) as session:
        return sorted(session.execute(stmt).scalars().all())


def renew_leases(engine: Engine, model: Any, ids: Collection[int], *, owner: str, lease_seconds: float) -> int:
    """Push back the expiry of the live leases `owner` holds on these rows; returns how many."""
    if not ids:
        return 0
    now = utcnow()
    stmt = (
        update(model)
        .where(model.id.in_(list(ids)), model.lease_owner == owner, model.lease_until > now)
        .values(lease_until=now + timedelta(seconds=lease_seconds))
    )
    with session_scope(engine, write=True) as session:
        return int(getattr(session.execute(stmt), "rowcount", 0))


class LeaseHeartbeat:
    """Keeps a live process's leases alive however long a step takes (an LLM, a rate-limited Slack),
    so the lease itself can be short: a killed process's work comes back `lease_seconds` after it died.

    Renews every third of the lease; a lease that expired anyway (the database was away longer than
    the lease) is not revived, since another process may have taken the row meanwhile. Only the rows
    the loop is working on right now (`holding`) are renewed: a row claimed by an UPDATE whose answer
    was lost, or whose release failed while the database was away, is left to expire and be taken up."""

    def __init__(self, engine: Engine, model: Any, owner: str, lease_seconds: float) -> None:
        self.engine, self.model, self.owner, self.lease_seconds = engine, model, owner, lease_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._held: set[int] = set()
        self._held_lock = threading.Lock()

    @contextmanager
    def holding(self, ids: Collection[int]) -> Iterator[None]:
        with self._held_lock:
            self._held.update(ids)
        try:
            yield
        finally:
            with self._held_lock:
                self._held.difference_update(ids)

    def beat(self) -> int:
        with self._held_lock:
            ids = set(self._held)
        return renew_leases(self.engine, self.model, ids, owner=self.owner, lease_seconds=self.lease_seconds)

    def _run(self) -> None:
        while not self._stop.wait(self.lease_seconds / 3):
            try:
                self.beat()
            except Exception as exc:  # the database is away: the next beat tries again
                log.warning("lease heartbeat (%s) failed: %s", self.model.__name__, type(exc).__name__)

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"lease-{self.model.__name__}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None


class Worker(PollingLoop):
    name = "sowana-worker"

    def __init__(
        self,
        engine: Engine,
        steps: Mapping[State, Step],
        *,
        owner: str | None = None,
        lease_seconds: float = 60.0,
        poll_seconds: float = 0.5,
        batch_size: int = 4,  # small: several processes share a burst instead of one hoarding it
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(poll_seconds)
        self.engine = engine
        self.steps = dict(steps)
        self.owner = owner or default_owner()
        self.lease_seconds = lease_seconds
        self.batch_size = batch_size
        self.retry = retry or RetryPolicy()
        self.heartbeat = LeaseHeartbeat(engine, Comment, self.owner, lease_seconds)

    # -- claiming ---------------------------------------------------------------------------

    def claim(self, limit: int | None = None) -> list[int]:
        """Lease up to `limit` comments that have a step and no live lease; returns their ids."""
        if not self.steps:
            return []
        return claim_rows(
            self.engine,
            Comment,
            [col(Comment.state).in_([s.value for s in self.steps])],
            owner=self.owner,
            lease_seconds=self.lease_seconds,
            limit=limit or self.batch_size,
            count_attempt=True,
        )

    def _release(self, comment_id: int, *, delay: float = 0.0, reset_attempts: bool = False) -> None:
        values: dict[str, object] = {
            "lease_owner": None,
            "lease_until": (utcnow() + timedelta(seconds=delay)) if delay else None,
        }
        if reset_attempts:
            values["attempts"] = 0
        with session_scope(self.engine) as session:
            session.execute(
                update(Comment)
                .where(and_(col(Comment.id) == comment_id, col(Comment.lease_owner) == self.owner))
                .values(**values)
            )

    def release_own_leases(self) -> int:
        """On start: a lease held under our own owner name belongs to a previous life of this process."""
        with session_scope(self.engine) as session:
            result = session.execute(
                update(Comment).where(col(Comment.lease_owner) == self.owner).values(lease_owner=None, lease_until=None)
            )
            return int(getattr(result, "rowcount", 0))

    # -- processing -------------------------------------------------------------------------

    def process(self, comment_id: int) -> None:
        """Run steps for one leased comment until it reaches a state with no step (or fails)."""
        while True:
            with session_scope(self.engine) as session:
                comment = session.get(Comment, comment_id)
            if comment is None or comment.lease_owner != self.owner:
                return
            step = self.steps.get(State(comment.state))
            if step is None:
                self._release(comment_id, reset_attempts=True)
                return
            before = comment.state
            try:
                step(self.engine, comment)
            except PermanentError as exc:
                log.warning("comment %s failed in %s: %s", comment_id, before, exc)
                self._fail(comment, str(exc))
                return
            except Exception as exc:  # a step may fail for reasons that heal; retry with backoff
                outage = is_outage(exc)
                log.warning(
                    "comment %s: step %s raised %s (attempt %s%s)",
                    comment_id,
                    before,
                    type(exc).__name__,
                    comment.attempts,
                    ", a dependency is away" if outage else "",
                    exc_info=log.isEnabledFor(logging.DEBUG),
                )
                # An outage (database, Slack answering 5xx) is nobody's fault in this comment: it waits
                # for the service to return, however long, instead of failing after a few attempts.
                if comment.attempts >= self.retry.max_attempts and not outage:
                    self._fail(comment, f"{before}: {type(exc).__name__}: {exc}")
                else:
                    self._release(comment_id, delay=self.retry.delay(comment.attempts))
                return
            with session_scope(self.engine) as session:
                after = session.get(Comment, comment_id)
            if after is None or after.state == before:
                # The step did not move the comment: wait for the next poll rather than spin.
                self._release(comment_id, delay=self.poll_seconds)
                return
            # Progress made: the attempt counter belongs to the next state's step.
            with session_scope(self.engine) as session:
                session.execute(update(Comment).where(col(Comment.id) == comment_id).values(attempts=1))

    def _fail(self, comment: Comment, reason: str) -> None:
        assert comment.id is not None
        try:
            transition(self.engine, comment.id, State.failed, actor="worker", reason=reason[:2000])
        finally:
            self._release(comment.id, reset_attempts=True)

    def run_once(self) -> int:
        ids = self.claim()
        with self.heartbeat.holding(ids):
            for comment_id in ids:
                if self.stopping:
                    self._release(comment_id)
                    continue
                self.process(comment_id)
        return len(ids)

    def drain(self, timeout: float = 30.0) -> None:
        """Process until no comment has work left (tests, `sowana ingest --process`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.run_once() == 0 and not self._pending():
                return
            time.sleep(0.01)
        raise TimeoutError("work still pending after drain timeout")

    def _pending(self) -> bool:
        with session_scope(self.engine) as session:
            return (
                session.execute(
                    select(col(Comment.id)).where(col(Comment.state).in_([s.value for s in self.steps])).limit(1)
                ).first()
                is not None
            )

    # -- lifecycle --------------------------------------------------------------------------

    def on_start(self) -> None:
        self.release_own_leases()
        self.heartbeat.start()

    def stop(self, timeout: float = 10.0) -> None:
        super().stop(timeout)
        self.heartbeat.stop()
