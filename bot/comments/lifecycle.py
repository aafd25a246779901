"""The comment lifecycle as a small explicit state machine.

    received → triaged → proposed → posted → approved | edited → published
    triaged/posted/published → escalated → resolved → approved | edited → published
    (most states) → hidden;  (working states) → failed (with a reason) → back where it failed

Each transition is one transaction that also writes an audit row; an illegal move raises
and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from bot.db import session_scope
from bot.models import AuditLog, Comment, State, utcnow

S = State

TRANSITIONS: Mapping[State, frozenset[State]] = {
    S.received: frozenset({S.triaged, S.hidden, S.failed}),
    # `posted` straight from `triaged`: a review message with no proposal (drafting unavailable).
    S.triaged: frozenset({S.proposed, S.posted, S.escalated, S.hidden, S.failed}),
    S.proposed: frozenset({S.posted, S.escalated, S.hidden, S.failed}),
    # posted → triaged is a redraft: the worker drafts again and updates the same message.
    S.posted: frozenset({S.approved, S.edited, S.triaged, S.escalated, S.hidden, S.failed}),
    S.approved: frozenset({S.published, S.failed}),
    S.edited: frozenset({S.published, S.failed}),
    S.published: frozenset({S.escalated, S.hidden}),
    S.escalated: frozenset({S.resolved, S.hidden}),
    # resolved → published when the follow-ups customer service asked for are out (the case closes).
    S.resolved: frozenset({S.approved, S.edited, S.published, S.failed}),
    S.hidden: frozenset({S.posted}),  # unhide puts it back in front of the team
    # A retry goes back to the state the comment failed from (checked in `transition`).
    S.failed: frozenset({S.received, S.triaged, S.proposed, S.posted, S.approved, S.edited, S.resolved}),
}


class IllegalTransition(Exception):
    def __init__(self, comment_id: int, from_state: str, to_state: str, why: str = "") -> None:
        self.comment_id, self.from_state, self.to_state = comment_id, from_state, to_state
        super().__init__(
            f"comment {comment_id}: cannot go from {from_state!r} to {to_state!r}" + (f" ({why})" if why else "")
        )


class CommentNotFound(LookupError):
    pass


def can_transition(from_state: str, to_state: str) -> bool:
    try:
        return State(to_state) in TRANSITIONS[State(from_state)]
    except ValueError:
        return False


def audit(
    session: Session,
    *,
    brand: str,
    actor: str,
    action: str,
    comment_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditLog(
            brand=brand,
            comment_id=comment_id,
            actor=actor,
            action=action,
            from_state=from_state,
            to_state=to_state,
            detail=detail,
        )
    )


def transition_in(
    session: Session,
    comment_id: int,
    to_state: State | str,
    *,
    actor: str,
    expected_from: State | str | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> Comment:
    """Move a comment within the caller's transaction (for steps that write other rows too)."""
    target = State(to_state)
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise CommentNotFound(f"comment {comment_id} does not exist")
    current = State(comment.state)
    if expected_from is not None and current != State(expected_from):
        raise IllegalTransition(comment_id, current, target, f"expected {State(expected_from).value!r}")
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(comment_id, current, target)
    if current == S.failed and comment.failed_from and target != State(comment.failed_from):
        raise IllegalTransition(comment_id, current, target, f"a retry returns to {comment.failed_from!r}")
    if target == S.failed and not reason:
        raise ValueError("a failure needs a reason")

    values: dict[str, Any] = {"state": target.value, "updated_at": utcnow()}
    if target == S.failed:
        values |= {"failure_reason": reason, "failed_from": current.value}
    elif current == S.failed:
        values |= {"failure_reason": None, "failed_from": None, "attempts": 0}
    # Compare-and-set on the state: two processes racing on one comment cannot both move it.
    result = session.execute(
        update(Comment).where(col(Comment.id) == comment_id, col(Comment.state) == current.value).values(**values)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise IllegalTransition(comment_id, current, target, "the comment changed concurrently")
    audit(
        session,
        brand=comment.brand,
        actor=actor,
        action="transition",
        comment_id=comment_id,
        from_state=current.value,
        to_state=target.value,
        detail=({"reason": reason} if reason else {}) | (detail or {}),
    )
    session.flush()
    session.refresh(comment)
    return comment


def transition(
    engine: Engine,
    comment_id: int,
    to_state: State | str,
    *,
    actor: str,
    expected_from: State | str | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> Comment:
    """Move a comment in its own transaction, with its audit row."""
    with session_scope(engine) as session:
        return transition_in(
            session,
            comment_id,
            to_state,
            actor=actor,
            expected_from=expected_from,
            reason=reason,
            detail=detail,
        )
