"""The comment lifecycle: legal moves, refused moves, audit rows, one transaction each."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from bot.comments.ingest import CommentIn, ingest
from bot.comments.lifecycle import IllegalTransition, can_transition, transition
from bot.models import AuditLog, Comment, State


def _comment(engine, external_id: str = "c1", text_: str = "Livrez-vous à Laval ?") -> int:
    comment, _ = ingest(
        engine,
        CommentIn.model_validate(
            {
                "platform": "facebook",
                "external_id": external_id,
                "author": {"id": "u1", "name": "Julie Tremblay"},
                "text": text_,
            }
        ),
    )
    assert comment.id is not None
    return comment.id


def _audit(engine, comment_id: int) -> list[tuple[str | None, str | None]]:
    with Session(engine) as s:
        rows = s.exec(select(AuditLog).where(col(AuditLog.comment_id) == comment_id).order_by(col(AuditLog.id))).all()
        return [(r.from_state, r.to_state) for r in rows]


def test_happy_path_writes_one_audit_row_per_move(engine):
    cid = _comment(engine)
    for state in (State.triaged, State.proposed, State.posted, State.approved, State.published):
        transition(engine, cid, state, actor="U0CM")
    assert _audit(engine, cid) == [
        (None, "received"),
        ("received", "triaged"),
        ("triaged", "proposed"),
        ("proposed", "posted"),
        ("posted", "approved"),
        ("approved", "published"),
    ]


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], State.published),  # cannot publish what nobody approved
        ([], State.approved),
        ([State.triaged], State.approved),  # approval needs a posted review message
        ([State.triaged, State.proposed, State.posted, State.approved, State.published], State.approved),
        ([State.triaged, State.escalated], State.posted),
    ],
)
def test_illegal_moves_raise_and_change_nothing(engine, path, illegal):
    cid = _comment(engine)
    for state in path:
        transition(engine, cid, state, actor="worker")
    before = _audit(engine, cid)
    with pytest.raises(IllegalTransition):
        transition(engine, cid, illegal, actor="U0CM")
    with Session(engine) as s:
        assert s.get(Comment, cid).state == (path[-1] if path else State.received)
    assert _audit(engine, cid) == before


def test_failure_keeps_reason_and_retry_returns_where_it_failed(engine):
    cid = _comment(engine)
    transition(engine, cid, State.triaged, actor="worker")
    with pytest.raises(ValueError):
        transition(engine, cid, State.failed, actor="worker")  # a failure without a reason is refused
    failed = transition(engine, cid, State.failed, actor="worker", reason="Slack: channel_not_found")
    assert (failed.state, failed.failure_reason, failed.failed_from) == (
        "failed",
        "Slack: channel_not_found",
        "triaged",
    )
    with pytest.raises(IllegalTransition):
        transition(engine, cid, State.received, actor="worker")  # not where it failed
    back = transition(engine, cid, State.triaged, actor="U0CM")
    assert (back.state, back.failure_reason) == ("triaged", None)


def test_expected_from_guards_against_stale_decisions(engine):
    cid = _comment(engine)
    transition(engine, cid, State.triaged, actor="worker")
    with pytest.raises(IllegalTransition, match="expected 'received'"):
        transition(engine, cid, State.hidden, actor="U0CM", expected_from=State.received)


def test_escalation_path_and_hidden_comments(engine):
    cid = _comment(engine, "c2", "Mon panier n'est jamais arrivé, je veux un remboursement")
    for state in (State.triaged, State.escalated, State.resolved, State.approved, State.published):
        transition(engine, cid, state, actor="U0SAC")
    other = _comment(engine, "c3", "BUY FOLLOWERS http://spam.example")
    transition(engine, other, State.hidden, actor="U0CM")
    with pytest.raises(IllegalTransition):
        transition(engine, other, State.approved, actor="U0CM")


def test_audit_log_is_append_only_in_the_database(engine):
    cid = _comment(engine)
    with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE auditlog SET actor = 'someone-else' WHERE comment_id = :c"), {"c": cid})
    with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM auditlog"))
    assert _audit(engine, cid) == [(None, "received")]


def test_transition_table_is_consistent():
    assert can_transition("posted", "approved")
    assert not can_transition("published", "approved")
    assert not can_transition("nonsense", "approved")
