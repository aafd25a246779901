"""Customer service's decisions on a case: escalate, claim, note, resolve, and the case closing once
the follow-ups it asked for are out."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from bot.models import Escalation, Publication, State, utcnow
from bot.sac import decisions
from tests.bot.rows import posted_comment, state_of


def case(engine, comment_id: int) -> Escalation:
    with Session(engine) as s:
        esc = s.exec(select(Escalation).where(col(Escalation.comment_id) == comment_id)).one()
        s.expunge(esc)
        return esc


def test_escalating_opens_one_case_and_a_second_click_is_told(engine):
    comment_id, _ = posted_comment(engine)
    assert decisions.escalate(engine, comment_id, "U0CM", note="client fidèle", urgent=True).ok
    assert state_of(engine, comment_id) == State.escalated
    esc = case(engine, comment_id)
    assert (esc.status, esc.requested_by, esc.note, esc.urgent) == ("open", "U0CM", "client fidèle", True)
    again = decisions.escalate(engine, comment_id, "U0OTHER")
    assert not again.ok and again.message


def test_claiming_stops_the_first_response_clock_and_only_one_person_owns_it(engine):
    comment_id, _ = posted_comment(engine)
    opened = utcnow()
    decisions.escalate(engine, comment_id, "U0CM", now=opened)
    assert decisions.claim(engine, comment_id, "U0SAC", now=opened + timedelta(minutes=30)).ok
    esc = case(engine, comment_id)
    assert (esc.status, esc.owner, esc.first_response_seconds) == ("claimed", "U0SAC", 1800.0)
    late = decisions.claim(engine, comment_id, "U0OTHER")
    assert not late.ok and "<@U0SAC>" in late.message  # who owns it, named
    assert not decisions.claim(engine, 999_999, "U0SAC").ok


def test_notes_pile_up_under_the_case_and_an_empty_one_is_refused(engine):
    comment_id, _ = posted_comment(engine)
    decisions.escalate(engine, comment_id, "U0CM")
    assert not decisions.add_note(engine, comment_id, "U0CM", "  ").ok
    assert decisions.add_note(engine, comment_id, "U0CM", "a déjà écrit par courriel").ok
    assert decisions.add_note(engine, comment_id, "U0SAC", "remboursé").ok
    assert case(engine, comment_id).note == "<@U0CM> : a déjà écrit par courriel\n<@U0SAC> : remboursé"


def test_resolving_without_follow_up_closes_the_case_at_once(engine):
    comment_id, _ = posted_comment(engine)
    decisions.escalate(engine, comment_id, "U0CM")
    assert decisions.resolve(engine, comment_id, "U0SAC", "remboursé", followup="none").ok
    esc = case(engine, comment_id)
    assert (esc.status, esc.owner, esc.resolution_note) == ("closed", "U0SAC", "remboursé")
    assert state_of(engine, comment_id) == State.resolved
    assert not decisions.resolve(engine, comment_id, "U0SAC", "encore").ok
    unknown = decisions.resolve(engine, comment_id, "U0SAC", "x", followup="pigeon")
    assert not unknown.ok and "unknown follow-up" in unknown.message


def test_a_resolved_case_closes_when_its_public_follow_up_is_published(engine):
    comment_id, _ = posted_comment(engine)
    decisions.escalate(engine, comment_id, "U0CM")
    decisions.resolve(engine, comment_id, "U0SAC", "remboursé", followup="public")
    with Session(engine) as s:
        assert not decisions.close_case_if_done(s, comment_id)  # nothing published yet
        s.add(
            Publication(
                brand="default",
                comment_id=comment_id,
                target="public_reply",
                stage="followup",
                text="C'est réglé, merci de votre patience.",
                status="published",
            )
        )
        s.flush()
        assert decisions.close_case_if_done(s, comment_id)
        s.commit()
    assert case(engine, comment_id).status == "closed"
    assert state_of(engine, comment_id) == State.published
