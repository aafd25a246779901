"""Storing parsed platform events: new comments (idempotent ingest), author edits and removals.

Shared by the webhook routes and the X mentions poller. A delivery seen before is recognised
(ingest is idempotent on brand + platform + external id; edits and removals by their
`InboundEvent` key), so platform retries never double anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from api.platforms.events import EditedComment, Event, NewComment, NewMessage, RemovedComment, Skipped, event_key
from bot.comments.ingest import ingest
from bot.comments.lifecycle import audit
from bot.comments.messages import ingest_message
from bot.db import session_scope
from bot.models import Comment, InboundEvent, utcnow

log = logging.getLogger(__name__)


@dataclass
class ApplyReport:
    created: list[int] = field(default_factory=list)  # new comments and messages (wake the worker)
    messages: int = 0  # of which direct messages
    duplicates: int = 0
    edited: list[int] = field(default_factory=list)  # review messages to update
    removed: list[int] = field(default_factory=list)  # "deleted by its author"
    skipped: dict[str, int] = field(default_factory=dict)
    not_handled: dict[str, int] = field(default_factory=dict)  # by kind: answered 200, counted, not stored

    @property
    def changed(self) -> list[tuple[int, str]]:
        return [(i, "edited") for i in self.edited] + [(i, "deleted") for i in self.removed]

    def as_dict(self) -> dict[str, object]:
        return {
            "created": len(self.created),
            "messages": self.messages,
            "duplicates": self.duplicates,
            "edited": len(self.edited),
            "removed": len(self.removed),
            "skipped": dict(self.skipped),
            "not_handled": dict(self.not_handled),
        }


def _remember(session: Session, engine: Engine, key: str, brand: str) -> bool:
    """Record a delivery key; False when it was already there (also under a race)."""
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(InboundEvent)
        .values(key=key, brand=brand, received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(col(InboundEvent.key))
    )
    return session.execute(stmt).scalar_one_or_none() is not None


def _find(session: Session, brand: str, platform: str, external_id: str) -> Comment | None:
    return session.execute(
        select(Comment).where(
            col(Comment.brand) == brand, col(Comment.platform) == platform, col(Comment.external_id) == external_id
        )
    ).scalar_one_or_none()


def _removal_key(brand: str, platform: str, external_id: str) -> str:
    source = "x" if platform == "x" else "meta"
    return event_key(source, brand, platform, "remove", external_id)


def _mark_deleted(session: Session, comment: Comment, when: datetime, actor: str) -> bool:
    if comment.deleted_at is not None:
        return False
    comment.deleted_at = when
    comment.updated_at = utcnow()
    session.add(comment)
    audit(
        session,
        brand=comment.brand,
        actor=actor,
        action="deleted_by_author",
        comment_id=comment.id,
        detail={"platform": comment.platform},
    )
    return True


def _apply_new(engine: Engine, ev: NewComment, actor: str, report: ApplyReport) -> None:
    comment, created = ingest(engine, ev.comment, actor=actor)
    assert comment.id is not None
    if not created:
        report.duplicates += 1
        return
    report.created.append(comment.id)
    # A removal can overtake the comment it removes (retries arrive out of order).
    with session_scope(engine, write=True) as session:
        seen = session.get(InboundEvent, _removal_key(comment.brand, comment.platform, comment.external_id))
        stored = session.get(Comment, comment.id)
        if seen is not None and stored is not None and _mark_deleted(session, stored, seen.received_at, actor):
            report.removed.append(comment.id)


def _apply_edit(engine: Engine, ev: EditedComment, actor: str, report: ApplyReport) -> None:
    c = ev.comment
    with session_scope(engine) as session:
        known = _find(session, c.brand, c.platform.value, c.external_id) is not None
    if not known:  # an edit of a comment we never saw: it still needs an answer
        _apply_new(engine, NewComment(c), actor, report)
    with session_scope(engine, write=True) as session:
        if not _remember(session, engine, ev.key, c.brand):
            report.duplicates += 1
            return
        comment = _find(session, c.brand, c.platform.value, c.external_id)
        if comment is None or comment.text == c.text or comment.erased_at is not None:
            return  # an erased person's edit is not stored again (#23)
        previous = comment.text
        comment.text = c.text
        comment.edited_at = ev.edited_at
        comment.updated_at = utcnow()
        session.add(comment)
        audit(
            session,
            brand=comment.brand,
            actor=actor,
            action="edited_by_author",
            comment_id=comment.id,
            # The audit log holds no personal data (#23): how long the old text was, never the text.
            detail={"platform": comment.platform, "previous_chars": len(previous)},
        )
        assert comment.id is not None
        report.edited.append(comment.id)


def _apply_removal(engine: Engine, ev: RemovedComment, actor: str, report: ApplyReport) -> None:
    with session_scope(engine, write=True) as session:
        if not _remember(session, engine, ev.key, ev.brand):
            report.duplicates += 1
            return
        comment = _find(session, ev.brand, ev.platform, ev.external_id)
        if comment is not None and _mark_deleted(session, comment, ev.removed_at, actor):
            assert comment.id is not None
            report.removed.append(comment.id)


def _apply_message(engine: Engine, ev: NewMessage, actor: str, report: ApplyReport) -> None:
    message, created = ingest_message(engine, ev.message, actor=actor)
    assert message.id is not None
    if not created:
        report.duplicates += 1
        return
    report.created.append(message.id)
    report.messages += 1


def apply_events(engine: Engine, events: list[Event], *, actor: str) -> ApplyReport:
    report = ApplyReport()
    odd: dict[str, list[str]] = {}  # unknown accounts and malformed changes: one log line per delivery
    for ev in events:
        if isinstance(ev, NewComment):
            _apply_new(engine, ev, actor, report)
        elif isinstance(ev, EditedComment):
            _apply_edit(engine, ev, actor, report)
        elif isinstance(ev, RemovedComment):
            _apply_removal(engine, ev, actor, report)
        elif isinstance(ev, NewMessage):
            _apply_message(engine, ev, actor, report)
        elif isinstance(ev, Skipped):
            report.skipped[ev.reason] = report.skipped.get(ev.reason, 0) + 1
            if ev.reason == "not_handled":
                kind = ev.detail or "unknown"
                report.not_handled[kind] = report.not_handled.get(kind, 0) + 1
            elif ev.reason in ("unknown_account", "malformed_change"):
                odd.setdefault(ev.reason, []).append(f"{ev.account_id} {ev.detail or ''}".strip())
    for reason, seen in odd.items():  # ids and reasons only, never the text; a few examples, not thousands
        examples = ", ".join(sorted(set(seen))[:5])
        log.warning("%s: skipped %d event(s) (%s): %s", actor, len(seen), reason, examples)
    if report.not_handled:  # by kind only: never an event's content
        log.info("%s: events Sowana does not handle, by kind: %s", actor, report.not_handled)
    return report
