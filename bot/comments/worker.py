"""The worker: claims comments that have work left and runs the step for their state.

Claiming is a lease written with one atomic UPDATE (with `FOR UPDATE SKIP LOCKED` on
PostgreSQL), so several processes never take the same comment, and a crashed process's
comments come back when its lease expires. On start the worker simply resumes: whatever
state a comment reached is the state it is taken up from.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import timedelta

from sqlalchemy import and_, select, update
from sqlalchemy.engine import Engine
from sqlmodel import col

from bot.comments.lifecycle import transition
from bot.db import session_scope
from bot.logs import request_context
from bot.models import Comment, State, utcnow
from bot.runtime.leases import LeaseHeartbeat, claim_rows, default_owner
from bot.runtime.loop import PollingLoop
from bot.runtime.retry import PermanentError, RetryPolicy, is_outage

log = logging.getLogger(__name__)

# A step does the work of one state for one comment and moves it on (or raises).
Step = Callable[[Engine, Comment], None]


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
            with request_context(comment.request_id):  # the webhook's id, in every line about this comment
                if not self._step(comment):
                    return

    def _step(self, comment: Comment) -> bool:
        """Run the step of the comment's state; True when it moved on and the next step may follow."""
        assert comment.id is not None
        comment_id = comment.id
        step = self.steps.get(State(comment.state))
        if step is None:
            self._release(comment_id, reset_attempts=True)
            return False
        before = comment.state
        try:
            step(self.engine, comment)
        except PermanentError as exc:
            log.warning("comment %s failed in %s: %s", comment_id, before, exc)
            self._fail(comment, str(exc))
            return False
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
            return False
        with session_scope(self.engine) as session:
            after = session.get(Comment, comment_id)
        if after is None or after.state == before:
            # The step did not move the comment: wait for the next poll rather than spin.
            self._release(comment_id, delay=self.poll_seconds)
            return False
        log.info("comment %s: %s → %s", comment_id, before, after.state)
        # Progress made: the attempt counter belongs to the next state's step.
        with session_scope(self.engine) as session:
            session.execute(update(Comment).where(col(Comment.id) == comment_id).values(attempts=1))
        return True

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
