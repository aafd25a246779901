"""A comment with everything the team sees about it, loaded in one go for rendering and decisions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import col, func, select

from bot.comments.messages import reply_window
from bot.comments.window import Window
from bot.db import session_scope
from bot.models import (
    ChannelSetting,
    Comment,
    Decision,
    Escalation,
    Proposal,
    Publication,
    SlackPost,
    TriageRecord,
)

FOLLOWUP = "followup"  # Proposal.variant and Publication.stage of what follows a resolved case


@dataclass
class Case:
    comment: Comment
    triage: TriageRecord | None = None
    proposals: list[Proposal] = field(default_factory=list)  # the latest review round only
    followups: list[Proposal] = field(default_factory=list)  # drafted after customer service resolved it
    decisions: list[Decision] = field(default_factory=list)
    publications: list[Publication] = field(default_factory=list)
    escalation: Escalation | None = None
    review_post: SlackPost | None = None
    sac_post: SlackPost | None = None
    followup_post: SlackPost | None = None  # the follow-up proposals' message in the review thread
    # A direct message (#24): until when the platform accepts its answer (None: no window, or public).
    window: Window | None = None

    @property
    def id(self) -> int:
        assert self.comment.id is not None
        return self.comment.id

    def proposal(self, proposal_id: int) -> Proposal | None:
        return next((p for p in self.proposals if p.id == proposal_id), None)

    def publication(self, target: str = "public_reply", stage: str = "review") -> Publication | None:
        return next((p for p in self.publications if p.target == target and p.stage == stage), None)


def load_case(engine: Engine, comment_id: int) -> Case | None:
    with session_scope(engine) as s:
        comment = s.get(Comment, comment_id)
        if comment is None:
            return None
        latest = s.exec(
            select(func.max(Proposal.round)).where(
                col(Proposal.comment_id) == comment_id, col(Proposal.variant) != FOLLOWUP
            )
        ).one()
        posts = s.exec(select(SlackPost).where(col(SlackPost.comment_id) == comment_id)).all()
        return Case(
            window=reply_window(s, comment, "message") if comment.private else None,
            comment=comment,
            triage=s.exec(select(TriageRecord).where(col(TriageRecord.comment_id) == comment_id)).first(),
            proposals=list(
                s.exec(
                    select(Proposal)
                    .where(
                        col(Proposal.comment_id) == comment_id,
                        col(Proposal.round) == latest,
                        col(Proposal.variant) != FOLLOWUP,
                    )
                    .order_by(col(Proposal.id))
                ).all()
            ),
            followups=list(
                s.exec(
                    select(Proposal)
                    .where(col(Proposal.comment_id) == comment_id, col(Proposal.variant) == FOLLOWUP)
                    .order_by(col(Proposal.id))
                ).all()
            ),
            decisions=list(
                s.exec(select(Decision).where(col(Decision.comment_id) == comment_id).order_by(col(Decision.id))).all()
            ),
            publications=list(
                s.exec(
                    select(Publication).where(col(Publication.comment_id) == comment_id).order_by(col(Publication.id))
                ).all()
            ),
            escalation=s.exec(select(Escalation).where(col(Escalation.comment_id) == comment_id)).first(),
            review_post=next((p for p in posts if p.kind == "review"), None),
            sac_post=next((p for p in posts if p.kind == "sac"), None),
            followup_post=next((p for p in posts if p.kind == "followup"), None),
        )


@dataclass(frozen=True)
class HistoryItem:
    comment_id: int
    when: datetime
    text: str
    state: str


def author_history(
    engine: Engine, comment: Comment, limit: int = 20, *, earlier_only: bool = False
) -> list[HistoryItem]:
    """The author's other comments with this brand on this platform (only those before this one with
    `earlier_only`), newest first. Only what the brand itself received: Sowana never looks the person
    up anywhere else."""
    other = col(Comment.id) < (comment.id or 0) if earlier_only else col(Comment.id) != comment.id
    with session_scope(engine) as s:
        rows = s.exec(
            select(Comment)
            .where(
                col(Comment.brand) == comment.brand,
                col(Comment.platform) == comment.platform,
                col(Comment.author_id) == comment.author_id,
                col(Comment.erased_at).is_(None),
                other,
            )
            .order_by(col(Comment.id).desc())
            .limit(limit)
        ).all()
    return [HistoryItem(r.id or 0, r.received_at, r.text, r.state) for r in rows]


def find_by_message(engine: Engine, channel: str, ts: str) -> SlackPost | None:
    """The comment a Slack message (review or SAC card) belongs to."""
    with session_scope(engine) as s:
        return s.exec(select(SlackPost).where(col(SlackPost.channel) == channel, col(SlackPost.ts) == ts)).first()


def channel_persona(engine: Engine, channel: str) -> str | None:
    with session_scope(engine) as s:
        row = s.get(ChannelSetting, channel)
        return row.persona if row else None
