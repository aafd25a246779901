"""The worker's steps, one per state, composed by the application's composition root.

received --triage--> triaged --draft--> proposed --post--> posted (waits for the team)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from bot.comments.lifecycle import transition_in
from bot.comments.worker import Step
from bot.db import session_scope
from bot.models import Comment, Proposal, SlackPost, State, TriageRecord
from bot.slack.queue import PRIORITIES, queue_review
from bot.slack.sender import SlackSender

NOT_TRIAGED = "not_triaged"


def record_untriaged(engine: Engine, comment: Comment) -> None:
    """No classifier is configured: say so explicitly rather than invent a result."""
    assert comment.id is not None
    with session_scope(engine, write=True) as session:
        session.add(TriageRecord(brand=comment.brand, comment_id=comment.id, status=NOT_TRIAGED, result=None))
        transition_in(
            session,
            comment.id,
            State.triaged,
            actor="worker",
            expected_from=State.received,
            detail={"triage": NOT_TRIAGED},
        )


Classify = Callable[[Comment], tuple[dict[str, Any], str]]  # -> (result as JSON-able dict, source)


def needs_escalation(result: dict[str, Any]) -> bool:
    """Customer service takes over by itself when someone is in distress, or when a complaint can only
    be settled with the customer's account or order (delivery, billing, refund)."""
    intent = result.get("intent")
    return intent == "distress" or (intent == "complaint" and bool(result.get("needs_sac")))


def triage_step(classify: Classify) -> Step:
    def step(engine: Engine, comment: Comment) -> None:
        assert comment.id is not None
        result, source = classify(comment)  # slow part, outside any transaction
        priority = result.get("priority")
        with session_scope(engine, write=True) as session:
            session.add(
                TriageRecord(
                    brand=comment.brand,
                    comment_id=comment.id,
                    status="triaged",
                    result=result,
                    source=source,
                    priority=priority if priority in PRIORITIES else "normal",
                    escalate=needs_escalation(result),
                )
            )
            transition_in(session, comment.id, State.triaged, actor="worker", expected_from=State.received)

    return step


def get_triage(engine: Engine, comment_id: int) -> TriageRecord | None:
    with session_scope(engine) as session:
        return session.exec(select(TriageRecord).where(col(TriageRecord.comment_id) == comment_id)).first()


@dataclass(frozen=True)
class ProposalSpec:
    text: str
    kind: str  # serious | creative
    persona: str
    cited_ids: list[str] = field(default_factory=list)
    source: str = "offline"
    variant: str = "main"
    note: str | None = None


class Drafter(Protocol):
    def __call__(self, comment: Comment, triage: dict[str, Any] | None, persona: str) -> Sequence[ProposalSpec]: ...


def draft_step(drafter: Drafter, persona_for: Callable[[Comment], str]) -> Step:
    """Draft proposals (a new round on a redraft) and move to `proposed`."""

    def step(engine: Engine, comment: Comment) -> None:
        assert comment.id is not None
        record = get_triage(engine, comment.id)
        persona = comment.redraft_persona or persona_for(comment)
        specs = drafter(comment, record.result if record else None, persona)  # slow part
        with session_scope(engine, write=True) as session:
            latest = session.exec(select(func.max(Proposal.round)).where(col(Proposal.comment_id) == comment.id)).one()
            for spec in specs:
                session.add(
                    Proposal(
                        brand=comment.brand,
                        comment_id=comment.id,
                        text=spec.text,
                        persona=spec.persona,
                        kind=spec.kind,
                        cited_ids=list(spec.cited_ids),
                        source=spec.source,
                        variant=spec.variant,
                        note=spec.note,
                        round=(latest or 0) + 1,
                    )
                )
            row = session.get(Comment, comment.id)
            assert row is not None
            row.redraft_persona = None
            session.add(row)
            transition_in(
                session,
                comment.id,
                State.proposed,
                actor="worker",
                expected_from=State.triaged,
                detail={"persona": persona, "proposals": len(specs)},
            )

    return step


# Also told when a review message is queued or posted, in that transaction (a direct message under its
# case's card, #24).
AlsoTell = Callable[[Session, Comment], None]


def post_review_step(
    publish: Callable[[int, str], str],
    channel_for: Callable[[Comment], str | None],
    from_state: State = State.proposed,
    sender: SlackSender | None = None,
    also_tell: AlsoTell | None = None,
) -> Step:
    """Post (or, after a redraft, update) the review message; remember where; move to `posted`.

    With a `sender`, a new message is queued for it (urgent first, at the channel's pace) and the
    comment waits, parked, until the sender posts it and moves it to `posted`: the worker goes on
    triaging and drafting meanwhile. Without one, `publish(comment_id, channel) -> ts` posts here.
    An update (a redraft) is a `chat.update`, not paced per channel: done here either way. The
    message's place is saved with the transition, so a retry after a crash updates the same message
    instead of posting a second one."""

    def step(engine: Engine, comment: Comment) -> None:
        assert comment.id is not None
        channel = channel_for(comment)
        if not channel:
            return  # no review channel for this brand: the comment waits, visible in the API
        with session_scope(engine) as session:
            existing = session.exec(
                select(SlackPost).where(col(SlackPost.comment_id) == comment.id, col(SlackPost.kind) == "review")
            ).first()
        if sender is not None and (existing is None or not existing.ts):
            with session_scope(engine, write=True) as session:
                queue_review(session, comment, channel)
                if also_tell is not None and existing is None:
                    also_tell(session, comment)
            sender.wake()
            return
        target = existing.channel if existing is not None else channel
        ts = publish(comment.id, target)
        with session_scope(engine, write=True) as session:
            row = session.exec(
                select(SlackPost).where(col(SlackPost.comment_id) == comment.id, col(SlackPost.kind) == "review")
            ).first()
            if row is None:
                row = SlackPost(brand=comment.brand, comment_id=comment.id, kind="review", channel=target)
            row.ts = ts
            session.add(row)
            transition_in(
                session,
                comment.id,
                State.posted,
                actor="worker",
                expected_from=from_state,
                detail={"channel": target, "ts": ts},
            )
            if also_tell is not None and existing is None:
                also_tell(session, comment)

    return step
