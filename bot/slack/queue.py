"""The per-channel queue of Slack messages (`SlackOutgoing` rows) in the database: queueing (in the
caller's transaction, idempotent on a key), leasing the next due message of a channel, and what a
message's fate changes (sent: recorded as the comment's post, the comment posted; refused for good:
its comments failed; retried later; cancelled). The sender (sender.py) only paces and posts."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from bot.blocks.text import as_text
from bot.comments.lifecycle import IllegalTransition, transition_in
from bot.db import session_scope
from bot.models import Comment, SlackOutgoing, SlackPost, State, StormGroup, TriageRecord, utcnow
from bot.runtime.leases import db_now
from bot.runtime.retry import backoff

log = logging.getLogger(__name__)

PRIORITIES = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
# A review job parks its comment under this lease owner: the worker leaves it alone until it is posted.
PARKED = "slack-sender"
PARK_SECONDS = 3600.0
WAITING = ["pending", "grouped"]  # statuses of a message not yet in Slack


def priority_rank(priority: str | int | None) -> int:
    """urgent|high|normal|low → 0..3; anything unknown or missing is normal."""
    if isinstance(priority, int):
        return max(0, min(3, priority))
    return PRIORITIES.get((priority or "normal").lower(), PRIORITIES["normal"])


# --- queueing (usable inside the caller's transaction) ------------------------------------------------


def enqueue_in(
    session: Session,
    *,
    brand: str,
    channel: str,
    kind: str,
    key: str,
    text: str | None = None,
    blocks: list[dict[str, Any]] | None = None,
    thread_ts: str | None = None,
    thread_of: int | None = None,
    priority: str | int = "normal",
    comment_id: int | None = None,
    post_kind: str | None = None,
    group_id: int | None = None,
) -> SlackOutgoing:
    """Queue a message in the caller's transaction; the same `key` twice queues it once (the row
    already there is returned; a failed or cancelled one is put back in the queue). The text is stored
    fit for Slack (bot/blocks/text.py: a plain str is escaped), so what is read back is sent as it is."""
    existing = session.execute(select(SlackOutgoing).where(col(SlackOutgoing.key) == key)).scalar_one_or_none()
    if existing is not None:
        if existing.status in ("failed", "cancelled"):
            existing.status, existing.attempts, existing.last_error = "pending", 0, None
            existing.lease_owner, existing.lease_until = None, None
            existing.channel, existing.priority = channel, priority_rank(priority)
            session.add(existing)
        return existing
    job = SlackOutgoing(
        brand=brand,
        channel=channel,
        kind=kind,
        key=key,
        text=as_text(text) if text is not None else None,
        blocks=blocks,
        thread_ts=thread_ts,
        thread_of=thread_of,
        priority=priority_rank(priority),
        comment_id=comment_id,
        post_kind=post_kind,
        group_id=group_id,
    )
    with session.begin_nested():
        session.add(job)
        try:
            session.flush()
        except IntegrityError:  # another process queued the same key at the same moment
            pass
        else:
            return job
    found = session.execute(select(SlackOutgoing).where(col(SlackOutgoing.key) == key)).scalar_one()
    return found


def queue_review(session: Session, comment: Comment, channel: str) -> SlackOutgoing:
    """Queue a comment's review message (at its triage priority) and park the comment until it is sent."""
    assert comment.id is not None
    priority = session.execute(
        select(col(TriageRecord.priority)).where(col(TriageRecord.comment_id) == comment.id)
    ).scalar_one_or_none()
    job = enqueue_in(
        session,
        brand=comment.brand,
        channel=channel,
        kind="review",
        key=f"review:{comment.id}",
        priority=priority or "normal",
        comment_id=comment.id,
        thread_of=comment.thread_of,  # a direct message goes into its person's thread (#24)
    )
    if job.status == "sent":  # sent once, yet the comment is back before a review (its message is gone)
        job.status, job.ts, job.group_id, job.started_at, job.attempts = "pending", None, None, None, 0
        job.lease_owner, job.lease_until, job.channel = None, None, channel
        session.add(job)
    park_comment(session, comment.id)
    return job


def park_comment(session: Session, comment_id: int) -> None:
    """The comment waits for its review message: the sender moves it on, the worker leaves it be."""
    session.execute(
        update(Comment)
        .where(col(Comment.id) == comment_id)
        .values(lease_owner=PARKED, lease_until=db_now(session.get_bind()) + timedelta(seconds=PARK_SECONDS))
    )


def unpark(session: Session, comment_ids: list[int]) -> None:
    if comment_ids:
        session.execute(
            update(Comment)
            .where(col(Comment.id).in_(comment_ids), col(Comment.lease_owner) == PARKED)
            .values(lease_owner=None, lease_until=None, attempts=0)
        )


def record_post(session: Session, brand: str, comment_id: int, kind: str, channel: str, ts: str) -> None:
    row = session.execute(
        select(SlackPost).where(col(SlackPost.comment_id) == comment_id, col(SlackPost.kind) == kind)
    ).scalar_one_or_none()
    if row is None:
        row = SlackPost(brand=brand, comment_id=comment_id, kind=kind, channel=channel)
    row.channel, row.ts = channel, ts
    session.add(row)


def to_posted(session: Session, comment_id: int, detail: dict[str, Any]) -> None:
    comment = session.get(Comment, comment_id)
    if comment is None or comment.state not in (State.proposed, State.triaged):
        return
    try:
        with session.begin_nested():
            transition_in(session, comment_id, State.posted, actor="slack-sender", detail=detail)
    except IllegalTransition:
        log.info("comment %s moved on before its review message was recorded", comment_id)


# --- leasing ------------------------------------------------------------------------------------------


def waiting_count(engine: Engine, channel: str | None = None) -> int:
    """Messages not yet in Slack, in one channel or in all."""
    query = select(func.count()).select_from(SlackOutgoing).where(col(SlackOutgoing.status).in_(WAITING))
    if channel is not None:
        query = query.where(col(SlackOutgoing.channel) == channel)
    with session_scope(engine) as s:
        return int(s.execute(query).scalar_one())


def due_channels(engine: Engine) -> list[str]:
    """Channels with a message due and free of a live lease."""
    now = db_now(engine)
    with session_scope(engine) as s:
        rows = s.execute(
            select(col(SlackOutgoing.channel))
            .where(
                col(SlackOutgoing.status) == "pending",
                or_(col(SlackOutgoing.lease_until).is_(None), col(SlackOutgoing.lease_until) < now),
            )
            .group_by(col(SlackOutgoing.channel))
        ).all()
    return [r[0] for r in rows]


def claim_next(engine: Engine, channel: str, owner: str, lease_seconds: float) -> int | None:
    """Lease the channel's most urgent due message (oldest first within a priority)."""
    now = db_now(engine)
    candidate = (
        select(col(SlackOutgoing.id))
        .where(
            col(SlackOutgoing.channel) == channel,
            col(SlackOutgoing.status) == "pending",
            or_(col(SlackOutgoing.lease_until).is_(None), col(SlackOutgoing.lease_until) < now),
        )
        .order_by(col(SlackOutgoing.priority), col(SlackOutgoing.id))
        .limit(1)
    )
    if engine.dialect.name == "postgresql":
        candidate = candidate.with_for_update(skip_locked=True)
    stmt = (
        update(SlackOutgoing)
        .where(col(SlackOutgoing.id).in_(candidate.scalar_subquery()))
        .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_seconds))
        .returning(col(SlackOutgoing.id))
    )
    with session_scope(engine, write=True) as s:
        found = s.execute(stmt).scalars().first()
    return int(found) if found is not None else None


def release_own(engine: Engine, owner: str) -> None:
    """A lease held under our own name belongs to a previous life of this process."""
    with session_scope(engine, write=True) as s:
        s.execute(
            update(SlackOutgoing)
            .where(col(SlackOutgoing.lease_owner) == owner)
            .values(lease_owner=None, lease_until=None)
        )


def thread_ts_of(engine: Engine, comment_id: int) -> str | None:
    """Where a comment's thread is: its review message, else the storm summary that holds it. A direct
    message shown inside another comment's thread (#24) has that thread."""
    with session_scope(engine) as s:
        anchor = s.execute(select(col(Comment.thread_of)).where(col(Comment.id) == comment_id)).scalar_one_or_none()
        comment_id = anchor or comment_id
        post = s.execute(
            select(SlackPost).where(col(SlackPost.comment_id) == comment_id, col(SlackPost.kind) == "review")
        ).scalar_one_or_none()
        if post is not None and post.ts:
            return post.ts
        storm = s.execute(
            select(SlackPost).where(col(SlackPost.comment_id) == comment_id, col(SlackPost.kind) == "storm")
        ).scalar_one_or_none()
        return storm.ts if storm is not None else None


# --- a message's fate -----------------------------------------------------------------------------


def record_sent(engine: Engine, job: SlackOutgoing, ts: str) -> None:
    """The message is in Slack: record where, and move what waited on it, in one transaction."""
    assert job.id is not None
    with session_scope(engine, write=True) as s:
        row = s.get(SlackOutgoing, job.id)
        assert row is not None
        if row.status == "sent":
            return
        row.status, row.ts, row.sent_at, row.lease_owner, row.lease_until = "sent", ts, utcnow(), None, None
        row.thread_ts = job.thread_ts
        s.add(row)
        if row.kind == "review" and row.comment_id is not None:
            record_post(s, row.brand, row.comment_id, "review", row.channel, ts)
            to_posted(s, row.comment_id, {"channel": row.channel, "ts": ts})
            unpark(s, [row.comment_id])
        elif row.kind == "storm" and row.group_id is not None:
            finish_group(s, row.group_id, row.channel, ts)
        elif row.post_kind and row.comment_id is not None:
            record_post(s, row.brand, row.comment_id, row.post_kind, row.channel, ts)


def retry_later(engine: Engine, job_id: int, reason: str, *, clear_started: bool, max_backoff: float) -> None:
    """A try that may heal: count it and lease the job to nobody until its backoff ends."""
    with session_scope(engine, write=True) as s:
        row = s.get(SlackOutgoing, job_id)
        assert row is not None
        row.attempts += 1
        row.last_error = reason[:500]
        if clear_started:
            row.started_at = None
        row.lease_owner = None
        row.lease_until = utcnow() + timedelta(seconds=backoff(row.attempts, 1.0, max_backoff))
        s.add(row)


def release(engine: Engine, job_id: int, *, delay: float, clear_started: bool) -> None:
    """Give the job back, due again in `delay` seconds, without counting a try."""
    with session_scope(engine, write=True) as s:
        row = s.get(SlackOutgoing, job_id)
        assert row is not None
        if clear_started:
            row.started_at = None
        row.lease_owner, row.lease_until = None, utcnow() + timedelta(seconds=delay)
        s.add(row)


def cancel(engine: Engine, job_id: int, why: str) -> None:
    with session_scope(engine, write=True) as s:
        row = s.get(SlackOutgoing, job_id)
        assert row is not None
        row.status, row.last_error, row.lease_owner, row.lease_until = "cancelled", why[:500], None, None
        row.started_at = None
        s.add(row)
        if row.comment_id is not None and row.kind == "review":
            unpark(s, [row.comment_id])


def fail(engine: Engine, job: SlackOutgoing, error: str) -> None:
    """Slack refused the message for good: it failed, and so did the comments that waited on it."""
    assert job.id is not None
    log.warning("sender: Slack refused job %s for good: %s", job.id, error)
    reason = f"Slack a refusé le message · Slack refused the message: {error}"
    with session_scope(engine, write=True) as s:
        row = s.get(SlackOutgoing, job.id)
        assert row is not None
        row.status, row.last_error, row.lease_owner, row.lease_until = "failed", error, None, None
        row.started_at = None
        s.add(row)
        waiting: list[int] = []
        if row.kind == "review" and row.comment_id is not None:
            waiting = [row.comment_id]
        elif row.kind == "storm" and row.group_id is not None:
            waiting = [
                m.comment_id
                for m in s.execute(select(SlackOutgoing).where(col(SlackOutgoing.group_id) == row.group_id))
                .scalars()
                .all()
                if m.comment_id is not None and m.kind == "review"
            ]
            s.execute(
                update(SlackOutgoing)
                .where(col(SlackOutgoing.group_id) == row.group_id, col(SlackOutgoing.kind) == "review")
                .values(status="failed", last_error=error)
            )
        for comment_id in waiting:
            comment = s.get(Comment, comment_id)
            if comment is not None and comment.state in (State.proposed, State.triaged):
                with s.begin_nested():
                    transition_in(s, comment_id, State.failed, actor="slack-sender", reason=reason)
        unpark(s, waiting)


class Cancelled(Exception):
    """The message has no reason to be sent any more (its comment moved on)."""


def finish_group(s: Session, group_id: int, channel: str, ts: str) -> None:
    """A storm summary is in Slack: each member comment is now in front of the team (posted)."""
    group = s.get(StormGroup, group_id)
    if group is None:
        return
    group.ts = ts
    s.add(group)
    members = (
        s.execute(
            select(SlackOutgoing).where(
                col(SlackOutgoing.group_id) == group_id,
                col(SlackOutgoing.kind) == "review",
                col(SlackOutgoing.status) == "grouped",
            )
        )
        .scalars()
        .all()
    )
    ids: list[int] = []
    for member in members:
        member.status, member.ts, member.sent_at = "sent", ts, utcnow()
        s.add(member)
        if member.comment_id is None:
            continue
        ids.append(member.comment_id)
        record_post(s, member.brand, member.comment_id, "storm", channel, ts)
        to_posted(s, member.comment_id, {"channel": channel, "ts": ts, "storm_group": group_id})
    unpark(s, ids)
