"""SQLModel tables. Every row carries `brand`; the database is the source of truth for a comment's state."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A point in time, always timezone-aware. Written as UTC; SQLite keeps no zone, so what it gives
    back is marked UTC here, once, instead of by every reader."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.astimezone(UTC) if value is not None and value.tzinfo is not None else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _ts(**kw: Any) -> Any:
    """A timezone-aware timestamp column (naive datetimes are how 'when' bugs start)."""
    return Field(default_factory=utcnow, sa_type=UTCDateTime(), **kw)  # type: ignore[call-overload]


class State(StrEnum):
    received = "received"
    triaged = "triaged"
    proposed = "proposed"
    posted = "posted"
    approved = "approved"
    edited = "edited"
    published = "published"
    escalated = "escalated"
    resolved = "resolved"
    hidden = "hidden"
    failed = "failed"


class Platform(StrEnum):
    facebook = "facebook"
    instagram = "instagram"
    x = "x"
    other = "other"


class Brand(SQLModel, table=True):
    brand: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    created_at: datetime = _ts()


class Comment(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("brand", "platform", "external_id", name="uq_comment_brand_platform_external"),
        Index("ix_comment_state_lease", "state", "lease_until"),
    )

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(max_length=64, index=True)
    platform: str = Field(max_length=16)
    external_id: str = Field(max_length=255)
    author_id: str = Field(max_length=255)
    author_name: str = Field(max_length=255)
    text: str = Field(sa_column=Column(Text, nullable=False))
    post_id: str | None = Field(default=None, max_length=255)
    parent_id: str | None = Field(default=None, max_length=255)
    url: str | None = Field(default=None, max_length=2048)
    created_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    received_at: datetime = _ts()
    updated_at: datetime = _ts()
    state: str = Field(default=State.received, max_length=16)
    # Set when state is `failed`: why, and which state a retry goes back to.
    failure_reason: str | None = Field(default=None, sa_column=Column(Text))
    failed_from: str | None = Field(default=None, max_length=16)
    # Work lease: a worker owns the comment until `lease_until`; a crashed worker's lease expires.
    lease_owner: str | None = Field(default=None, max_length=128)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    attempts: int = Field(default=0)
    # The author edited or deleted the original on the platform (a deleted one cannot be answered).
    # Set by a redraft request: the persona the next proposals use instead of the channel's.
    redraft_persona: str | None = Field(default=None, max_length=64)
    edited_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]


class TriageRecord(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(max_length=64, index=True)
    comment_id: int = Field(foreign_key="comment.id", unique=True)
    # `triaged` or `not_triaged` (no classifier available yet: an explicit marker, never a fake result).
    status: str = Field(max_length=16)
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    source: str | None = Field(default=None, max_length=32)
    created_at: datetime = _ts()


class Proposal(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(max_length=64, index=True)
    comment_id: int = Field(foreign_key="comment.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    persona: str = Field(max_length=64)
    kind: str = Field(max_length=16)  # serious | creative
    variant: str = Field(default="main", max_length=16)  # main | alternative
    note: str | None = Field(default=None, sa_column=Column(Text))  # e.g. "À adapter · to adapt"
    cited_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source: str | None = Field(default=None, max_length=32)
    round: int = Field(default=1)  # a redraft adds a new round; the message shows the latest
    created_at: datetime = _ts()


class Decision(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(max_length=64, index=True)
    comment_id: int = Field(foreign_key="comment.id", index=True)
    proposal_id: int | None = Field(default=None, foreign_key="proposal.id")
    actor: str = Field(max_length=64)
    action: str = Field(max_length=32)  # approve | edit | hide | escalate | redraft | ...
    original_text: str | None = Field(default=None, sa_column=Column(Text))
    edited_text: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = _ts()


class Publication(SQLModel, table=True):
    # One public reply (and one private reply) per comment: a constraint, not luck.
    __table_args__ = (UniqueConstraint("comment_id", "target", name="uq_publication_comment_target"),)

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(max_length=64, index=True)
    comment_id: int = Field(foreign_key="comment.id")
    proposal_id: int | None = Field(default=None, foreign_key="proposal.id")
    decision_id: int | None = Field(default=None, foreign_key="decision.id")
    target: str = Field(default="public_reply", max_length=32)  # public_reply | private_reply | hide | unhide
    text: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=16)  # pending | published | failed
    platform_id: str | None = Field(default=None, max_length=255)
    url: str | None = Field(default=None, max_length=2048)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = _ts()
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    # Outbound platform calls are jobs too: leased like comments, so a crash never loses or doubles one.
    lease_owner: str | None = Field(default=None, max_length=128)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    requested_by: str | None = Field(default=None, max_length=64)


class Escalation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(max_length=64, index=True)
    comment_id: int = Field(foreign_key="comment.id", unique=True)
    status: str = Field(default="open", max_length=16)  # open | claimed | resolved
    requested_by: str = Field(max_length=64)
    owner: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, sa_column=Column(Text))
    resolution_note: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = _ts()
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]


class SlackPost(SQLModel, table=True):
    """Where a comment's Slack message lives, so updates and thread replies find it."""

    __table_args__ = (UniqueConstraint("comment_id", "kind", name="uq_slackpost_comment_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(max_length=64, index=True)
    comment_id: int = Field(foreign_key="comment.id")
    kind: str = Field(default="review", max_length=16)  # review | sac
    channel: str = Field(max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    created_at: datetime = _ts()


class AuditLog(SQLModel, table=True):
    """Append-only (database triggers refuse UPDATE and DELETE)."""

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(max_length=64, index=True)
    comment_id: int | None = Field(default=None, index=True)
    actor: str = Field(max_length=128)
    action: str = Field(max_length=64)
    from_state: str | None = Field(default=None, max_length=16)
    to_state: str | None = Field(default=None, max_length=16)
    detail: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = _ts()


class InboundEvent(SQLModel, table=True):
    """Platform deliveries already handled (webhook retries are recognised by their key)."""

    key: str = Field(primary_key=True, max_length=255)  # e.g. "meta:feed:edited:<comment id>:<time>"
    brand: str = Field(max_length=64)
    received_at: datetime = _ts()


class PlatformCursor(SQLModel, table=True):
    """Where polling of a platform account got to (X mentions `since_id`), kept across restarts."""

    __table_args__ = (UniqueConstraint("brand", "platform", "account_id", name="uq_cursor_account"),)

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(max_length=64)
    platform: str = Field(max_length=16)
    account_id: str = Field(max_length=255)
    since_id: str | None = Field(default=None, max_length=255)
    updated_at: datetime = _ts()


class ChannelSetting(SQLModel, table=True):
    """Per-channel choices made in Slack (the persona set with /persona)."""

    channel: str = Field(primary_key=True, max_length=32)
    brand: str = Field(max_length=64)
    persona: str | None = Field(default=None, max_length=64)
    updated_by: str | None = Field(default=None, max_length=64)
    updated_at: datetime = _ts()


class ThreadMessage(SQLModel, table=True):
    """Team talk in a review thread, kept from the Events API (Slack throttles history reads hard).
    Never published: only Approve, Edit and SAC follow-up approvals publish."""

    __table_args__ = (UniqueConstraint("channel", "ts", name="uq_threadmessage_channel_ts"),)

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(max_length=64, index=True)
    comment_id: int = Field(foreign_key="comment.id", index=True)
    channel: str = Field(max_length=32)
    ts: str = Field(max_length=32)
    thread_ts: str = Field(max_length=32)
    user: str = Field(max_length=64)
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _ts()


class TriageCorrection(SQLModel, table=True):
    """A reviewer's correction of a triage label: an example the classifier learns from at once."""

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(max_length=64, index=True)
    comment_id: int = Field(foreign_key="comment.id")
    actor: str = Field(max_length=64)
    text: str = Field(sa_column=Column(Text, nullable=False))
    labels: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = _ts()


class SlackEvent(SQLModel, table=True):
    """Slack event ids already handled: a retried delivery is recognised and does nothing twice."""

    event_id: str = Field(primary_key=True, max_length=64)
    received_at: datetime = _ts()
