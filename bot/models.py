"""SQLModel tables. Every row carries `brand`; the database is the source of truth for a comment's state."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text, TypeDecorator, UniqueConstraint
from sqlalchemy import text as sa_text
from sqlmodel import Field, SQLModel

# Every constraint and index gets a name from its table and columns, the same on SQLite and PostgreSQL,
# so a migration can refer to it by name (SQLite cannot alter an unnamed constraint, and PostgreSQL's
# own generated names differ). Set before any table is declared: names are given as tables are built.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


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
    # The id of the webhook or API request that brought it: every log line about it carries it (bot/logs.py).
    request_id: str | None = Field(default=None, max_length=64)
    # The author edited or deleted the original on the platform (a deleted one cannot be answered).
    # Set by a redraft request: the persona the next proposals use instead of the channel's.
    redraft_persona: str | None = Field(default=None, max_length=64)
    edited_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    # Set when the author's data was erased (a request or the retention limit, bot/privacy): the text,
    # name and ids are gone; the row stays so the statistics still count it.
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    # A direct message (Messenger, Instagram Direct, X DM) rather than a public comment (#24): never in the
    # digest's examples nor the dashboard's public lists; its reply goes out as a message, in the window.
    private: bool = Field(default=False, sa_column_kwargs={"server_default": sa_text("false")})
    # The comment whose review thread this message is shown in (the person's earlier public comment, or
    # the first message of the conversation); None for a comment or message with its own review message.
    # No foreign key: SQLite adds one to an existing table only by copying it, and other tables point here.
    thread_of: int | None = Field(default=None, index=True)
    # A message's attachments as links [{"type", "url"}]: shown as links, never fetched.
    attachments: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))


class Conversation(SQLModel, table=True):
    """One person's private conversation with one brand account on one platform (#24).

    `participant_id` is the id the platform's messaging uses for the person (Messenger PSID, Instagram
    IGSID, X user id); `anchor_id` the comment whose review thread the conversation lives in.
    `last_inbound_at` is the person's last message: Meta's 24-hour window to answer runs from it."""

    __table_args__ = (
        UniqueConstraint("brand", "platform", "participant_id", name="uq_conversation_brand_platform_participant"),
    )

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(max_length=64, index=True)
    platform: str = Field(max_length=16)
    account_id: str | None = Field(default=None, max_length=255)  # the brand's page / IG account / X account
    participant_id: str = Field(max_length=255)
    # The person's public author id when it differs from `participant_id` (a Messenger PSID begun by a
    # private reply to a Facebook comment): erasure and export find the conversation by either.
    author_id: str | None = Field(default=None, max_length=255, index=True)
    external_id: str | None = Field(default=None, max_length=255)  # X dm_conversation_id
    anchor_id: int | None = Field(default=None, foreign_key="comment.id")
    last_inbound_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    # Set when a reminder that the window closes soon was sent for the message received at `last_inbound_at`.
    window_reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class TriageRecord(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(max_length=64, index=True)
    comment_id: int = Field(foreign_key="comment.id", unique=True)
    # `triaged` or `not_triaged` (no classifier available yet: an explicit marker, never a fake result).
    status: str = Field(max_length=16)
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    source: str | None = Field(default=None, max_length=32)
    # Copied out of `result` so queries can use them: the Slack sender sends urgent comments first,
    # the case keeper escalates what customer service must handle (needs_sac complaints, distress).
    priority: str = Field(default="normal", max_length=16, sa_column_kwargs={"server_default": "normal"})
    escalate: bool = Field(default=False, sa_column_kwargs={"server_default": sa_text("false")})
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
    target: str = Field(default="public_reply", max_length=32, sa_column_kwargs={"server_default": "public_reply"})
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
    # One public reply (and one private reply) per comment and stage: a constraint, not luck. The
    # "followup" stage holds what is published after customer service resolved the case.
    __table_args__ = (UniqueConstraint("comment_id", "target", "stage", name="uq_publication_comment_target_stage"),)

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(max_length=64, index=True)
    comment_id: int = Field(foreign_key="comment.id")
    proposal_id: int | None = Field(default=None, foreign_key="proposal.id")
    decision_id: int | None = Field(default=None, foreign_key="decision.id")
    target: str = Field(default="public_reply", max_length=32)  # public_reply | private_reply | message | hide | unhide
    stage: str = Field(default="review", max_length=16, sa_column_kwargs={"server_default": "review"})  # or followup
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
    """A customer-service case: open → claimed → resolved → closed (follow-ups published).

    Its clocks are stored, not kept in memory, so they survive restarts: first response runs from
    creation to the claim, resolution from creation to the SAC's resolution, both counted in the
    brand's business hours (`*_seconds`). The case keeper leases rows to post cards and reminders."""

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(max_length=64, index=True)
    comment_id: int = Field(foreign_key="comment.id", unique=True)
    status: str = Field(default="open", max_length=16, index=True)  # open | claimed | resolved | closed
    requested_by: str = Field(max_length=64)
    auto: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa_text("false")}
    )  # escalated by Sowana itself (needs_sac complaint, distress)
    urgent: bool = Field(default=False, sa_column_kwargs={"server_default": sa_text("false")})
    owner: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, sa_column=Column(Text))
    resolution_note: str | None = Field(default=None, sa_column=Column(Text))
    followup: str | None = Field(default=None, max_length=16)  # public | private | both | none
    created_at: datetime = _ts()
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    first_response_seconds: float | None = Field(default=None)  # business seconds, set at the claim
    resolution_seconds: float | None = Field(default=None)  # business seconds, set at the resolution
    first_response_reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    first_response_breached_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    resolution_reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    resolution_breached_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    # The card is rendered again whenever the case changed after the snapshot it shows was read.
    updated_at: datetime = _ts(sa_column_kwargs={"server_default": sa_text("CURRENT_TIMESTAMP")})
    card_posted_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    followups_posted_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    lease_owner: str | None = Field(default=None, max_length=128)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


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


# --- Insights (#12): daily digests sent, bad-buzz episodes, engagement of our published replies ---


class DigestRun(SQLModel, table=True):
    """One brand's daily digest for one local day: the unique key is what stops a second process (or a
    restart) from queueing it twice. `status` queued (in the Slack sender's queue, key
    `digest:{brand}:{day}`, written in the same transaction); `sending` / `sent` / `failed` are left by
    releases that posted directly (a `failed` run is queued again)."""

    __table_args__ = (UniqueConstraint("brand", "day", name="uq_digestrun_brand_day"),)

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(max_length=64)
    day: str = Field(max_length=10)  # YYYY-MM-DD in the brand's timezone
    status: str = Field(default="sending", max_length=16)  # queued (sending | sent | failed: older releases)
    channel: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    claimed_at: datetime = _ts()
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]


class BuzzEpisode(SQLModel, table=True):
    """A bad-buzz episode of one brand and topic, from the first alert to "back to normal".

    `open_key` is brand/topic while the episode is open and NULL once closed: a unique column that
    allows at most one open episode per topic (NULLs never collide), on SQLite and PostgreSQL alike."""

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(max_length=64, index=True)
    topic: str = Field(max_length=64)
    open_key: str | None = Field(default=None, max_length=160, unique=True)
    status: str = Field(default="open", max_length=16)  # open | closed
    opened_at: datetime = _ts()
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    # The baseline frozen when the episode opened (the spike must not raise its own bar).
    baseline: float = Field(default=0.0)
    sigma: float = Field(default=0.0)
    threshold: float = Field(default=0.0)
    count: int = Field(default=0)  # negative comments in the window that opened it
    peak: int = Field(default=0)
    example_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    channel: str | None = Field(default=None, max_length=32)
    alert_ts: str | None = Field(default=None, max_length=32)
    closed_ts: str | None = Field(default=None, max_length=32)


class Engagement(SQLModel, table=True):
    """Latest likes, replies and shares of one published reply, polled from its platform."""

    publication_id: int = Field(primary_key=True, foreign_key="publication.id")
    brand: str = Field(max_length=64, index=True)
    platform: str = Field(max_length=16)
    platform_id: str = Field(max_length=255)
    likes: int = Field(default=0)
    replies: int = Field(default=0)
    shares: int = Field(default=0)
    score: float = Field(default=0.0)
    checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    next_check_at: datetime = _ts()
    # Set once the reply entered the brand's `viral` collection: never re-added after the team removes it.
    viral_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    viral_entry_id: str | None = Field(default=None, max_length=64)
    viral_removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]


# --- Slack sender and storm mode (issue #11) -------------------------------------------------------


class SlackOutgoing(SQLModel, table=True):
    """A Slack message waiting to be sent, queued per channel (bot/slack/sender.py).

    `started_at` is written (and committed) before `chat.postMessage`: a send found started but not
    finished is looked up in the channel by its message metadata before it is tried again, so a crash
    between Slack's answer and our commit never doubles a message."""

    __table_args__ = (
        UniqueConstraint("key", name="uq_slackoutgoing_key"),
        Index("ix_slackoutgoing_channel_status", "channel", "status", "priority"),
        Index("ix_slackoutgoing_group", "group_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(max_length=64, index=True)
    key: str = Field(max_length=255)  # idempotency: "review:<comment id>", "storm:<group id>", a caller's key
    channel: str = Field(max_length=32)
    kind: str = Field(max_length=16)  # review | storm | notice | message
    priority: int = Field(default=2)  # 0 urgent, 1 high, 2 normal, 3 low: lower goes first
    comment_id: int | None = Field(default=None, foreign_key="comment.id", index=True)
    group_id: int | None = Field(default=None)  # the storm group a review went into instead of its own message
    text: str | None = Field(default=None, sa_column=Column(Text))
    blocks: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    thread_ts: str | None = Field(default=None, max_length=32)
    thread_of: int | None = Field(default=None)  # a comment whose review thread this goes into (ts found at send)
    post_kind: str | None = Field(default=None, max_length=16)  # record SlackPost(kind=…) for comment_id once sent
    status: str = Field(default="pending", max_length=16)  # pending | grouped | sent | failed | cancelled
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    ts: str | None = Field(default=None, max_length=32)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = _ts()
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    lease_owner: str | None = Field(default=None, max_length=128)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]


class NamedLease(SQLModel, table=True):
    """A job only one process may do at a time (the X mentions poller), held until `lease_until`
    (database time) and renewed by its holder; a dead holder's lease expires and another takes it."""

    name: str = Field(primary_key=True, max_length=64)
    owner: str | None = Field(default=None, max_length=128)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]


class SlackChannelRate(SQLModel, table=True):
    """A channel's posting pace, shared by every process: GCRA's theoretical arrival time (epoch
    seconds) and the end of a 429's Retry-After. Updated under a row lock in the send's transaction."""

    channel: str = Field(primary_key=True, max_length=32)
    tat: float = Field(default=0.0)
    blocked_until: float = Field(default=0.0)


class StormChannel(SQLModel, table=True):
    """Storm mode of a review channel: on while its backlog is past the threshold."""

    channel: str = Field(primary_key=True, max_length=32)
    brand: str = Field(max_length=64)
    active: bool = Field(default=False)
    epoch: int = Field(default=0)  # how many storms so far (keys the on/off notices)
    backlog: int = Field(default=0)
    since: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    # Last time the backlog was above half the threshold: storm mode ends after a calm spell, not at once.
    busy_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # type: ignore[call-overload]
    updated_at: datetime = _ts()


class StormGroup(SQLModel, table=True):
    """Low-value comments shown together in one summary message during a storm, with bulk actions."""

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(max_length=64, index=True)
    channel: str = Field(max_length=32)
    kind: str = Field(max_length=16)  # spam | praise | similar
    label: str = Field(sa_column=Column(Text, nullable=False))  # what the members share (a sample text)
    sealed: bool = Field(default=False)  # its summary is being sent: no new members
    size: int = Field(default=0)
    ts: str | None = Field(default=None, max_length=32)
    action: str | None = Field(default=None, max_length=16)  # hide | reply, once done
    action_by: str | None = Field(default=None, max_length=64)
    reply_text: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = _ts()
