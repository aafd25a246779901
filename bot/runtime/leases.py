"""Leases on work rows (comments, publications, Slack jobs, cases): claim with one atomic UPDATE,
renew while the work lasts, and let a dead process's rows come back when its lease expires. Named
leases (`hold_lease`) give one process at a time a job of its own (the X mentions poller).

Every lease is dated by the database's clock (`db_now`), never the host's: a host whose clock runs
ahead would see live leases as expired and steal their work."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.db import session_scope
from bot.models import NamedLease, utcnow

log = logging.getLogger(__name__)


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def db_now(engine: Engine | Connection) -> Any:
    """The current time by the database's clock, to compare and date leases with in SQL. PostgreSQL:
    `now()`, one clock for every process whatever their hosts say. SQLite is a file on this host (and
    one host only, since processes cannot share it): its time is this host's, taken here because
    SQLite's CURRENT_TIMESTAMP is text that compares wrongly with the stored timestamps."""
    return func.now() if engine.dialect.name == "postgresql" else utcnow()


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
    now = db_now(engine)
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
    now = db_now(engine)
    stmt = (
        update(model)
        .where(model.id.in_(list(ids)), model.lease_owner == owner, model.lease_until > now)
        .values(lease_until=now + timedelta(seconds=lease_seconds))
    )
    with session_scope(engine, write=True) as session:
        return int(getattr(session.execute(stmt), "rowcount", 0))


def hold_lease(engine: Engine, name: str, *, owner: str, lease_seconds: float) -> bool:
    """Take the named lease, or keep it when `owner` holds it already: True while `owner` holds it for
    the next `lease_seconds`, False while another owner's lease is live. One atomic UPDATE decides, so
    two processes asking at once never both get it; a dead holder's lease is taken once it expires."""
    now = db_now(engine)
    with session_scope(engine, write=True) as session:
        if session.get(NamedLease, name) is None:
            try:
                with session.begin_nested():
                    session.add(NamedLease(name=name))
            except IntegrityError:
                pass  # another process made it first
        taken = session.execute(
            update(NamedLease)
            .where(
                NamedLease.name == name,  # type: ignore[arg-type]
                or_(
                    NamedLease.owner == owner,  # type: ignore[arg-type]
                    NamedLease.lease_until.is_(None),  # type: ignore[union-attr]
                    NamedLease.lease_until < now,  # type: ignore[arg-type,operator]
                ),
            )
            .values(owner=owner, lease_until=now + timedelta(seconds=lease_seconds))
        )
        return bool(getattr(taken, "rowcount", 0))


def release_lease(engine: Engine, name: str, *, owner: str) -> None:
    """Give the named lease up (a clean stop), so another process takes it at once."""
    with session_scope(engine, write=True) as session:
        session.execute(
            update(NamedLease)
            .where(NamedLease.name == name, NamedLease.owner == owner)  # type: ignore[arg-type]
            .values(owner=None, lease_until=None)
        )


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
