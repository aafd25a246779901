"""Leases on work rows (comments, publications, Slack jobs, cases): claim with one atomic UPDATE,
renew while the work lasts, and let a dead process's rows come back when its lease expires."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Engine

from bot.db import session_scope
from bot.models import utcnow

log = logging.getLogger(__name__)


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
