"""The worker's steps, one per state, composed by the application's composition root."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import col

from bot.cases import transition_in
from bot.db import session_scope
from bot.models import Comment, SlackPost, State, TriageRecord
from bot.worker import Step

NOT_TRIAGED = "not_triaged"


def record_untriaged(engine: Engine, comment: Comment) -> None:
    """No classifier is configured: say so explicitly rather than invent a result."""
    assert comment.id is not None
    with session_scope(engine) as session:
        session.add(TriageRecord(brand=comment.brand, comment_id=comment.id, status=NOT_TRIAGED, result=None))
        transition_in(
            session,
            comment.id,
            State.triaged,
            actor="worker",
            expected_from=State.received,
            detail={"triage": NOT_TRIAGED},
        )


class Classifier(Protocol):
    def __call__(self, comment: Comment) -> tuple[dict[str, Any], str]:
        """Return (result as JSON-able dict, source)."""
        ...


def triage_step(classify: Classifier) -> Step:
    def step(engine: Engine, comment: Comment) -> None:
        assert comment.id is not None
        result, source = classify(comment)  # slow part, outside any transaction
        with session_scope(engine) as session:
            session.add(
                TriageRecord(brand=comment.brand, comment_id=comment.id, status="triaged", result=result, source=source)
            )
            transition_in(session, comment.id, State.triaged, actor="worker", expected_from=State.received)

    return step


def get_triage(engine: Engine, comment_id: int) -> TriageRecord | None:
    with session_scope(engine) as session:
        return session.execute(
            select(TriageRecord).where(col(TriageRecord.comment_id) == comment_id)
        ).scalar_one_or_none()


PostMessage = Callable[[str, str, list[dict[str, Any]]], str]  # (channel, text, blocks) -> ts


def post_review_step(
    post: PostMessage,
    channel_for: Callable[[Comment], str | None],
    render: Callable[[Comment, TriageRecord | None], tuple[str, list[dict[str, Any]]]],
    from_state: State = State.triaged,
) -> Step:
    """Post the comment's review message in Slack, remember where, and move to `posted`."""

    def step(engine: Engine, comment: Comment) -> None:
        assert comment.id is not None
        channel = channel_for(comment)
        if not channel:
            return  # no review channel for this brand: the comment waits, visible in the API
        with session_scope(engine) as session:
            existing = session.execute(
                select(SlackPost).where(col(SlackPost.comment_id) == comment.id, col(SlackPost.kind) == "review")
            ).scalar_one_or_none()
        if existing is None or existing.ts is None:
            text, blocks = render(comment, get_triage(engine, comment.id))
            ts = post(channel, text, blocks)
            with session_scope(engine) as session:
                row = session.execute(
                    select(SlackPost).where(col(SlackPost.comment_id) == comment.id, col(SlackPost.kind) == "review")
                ).scalar_one_or_none()
                if row is None:
                    row = SlackPost(brand=comment.brand, comment_id=comment.id, kind="review", channel=channel)
                row.ts, row.channel = ts, channel
                session.add(row)
                transition_in(
                    session,
                    comment.id,
                    State.posted,
                    actor="worker",
                    expected_from=from_state,
                    detail={"channel": channel, "ts": ts},
                )
            return
        with session_scope(engine) as session:
            transition_in(session, comment.id, State.posted, actor="worker", expected_from=from_state)

    return step
