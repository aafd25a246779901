"""Direct messages (#24): stored once, each in its person's conversation and shown in one Slack thread.

A message is a `Comment` row with `private=True`, so triage, drafting, review, approval, the outbox,
erasure and retention treat it as they treat a comment. What is its own: the `Conversation` of one person
with one brand account on one platform, which says in which review thread the person's messages go
(`anchor_id`) and when the person last wrote (the reply window runs from it).

Which thread: the conversation's anchor when it has one; else the person's open case or recent public
comment on that platform (a customer answering a private reply, or writing in private after commenting);
else the message opens a review message of its own and becomes the anchor of what follows.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from bot.comments.ingest import MessageIn
from bot.comments.lifecycle import audit
from bot.comments.publisher import ConversationRef
from bot.comments.window import META, STANDARD, Window, message_window, private_reply_window, refusal
from bot.db import session_scope
from bot.logs import current_request_id
from bot.models import Comment, Conversation, Escalation, State, utcnow

log = logging.getLogger(__name__)

# A public comment this recent is "the conversation" a person's first message continues.
RECENT = timedelta(days=7)
OPEN_CASE = ("open", "claimed", "resolved")
# States in which a message still waits for the team's answer.
WAITING = (State.received, State.triaged, State.proposed, State.posted, State.escalated, State.failed)
# What the parsers call a person whose name the platform did not send.
GENERIC_NAMES = ("Messenger user", "Instagram user", "X user")


def _conversation(session: Session, brand: str, platform: str, participant_id: str) -> Conversation:
    """The person's conversation row, created if needed, locked (PostgreSQL) for this transaction: two
    messages of one person stored at once agree on one anchor."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    session.execute(
        insert(Conversation)
        .values(brand=brand, platform=platform, participant_id=participant_id, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["brand", "platform", "participant_id"])
    )
    return session.execute(
        select(Conversation)
        .where(
            col(Conversation.brand) == brand,
            col(Conversation.platform) == platform,
            col(Conversation.participant_id) == participant_id,
        )
        .with_for_update()
    ).scalar_one()


def _usable(comment: Comment | None) -> bool:
    return comment is not None and comment.erased_at is None


def _person_anchor(session: Session, brand: str, platform: str, person_ids: set[str], now: datetime) -> int | None:
    """The person's open case, else their most recent public comment of the last 7 days."""
    ids = sorted(person_ids)
    case = session.execute(
        select(col(Comment.id))
        .join(Escalation, col(Escalation.comment_id) == col(Comment.id))
        .where(
            col(Comment.brand) == brand,
            col(Comment.platform) == platform,
            col(Comment.author_id).in_(ids),
            col(Comment.erased_at).is_(None),
            col(Escalation.status).in_(OPEN_CASE),
        )
        .order_by(col(Comment.id).desc())
        .limit(1)
    ).scalar_one_or_none()
    if case is not None:
        return int(case)
    recent = session.execute(
        select(col(Comment.id))
        .where(
            col(Comment.brand) == brand,
            col(Comment.platform) == platform,
            col(Comment.author_id).in_(ids),
            col(Comment.private).is_(False),
            col(Comment.erased_at).is_(None),
            col(Comment.received_at) >= now - RECENT,
        )
        .order_by(col(Comment.id).desc())
        .limit(1)
    ).scalar_one_or_none()
    return int(recent) if recent is not None else None


def ingest_message(engine: Any, data: MessageIn, *, actor: str = "api") -> tuple[Comment, bool]:
    """Store a direct message once (the same external id again returns the stored one and writes nothing)
    and file it in its conversation, in one transaction. Returns (message, created)."""
    now = utcnow()
    platform = data.platform.value
    with session_scope(engine, write=True) as s:
        conv = _conversation(s, data.brand, platform, data.author.id)
        found = s.execute(
            select(Comment).where(
                col(Comment.brand) == data.brand,
                col(Comment.platform) == platform,
                col(Comment.external_id) == data.external_id,
            )
        ).scalar_one_or_none()
        if found is not None:
            s.expunge(found)
            return found, False
        person = {data.author.id} | ({conv.author_id} if conv.author_id else set())
        anchor = s.get(Comment, conv.anchor_id) if conv.anchor_id is not None else None
        if not _usable(anchor):
            found_id = _person_anchor(s, data.brand, platform, person, now)
            anchor = s.get(Comment, found_id) if found_id is not None else None
        name = data.author.name
        if anchor is not None and anchor.author_id in person and name in GENERIC_NAMES:
            name = anchor.author_name  # Meta's messaging webhooks carry no name: the person's comment does
        message = Comment(
            brand=data.brand,
            platform=platform,
            external_id=data.external_id,
            author_id=data.author.id,
            author_name=name,
            text=data.text,
            post_id=data.conversation_id,
            created_at=data.created_at,
            received_at=now,
            updated_at=now,
            state=State.received.value,
            request_id=current_request_id(),
            private=True,
            thread_of=anchor.id if anchor is not None else None,
            attachments=[a.model_dump() for a in data.attachments] or None,
        )
        s.add(message)
        s.flush()
        assert message.id is not None
        if anchor is None:
            conv.anchor_id = message.id  # the first message: what follows goes into its thread
        conv.account_id = data.account_id or conv.account_id
        conv.external_id = data.conversation_id or conv.external_id
        written = data.created_at or now
        if conv.last_inbound_at is None or written > conv.last_inbound_at:
            conv.last_inbound_at = written
        conv.updated_at = now
        s.add(conv)
        audit(
            s,
            brand=data.brand,
            actor=actor,
            action="received",
            comment_id=message.id,
            to_state=State.received.value,
            detail={"platform": platform, "private": True, "thread_of": message.thread_of},
        )
        s.flush()
        s.expunge(message)
    log.info("message %d stored (%s, %s, thread of %s)", message.id, data.brand, platform, message.thread_of)
    return message, True


def link_private_reply(session: Session, comment: Comment, recipient_id: str | None, account_id: str | None) -> None:
    """A private reply to `comment` reached the person as `recipient_id` (Messenger PSID, Instagram
    IGSID, X user id): their answer, when it comes, goes into the comment's thread."""
    if not recipient_id or comment.id is None:
        return
    conv = _conversation(session, comment.brand, comment.platform, recipient_id)
    anchor = session.get(Comment, conv.anchor_id) if conv.anchor_id is not None else None
    if not _usable(anchor) or (anchor is not None and anchor.private):
        conv.anchor_id = comment.id  # a public comment's thread is where the case lives
    if recipient_id != comment.author_id:
        conv.author_id = comment.author_id
    conv.account_id = account_id or conv.account_id
    conv.updated_at = utcnow()
    session.add(conv)


def touch(session: Session, message: Comment) -> None:
    """A reply went out in the conversation: retention counts it as activity."""
    session.execute(
        update(Conversation)
        .where(
            col(Conversation.brand) == message.brand,
            col(Conversation.platform) == message.platform,
            col(Conversation.participant_id) == message.author_id,
        )
        .values(updated_at=utcnow())
    )


def conversation_of(session: Session, message: Comment) -> Conversation | None:
    return session.execute(
        select(Conversation).where(
            col(Conversation.brand) == message.brand,
            col(Conversation.platform) == message.platform,
            col(Conversation.participant_id) == message.author_id,
        )
    ).scalar_one_or_none()


def reply_window(session: Session, comment: Comment, target: str, *, human_agent: bool = False) -> Window | None:
    """The window a reply of `target` to `comment` must go out in; None when the platform sets none."""
    if target == "message":
        conv = conversation_of(session, comment)
        last = conv.last_inbound_at if conv is not None else comment.created_at or comment.received_at
        return message_window(comment.platform, last, human_agent=human_agent)
    if target == "private_reply":
        return private_reply_window(comment.platform, comment.created_at or comment.received_at)
    return None


# A reply window closing within this long, with the person's last message still unanswered, is told in
# the thread once (the window is a deadline the platform enforces: the team must see it coming).
REMIND_BEFORE = timedelta(hours=2)


def closing_windows(session: Session, now: datetime, within: timedelta = REMIND_BEFORE) -> list[tuple[int, Comment]]:
    """(conversation id, its latest unanswered message) for every Meta conversation whose standard window
    closes within `within` and was not reminded for that message yet."""
    since = now - STANDARD  # still open
    until = now - STANDARD + within  # closes within `within`
    conversations = session.execute(
        select(Conversation).where(
            col(Conversation.platform).in_(META),
            col(Conversation.last_inbound_at) > since,
            col(Conversation.last_inbound_at) <= until,
            or_(
                col(Conversation.window_reminded_at).is_(None),
                col(Conversation.window_reminded_at) < col(Conversation.last_inbound_at),
            ),
        )
    ).scalars()
    found = []
    for conv in conversations:
        latest = session.execute(
            select(Comment)
            .where(
                col(Comment.brand) == conv.brand,
                col(Comment.platform) == conv.platform,
                col(Comment.author_id) == conv.participant_id,
                col(Comment.private).is_(True),
                col(Comment.erased_at).is_(None),
            )
            .order_by(col(Comment.id).desc())
            .limit(1)
        ).scalar_one_or_none()
        if latest is not None and latest.state in WAITING and conv.id is not None:
            found.append((conv.id, latest))
    return found


def mark_reminded(session: Session, conversation_id: int) -> bool:
    """Compare-and-set: True for the one process that records the reminder of the current message."""
    result = session.execute(
        update(Conversation)
        .where(
            col(Conversation.id) == conversation_id,
            or_(
                col(Conversation.window_reminded_at).is_(None),
                col(Conversation.window_reminded_at) < col(Conversation.last_inbound_at),
            ),
        )
        .values(window_reminded_at=col(Conversation.last_inbound_at))
    )
    return bool(getattr(result, "rowcount", 0))


def closed_window(session: Session, comment: Comment, target: str, now: datetime) -> tuple[Window, str] | None:
    """(the window, why the answer is refused) when a `target` answer to `comment` is past its platform's
    reply window at `now`; None while it is open or the platform sets none. Checked at the approval and
    again by the outbox before sending."""
    window = reply_window(session, comment, target)
    if window is None or window.is_open(now):
        return None
    return window, refusal(window, comment.platform, private_reply=target == "private_reply")


def conversation_ref(session: Session, message: Comment, tag: str | None = None) -> ConversationRef:
    conv = conversation_of(session, message)
    return ConversationRef(
        brand=message.brand,
        platform=message.platform,
        participant_id=message.author_id,
        account_id=conv.account_id if conv is not None else None,
        conversation_id=(conv.external_id if conv is not None else None) or message.post_id,
        tag=tag,
    )
