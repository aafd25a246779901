"""What customer service decides on a case, recorded in the database (one transaction each): escalate
(the CM hands it over), claim, add a note, resolve with the follow-ups wanted; and closing the case
once those follow-ups are published. Same `Outcome` contract as bot/comments/decisions.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.comments.casefile import FOLLOWUP
from bot.comments.decisions import Outcome, busy, move_or_refuse
from bot.comments.lifecycle import audit, transition_in
from bot.db import session_scope
from bot.models import (
    Comment,
    Decision,
    Escalation,
    Publication,
    State,
    utcnow,
)
from bot.sla import SlaPolicy, business_seconds

# What customer service asks to follow a resolved case with (the resolve modal's choice).
FOLLOWUP_TARGETS: dict[str, tuple[str, ...]] = {
    "public": ("public_reply",),
    "private": ("private_reply",),
    "both": ("public_reply", "private_reply"),
    "none": (),
}


def followup_targets(followup: str | None, private: bool = False) -> tuple[str, ...]:
    """What a resolution's follow-up publishes. A case opened on a direct message (#24) is followed up in
    its conversation, with a message: there is no comment to reply to publicly or privately."""
    targets = FOLLOWUP_TARGETS.get(followup or "none", ())
    return ("message",) if private and targets else targets


def close_case_if_done(s: Session, comment_id: int, actor: str = "outbox") -> bool:
    """Close a resolved case once every follow-up customer service asked for is published; the comment
    is then `published` (its reply is out). Called in the outbox's transaction."""
    esc = s.exec(select(Escalation).where(col(Escalation.comment_id) == comment_id).with_for_update()).first()
    if esc is None or esc.status != "resolved":
        return False
    comment = s.get(Comment, comment_id)
    wanted = set(followup_targets(esc.followup, comment is not None and comment.private))
    out = set(
        s.exec(
            select(Publication.target).where(
                col(Publication.comment_id) == comment_id,
                col(Publication.stage) == FOLLOWUP,
                col(Publication.status) == "published",
            )
        ).all()
    )
    if not wanted <= out:
        return False
    esc.status, esc.closed_at = "closed", utcnow()
    esc.updated_at = esc.closed_at
    s.add(esc)
    if comment is not None and comment.state == State.resolved and wanted:
        transition_in(s, comment_id, State.published, actor=actor, detail={"case": "closed"})
    else:
        audit(s, brand=esc.brand, actor=actor, action="case_closed", comment_id=comment_id)
    return True


def escalate(
    engine: Engine,
    comment_id: int,
    actor: str,
    *,
    note: str | None = None,
    via: str = "button",
    auto: bool = False,
    urgent: bool = False,
    now: datetime | None = None,
) -> Outcome:
    """Hand the case to customer service. The case card is posted by the case keeper (bot/sac/keeper.py),
    so a crash right after this click still ends with a card; the SLA clocks start now."""
    with session_scope(engine, write=True) as s:
        comment = s.get(Comment, comment_id)
        if comment is None:
            return Outcome(False, "Commentaire introuvable · comment not found")
        if comment.state in (State.escalated, State.resolved) or comment.erased_at:
            return busy(comment)
        s.add(Decision(brand=comment.brand, comment_id=comment_id, actor=actor, action="escalate", edited_text=note))
        s.add(
            Escalation(
                brand=comment.brand,
                comment_id=comment_id,
                requested_by=actor,
                note=note,
                auto=auto,
                urgent=urgent,
                created_at=now or utcnow(),
            )
        )
        return move_or_refuse(s, comment_id, State.escalated, actor, detail={"via": via, "auto": auto})


def _open_case(s: Session, comment_id: int) -> Escalation | None:
    return s.exec(select(Escalation).where(col(Escalation.comment_id) == comment_id).with_for_update()).first()


def _elapsed(start: datetime, end: datetime, sla: SlaPolicy | None) -> float:
    return business_seconds(start, end, sla.hours) if sla else max(0.0, (end - start).total_seconds())


def add_note(engine: Engine, comment_id: int, actor: str, note: str) -> Outcome:
    """The CM's note for customer service (what the customer said elsewhere, what to check)."""
    if not note.strip():
        return Outcome(False, "La note est vide · the note is empty", comment_id)
    with session_scope(engine, write=True) as s:
        esc = _open_case(s, comment_id)
        if esc is None:
            return Outcome(False, "Cas introuvable · case not found")
        line = f"<@{actor}> : {note.strip()}"
        esc.note = f"{esc.note}\n{line}" if esc.note else line
        esc.updated_at = utcnow()  # the card shows the note: render it again
        s.add(esc)
        audit(s, brand=esc.brand, actor=actor, action="case_note", comment_id=comment_id)
        return Outcome(True, "", comment_id)


def claim(
    engine: Engine,
    comment_id: int,
    actor: str,
    *,
    now: datetime | None = None,
    sla_for: Callable[[str], SlaPolicy] | None = None,
) -> Outcome:
    """Someone in customer service takes the case: everyone sees who owns it; first response stops."""
    now = now or utcnow()
    with session_scope(engine, write=True) as s:
        esc = _open_case(s, comment_id)
        if esc is None:
            return Outcome(False, "Cas introuvable · case not found")
        if esc.status != "open":
            owner = f"<@{esc.owner}>" if esc.owner else "?"
            return Outcome(False, f"Déjà pris en charge par {owner} · already claimed by {owner}", comment_id)
        esc.status, esc.owner, esc.claimed_at = "claimed", actor, now
        esc.first_response_seconds = _elapsed(esc.created_at, now, sla_for(esc.brand) if sla_for else None)
        esc.updated_at = utcnow()
        s.add(esc)
        s.add(Decision(brand=esc.brand, comment_id=comment_id, actor=actor, action="claim"))
        audit(
            s,
            brand=esc.brand,
            actor=actor,
            action="claim",
            comment_id=comment_id,
            detail={"first_response_seconds": esc.first_response_seconds},
        )
        return Outcome(True, "", comment_id)


def resolve(
    engine: Engine,
    comment_id: int,
    actor: str,
    note: str,
    *,
    followup: str = "public",
    now: datetime | None = None,
    sla_for: Callable[[str], SlaPolicy] | None = None,
) -> Outcome:
    """Customer service closes its part with a note of what was done and the follow-ups wanted (a public
    reply, a private reply, both, or none); resolution stops. With none, the case is closed at once."""
    if followup not in FOLLOWUP_TARGETS:
        return Outcome(False, f"Suite inconnue · unknown follow-up: {followup}", comment_id)
    now = now or utcnow()
    with session_scope(engine, write=True) as s:
        comment = s.get(Comment, comment_id)
        esc = _open_case(s, comment_id)
        if comment is None or esc is None:
            return Outcome(False, "Cas introuvable · case not found")
        if esc.status in ("resolved", "closed") or comment.state != State.escalated:
            return busy(comment)
        esc.status, esc.owner, esc.resolution_note, esc.resolved_at = "resolved", esc.owner or actor, note, now
        esc.followup = followup
        sla = sla_for(esc.brand) if sla_for else None
        if esc.claimed_at is None:
            esc.claimed_at = now
            esc.first_response_seconds = _elapsed(esc.created_at, now, sla)
        esc.resolution_seconds = _elapsed(esc.created_at, now, sla)
        esc.updated_at = utcnow()
        if followup == "none":
            esc.status, esc.closed_at = "closed", now
        s.add(esc)
        s.add(Decision(brand=comment.brand, comment_id=comment_id, actor=actor, action="resolve", edited_text=note))
        transition_in(
            s,
            comment_id,
            State.resolved,
            actor=actor,
            expected_from=State.escalated,
            detail={"followup": followup, "resolution_seconds": esc.resolution_seconds},
        )
        return Outcome(True, "", comment_id)
