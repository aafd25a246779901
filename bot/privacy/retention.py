"""Retention: comments older than their brand's limit (`retention_days` in the brands file, else
SOWANA_RETENTION_DAYS; unset keeps them) are redacted like an erasure, once a day, by the worker.
Direct messages (#24) are comments too, redacted the same way; a private conversation row (which names
the person by their ids) goes once it has no message left and no activity within the limit."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, or_, select
from sqlalchemy.engine import Engine
from sqlmodel import col

from bot.comments.lifecycle import audit
from bot.db import session_scope
from bot.models import AuditLog, Comment, Conversation, utcnow
from bot.privacy.erase import Eraser
from bot.runtime.loop import PollingLoop

log = logging.getLogger(__name__)

ACTION = "privacy_retention"
DAY = 86_400.0
BATCH = 500


def expired(engine: Engine, brand: str, cutoff: datetime, limit: int = BATCH) -> list[int]:
    """Comments of `brand` received before `cutoff` and not yet erased (oldest first)."""
    with session_scope(engine) as s:
        rows = s.execute(
            select(col(Comment.id))
            .where(col(Comment.brand) == brand, col(Comment.erased_at).is_(None), col(Comment.received_at) < cutoff)
            .order_by(col(Comment.id))
            .limit(limit)
        )
        return [int(r) for r in rows.scalars()]


def forget_conversations(engine: Engine, brand: str, cutoff: datetime) -> int:
    """Delete the brand's conversation rows quiet since `cutoff` whose messages (and the comment they
    began from) are all erased; how many. One statement: a message arriving meanwhile moves
    `last_inbound_at`, which the delete checks again on the row it would remove."""
    kept = exists().where(
        col(Comment.brand) == col(Conversation.brand),
        col(Comment.erased_at).is_(None),
        or_(
            and_(
                col(Comment.platform) == col(Conversation.platform),
                col(Comment.author_id) == col(Conversation.participant_id),
                col(Comment.private).is_(True),
            ),
            col(Comment.id) == col(Conversation.anchor_id),
        ),
    )
    with session_scope(engine, write=True) as s:
        gone = s.execute(
            delete(Conversation)
            .where(
                col(Conversation.brand) == brand,
                col(Conversation.updated_at) < cutoff,
                or_(col(Conversation.last_inbound_at).is_(None), col(Conversation.last_inbound_at) < cutoff),
                ~kept,
            )
            .returning(col(Conversation.id))
        )
        ids = sorted(int(i) for i in gone.scalars())
        if ids:
            audit(s, brand=brand, actor="retention", action=ACTION, detail={"counts": {"conversations": len(ids)}})
    return len(ids)


def retention_pass(eraser: Eraser, days_for: Callable[[str], int | None], now: datetime) -> dict[str, int]:
    """Redact every comment past its brand's limit; how many comments, by brand."""
    with session_scope(eraser.engine) as s:
        brands = sorted(
            {str(b) for b in s.execute(select(col(Comment.brand)).distinct()).scalars()}
            | {str(b) for b in s.execute(select(col(Conversation.brand)).distinct()).scalars()}
        )
    done: dict[str, int] = {}
    for brand in brands:
        days = days_for(brand)
        if not days:
            continue
        cutoff = now - timedelta(days=days)
        while ids := expired(eraser.engine, brand, cutoff):
            counts = eraser.erase_comments(brand, ids, actor="retention", action=ACTION)
            done[brand] = done.get(brand, 0) + counts.get("comments", 0)
        if forgotten := forget_conversations(eraser.engine, brand, cutoff):
            log.info("retention: %d conversations of %s deleted", forgotten, brand)
    if done:
        log.info("retention: comments redacted by brand: %s", done)
    return done


def redacted_count(engine: Engine, brand: str | None, start: datetime, end: datetime) -> int:
    """Comments the retention pass redacted between `start` and `end` (one brand, or all): the digest
    and /metrics count them from the audit log, shared by every process."""
    query = select(AuditLog).where(
        col(AuditLog.action) == ACTION, col(AuditLog.created_at) >= start, col(AuditLog.created_at) < end
    )
    if brand is not None:
        query = query.where(col(AuditLog.brand) == brand)
    with session_scope(engine) as s:
        rows = s.execute(query).scalars().all()
    return sum(int(((r.detail or {}).get("counts") or {}).get("comments", 0)) for r in rows)


class RetentionLoop(PollingLoop):
    """Runs the retention pass when it starts, then once a day."""

    name = "sowana-retention"

    def __init__(
        self,
        eraser: Eraser,
        days_for: Callable[[str], int | None],
        now: Callable[[], datetime] = utcnow,
        poll_seconds: float = DAY,
    ) -> None:
        super().__init__(poll_seconds)
        self.eraser, self.days_for, self.now = eraser, days_for, now

    def run_once(self) -> int:
        retention_pass(self.eraser, self.days_for, self.now())
        return 0  # then sleep a day
