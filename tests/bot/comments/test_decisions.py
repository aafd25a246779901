"""The team's decisions on a review message, recorded in the database: what the person sees (an
`Outcome` with a bilingual reason when refused) and what happens next (the publication waiting in the
outbox, the comment's state)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from bot.comments import decisions
from bot.models import AuditLog, Publication, State, TriageCorrection
from tests.bot.rows import posted_comment, state_of


def publications(engine, comment_id: int) -> list[Publication]:
    with Session(engine) as s:
        return list(s.exec(select(Publication).where(col(Publication.comment_id) == comment_id)).all())


def test_approving_queues_one_publication_and_a_second_click_is_told_it_is_done(engine):
    comment_id, (proposal_id,) = posted_comment(engine)
    first = decisions.approve(engine, proposal_id, "U0CM")
    assert first.ok and first.comment_id == comment_id
    assert state_of(engine, comment_id) == State.approved
    (pub,) = publications(engine, comment_id)
    assert (pub.target, pub.status, pub.text, pub.requested_by) == (
        "public_reply",
        "pending",
        "Bonjour Julie, réponse serious.",
        "U0CM",
    )
    again = decisions.approve(engine, proposal_id, "U0OTHER")
    assert not again.ok and "already approved" in again.message
    assert len(publications(engine, comment_id)) == 1  # nothing published twice


def test_an_edited_reply_is_published_as_typed_and_an_empty_one_is_refused(engine):
    comment_id, (proposal_id,) = posted_comment(engine)
    empty = decisions.approve_edited(engine, proposal_id, "U0CM", "   ")
    assert not empty.ok and "empty" in empty.message
    assert decisions.approve_edited(engine, proposal_id, "U0CM", "Bonjour Julie, on s'en occupe.").ok
    assert state_of(engine, comment_id) == State.edited
    assert [p.text for p in publications(engine, comment_id)] == ["Bonjour Julie, on s'en occupe."]


def test_a_creative_reply_needing_two_people_waits_for_a_second_one(engine):
    comment_id, (proposal_id,) = posted_comment(engine, kinds=("creative",))
    two = lambda _brand: 2  # noqa: E731
    vote = decisions.approve(engine, proposal_id, "U0CM", approvals_for=two)
    assert vote.ok and state_of(engine, comment_id) == State.posted  # a vote, nothing published yet
    same = decisions.approve(engine, proposal_id, "U0CM", approvals_for=two)
    assert not same.ok and same.message == decisions.ALREADY_VOTED
    assert decisions.approve(engine, proposal_id, "U0LEAD", approvals_for=two).ok
    assert state_of(engine, comment_id) == State.approved
    assert len(publications(engine, comment_id)) == 1


def test_hiding_queues_the_hide_and_the_reaction_counts_once(engine):
    comment_id, _ = posted_comment(engine)
    assert decisions.hide(engine, comment_id, "U0CM", via="reaction").ok
    assert state_of(engine, comment_id) == State.hidden
    assert [p.target for p in publications(engine, comment_id)] == ["hide"]
    assert not decisions.hide(engine, comment_id, "U0CM").ok
    assert not decisions.hide(engine, 999_999, "U0CM").ok


def test_the_first_proposal_is_what_a_check_mark_approves(engine):
    comment_id, ids = posted_comment(engine, kinds=("serious", "creative"))
    assert decisions.first_proposal(engine, comment_id) == ids[0]


def test_redraft_sends_the_comment_back_to_drafting_and_keeps_nothing_approved(engine):
    comment_id, (proposal_id,) = posted_comment(engine)
    assert decisions.redraft(engine, comment_id, "U0CM").ok
    assert state_of(engine, comment_id) == State.triaged
    assert not decisions.approve(engine, proposal_id, "U0CM").ok  # the message is being redrafted


def test_a_triage_correction_is_kept_for_learning(engine):
    comment_id, _ = posted_comment(engine)
    assert decisions.correct_triage(engine, comment_id, "U0CM", "intent", "complaint").ok
    with Session(engine) as s:
        (row,) = s.exec(select(TriageCorrection)).all()
        audited = s.exec(select(AuditLog.action).where(col(AuditLog.comment_id) == comment_id)).all()
    assert (row.comment_id, row.actor, row.labels) == (comment_id, "U0CM", {"intent": "complaint"})
    assert "triage_correction" in audited
    assert not decisions.correct_triage(engine, 999_999, "U0CM", "intent", "praise").ok
