"""What the team decides in Slack, recorded in the database (one transaction each).

Every function returns an `Outcome`: ok, or a short bilingual reason the person is told in an
ephemeral message. Publishing itself is the outbox's job; here we only record the intent, so a
crash after the click loses nothing and a second click publishes nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from bot.comments.casefile import FOLLOWUP
from bot.comments.lifecycle import IllegalTransition, audit, transition_in
from bot.comments.messages import closed_window
from bot.db import flush_unless_duplicate, session_scope
from bot.models import (
    ChannelSetting,
    Comment,
    Decision,
    Escalation,
    Proposal,
    Publication,
    State,
    ThreadMessage,
    TriageCorrection,
    TriageRecord,
    utcnow,
)

VOTE = "approve_vote"  # one person's approval of a creative proposal that needs two
ALREADY_VOTED = (
    "Vous avez déjà approuvé : une deuxième personne doit approuver cette réponse créative. · "
    "You already approved: a second person must approve this creative reply."
)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str = ""
    comment_id: int | None = None
    # A refusal the whole thread must read, not only the person who clicked (a reply window closed).
    tell_thread: bool = False


def window_refusal(s: Session, comment: Comment, target: str, now: datetime | None = None) -> Outcome | None:
    """The refusal of a private answer past the platform's reply window (#24), decided before any
    platform call and audited; None while the window is open or the platform has none."""
    closed = closed_window(s, comment, target, now or utcnow())
    if closed is None:
        return None
    window, why = closed
    audit(
        s,
        brand=comment.brand,
        actor="sowana",
        action="window_closed",
        comment_id=comment.id,
        detail={"target": target, "closed_at": window.closes_at.isoformat()},
    )
    return Outcome(False, why, comment.id, tell_thread=True)


STATE_EXPLAINED = {
    "approved": "déjà approuvé · already approved",
    "edited": "déjà approuvé (modifié) · already approved (edited)",
    "published": "déjà publié · already published",
    "hidden": "masqué · hidden",
    "escalated": "escaladé au SAC · escalated to customer service",
    "resolved": "résolu par le SAC · resolved by customer service",
    "failed": "en échec · failed",
    "triaged": "en cours de reformulation · being redrafted",
}


def busy(comment: Comment) -> Outcome:
    """The refusal told when the comment has already moved on (approved, hidden, escalated…)."""
    why = STATE_EXPLAINED.get(comment.state, comment.state)
    if comment.deleted_at:
        why = "supprimé par son auteur · deleted by its author"
    if comment.erased_at:  # nothing is published, drafted or escalated about an erased person (#23)
        why = "effacé à la demande de la personne · erased at the person's request"
    return Outcome(
        False, f"Rien n'a été fait : ce commentaire est {why}. · Nothing done: this comment is {why}.", comment.id
    )


def move_or_refuse(
    s: Session,
    comment_id: int,
    to_state: State,
    actor: str,
    *,
    expected_from: State | None = None,
    detail: dict[str, Any] | None = None,
) -> Outcome:
    """Write the rows added to `s` and move the comment, or refuse when someone was faster: the
    unique constraints (one publication per comment and target, one escalation per comment) and the
    state's compare-and-set make a second click stop here, whatever the timing."""
    try:
        s.flush()
        transition_in(s, comment_id, to_state, actor=actor, expected_from=expected_from, detail=detail)
    except (IntegrityError, IllegalTransition):
        s.rollback()
        fresh = s.get(Comment, comment_id)
        assert fresh is not None
        return busy(fresh)
    return Outcome(True, "", comment_id)


def _one(_brand: str) -> int:
    return 1


def add_reply(
    s: Session,
    comment: Comment,
    actor: str,
    action: str,
    text: str,
    *,
    proposal: Proposal | None = None,
    target: str = "public_reply",
    stage: str = "review",
    edited_text: str | None = None,
) -> Decision:
    """A decision to publish `text` and its outbox job, in the caller's transaction. The publication's
    unique (comment, target, stage) makes a second one fail at flush: the caller turns that into a refusal."""
    assert comment.id is not None
    decision = Decision(
        brand=comment.brand,
        comment_id=comment.id,
        proposal_id=proposal.id if proposal else None,
        actor=actor,
        action=action,
        original_text=proposal.text if proposal else None,
        edited_text=edited_text,
    )
    s.add(decision)
    s.flush()
    s.add(
        Publication(
            brand=comment.brand,
            comment_id=comment.id,
            proposal_id=decision.proposal_id,
            decision_id=decision.id,
            target=target,
            stage=stage,
            text=text,
            requested_by=actor,
        )
    )
    return decision


def _approve(
    engine: Engine, proposal_id: int, actor: str, text: str | None, via: str, approvals_for: Callable[[str], int] = _one
) -> Outcome:
    edited = text is not None
    with session_scope(engine, write=True) as s:
        proposal = s.get(Proposal, proposal_id)
        if proposal is None:
            return Outcome(False, f"Proposition {proposal_id} introuvable · proposal not found")
        # Lock the comment (PostgreSQL): decisions on one comment happen one after the other, so two
        # people approving at once are counted as two.
        comment = s.get(Comment, proposal.comment_id, with_for_update=True)
        assert comment is not None and comment.id is not None
        if comment.erased_at:
            return busy(comment)
        if proposal.variant == FOLLOWUP:
            return _approve_followup(s, comment, proposal, actor, text, via)
        holding = comment.state == State.escalated  # a reply while customer service works on the case
        if comment.state not in (State.posted, State.escalated) or comment.deleted_at:
            return busy(comment)
        if edited and not (text or "").strip():
            return Outcome(False, "Le texte est vide · the text is empty", comment.id)
        target = "message" if comment.private else "public_reply"
        closed = window_refusal(s, comment, target)
        if closed is not None:
            return closed
        latest = s.exec(select(func.max(Proposal.round)).where(col(Proposal.comment_id) == comment.id)).one()
        if proposal.round != latest:
            return Outcome(False, "Cette proposition a été remplacée · this proposal was replaced", comment.id)
        approvals = approvals_for(comment.brand)
        if proposal.kind == "creative" and approvals > 1 and not edited:
            voters = set(
                s.exec(
                    select(Decision.actor).where(col(Decision.proposal_id) == proposal_id, col(Decision.action) == VOTE)
                ).all()
            )
            if actor in voters:
                return Outcome(False, ALREADY_VOTED, comment.id)
            if len(voters) + 1 < approvals:
                s.add(
                    Decision(
                        brand=comment.brand,
                        comment_id=comment.id,
                        proposal_id=proposal_id,
                        actor=actor,
                        action=VOTE,
                        original_text=proposal.text,
                    )
                )
                audit(
                    s,
                    brand=comment.brand,
                    actor=actor,
                    action=VOTE,
                    comment_id=comment.id,
                    detail={"proposal_id": proposal_id, "votes": len(voters) + 1, "needed": approvals},
                )
                return Outcome(True, "", comment.id)
        add_reply(
            s,
            comment,
            actor,
            "edit" if edited else "approve",
            text if text is not None else proposal.text,
            proposal=proposal,
            target=target,
            edited_text=text,
        )
        if holding:
            return _reply_or_refuse(
                s,
                comment,
                actor,
                "holding_reply",
                "Une réponse est déjà partie · a reply was already sent",
                {"proposal_id": proposal_id, "via": via, "edited": edited},
            )
        return move_or_refuse(
            s,
            comment.id,
            State.edited if edited else State.approved,
            actor,
            expected_from=State.posted,
            detail={"proposal_id": proposal_id, "via": via},
        )


def _approve_followup(
    s: Session, comment: Comment, proposal: Proposal, actor: str, text: str | None, via: str
) -> Outcome:
    """A follow-up of a resolved case (public or private reply): one publication per target, and the
    case closes when every follow-up customer service asked for is out (see `close_case_if_done`)."""
    assert comment.id is not None and proposal.id is not None
    esc = s.exec(select(Escalation).where(col(Escalation.comment_id) == comment.id)).first()
    if esc is None or esc.status != "resolved" or comment.state != State.resolved:
        return busy(comment)
    if text is not None and not text.strip():
        return Outcome(False, "Le texte est vide · the text is empty", comment.id)
    closed = window_refusal(s, comment, proposal.target)
    if closed is not None:
        return closed
    action = "followup_edit" if text is not None else "followup_approve"
    reply = text if text is not None else proposal.text
    add_reply(
        s, comment, actor, action, reply, proposal=proposal, target=proposal.target, stage=FOLLOWUP, edited_text=text
    )
    return _reply_or_refuse(
        s,
        comment,
        actor,
        action,
        "Déjà approuvée · already approved",
        {"proposal_id": proposal.id, "target": proposal.target, "via": via},
    )


def _reply_or_refuse(
    s: Session, comment: Comment, actor: str, action: str, refusal: str, detail: dict[str, Any]
) -> Outcome:
    """Write a reply that moves no state (holding reply, follow-up): the publication's unique key
    refuses a second one for the same target and stage; else it is audited."""
    assert comment.id is not None
    if not flush_unless_duplicate(s):
        return Outcome(False, refusal, comment.id)
    audit(s, brand=comment.brand, actor=actor, action=action, comment_id=comment.id, detail=detail)
    return Outcome(True, "", comment.id)


def approve(
    engine: Engine, proposal_id: int, actor: str, *, via: str = "button", approvals_for: Callable[[str], int] = _one
) -> Outcome:
    """Approve a proposal for publication. A brand may want its creative proposals approved by
    `approvals_for(brand)` distinct people: before the last one, each approval is recorded as a vote."""
    return _approve(engine, proposal_id, actor, None, via, approvals_for)


def approve_edited(engine: Engine, proposal_id: int, actor: str, text: str) -> Outcome:
    return _approve(engine, proposal_id, actor, text, "edit_modal")


def first_proposal(engine: Engine, comment_id: int) -> int | None:
    """The proposal a ✅ reaction approves: the first one of the latest round."""
    with session_scope(engine) as s:
        latest = s.exec(select(func.max(Proposal.round)).where(col(Proposal.comment_id) == comment_id)).one()
        return s.exec(
            select(Proposal.id)
            .where(col(Proposal.comment_id) == comment_id, col(Proposal.round) == latest)
            .order_by(col(Proposal.id))
        ).first()


def hide(engine: Engine, comment_id: int, actor: str, *, via: str = "button") -> Outcome:
    with session_scope(engine, write=True) as s:
        comment = s.get(Comment, comment_id)
        if comment is None:
            return Outcome(False, "Commentaire introuvable · comment not found")
        if comment.private:
            return Outcome(
                False,
                "Un message privé ne se masque pas : seuls les commentaires publics le peuvent. · "
                "A private message cannot be hidden: only public comments can.",
                comment_id,
            )
        if comment.state == State.hidden:
            return busy(comment)
        s.add(Decision(brand=comment.brand, comment_id=comment_id, actor=actor, action="hide"))
        s.add(Publication(brand=comment.brand, comment_id=comment_id, target="hide", text="", requested_by=actor))
        return move_or_refuse(s, comment_id, State.hidden, actor, detail={"via": via})


def redraft(engine: Engine, comment_id: int, actor: str, *, persona: str | None = None) -> Outcome:
    with session_scope(engine, write=True) as s:
        comment = s.get(Comment, comment_id)
        if comment is None:
            return Outcome(False, "Commentaire introuvable · comment not found")
        if comment.state != State.posted or comment.deleted_at or comment.erased_at:
            return busy(comment)
        comment.redraft_persona = persona
        s.add(comment)
        s.add(Decision(brand=comment.brand, comment_id=comment_id, actor=actor, action="redraft", edited_text=persona))
        try:
            transition_in(
                s,
                comment_id,
                State.triaged,
                actor=actor,
                expected_from=State.posted,
                detail={"redraft": True, "persona": persona},
            )
        except IllegalTransition:
            s.rollback()
            return Outcome(False, "Déjà en cours · already in progress", comment_id)
        return Outcome(True, "", comment_id)


def retry(engine: Engine, comment_id: int, actor: str) -> Outcome:
    """A failed comment goes back where it failed; a failed publication becomes pending again."""
    with session_scope(engine, write=True) as s:
        comment = s.get(Comment, comment_id)
        if comment is None:
            return Outcome(False, "Commentaire introuvable · comment not found")
        failed = s.exec(
            select(Publication).where(col(Publication.comment_id) == comment_id, col(Publication.status) == "failed")
        ).all()
        if not failed and comment.state != State.failed:
            return Outcome(False, "Rien à réessayer · nothing to retry", comment_id)
        for pub in failed:
            pub.status, pub.lease_until, pub.lease_owner, pub.attempts = "pending", None, None, 0
            s.add(pub)
        if comment.state == State.failed and comment.failed_from:
            transition_in(s, comment_id, comment.failed_from, actor=actor, detail={"retry": True})
        else:
            audit(s, brand=comment.brand, actor=actor, action="retry", comment_id=comment_id)
        return Outcome(True, "", comment_id)


def correct_triage(engine: Engine, comment_id: int, actor: str, field: str, value: str | bool) -> Outcome:
    """Record a reviewer's correction and apply it to the shown triage."""
    with session_scope(engine, write=True) as s:
        comment = s.get(Comment, comment_id)
        if comment is None:
            return Outcome(False, "Commentaire introuvable · comment not found")
        s.add(
            TriageCorrection(
                brand=comment.brand, comment_id=comment_id, actor=actor, text=comment.text, labels={field: value}
            )
        )
        record = s.exec(select(TriageRecord).where(col(TriageRecord.comment_id) == comment_id)).first()
        if record is not None and record.result is not None:
            record.result = {**record.result, field: value, "corrected_by": actor}
            s.add(record)
        audit(
            s,
            brand=comment.brand,
            actor=actor,
            action="triage_correction",
            comment_id=comment_id,
            detail={field: value},
        )
        return Outcome(True, "", comment_id)


def set_channel_persona(engine: Engine, channel: str, brand: str, persona: str, actor: str) -> None:
    with session_scope(engine, write=True) as s:
        row = s.get(ChannelSetting, channel) or ChannelSetting(channel=channel, brand=brand)
        row.persona, row.updated_by, row.updated_at = persona, actor, utcnow()
        s.add(row)
        audit(s, brand=brand, actor=actor, action="persona", detail={"channel": channel, "persona": persona})


def record_thread_message(
    engine: Engine, comment_id: int, channel: str, ts: str, thread_ts: str, user: str, text: str
) -> bool:
    """Keep team talk from a review thread; False when Slack delivered it before (a retry)."""
    with session_scope(engine, write=True) as s:
        comment = s.get(Comment, comment_id)
        if comment is None:
            return False
        s.add(
            ThreadMessage(
                brand=comment.brand,
                comment_id=comment_id,
                channel=channel,
                ts=ts,
                thread_ts=thread_ts,
                user=user,
                text=text,
            )
        )
        return flush_unless_duplicate(s)
