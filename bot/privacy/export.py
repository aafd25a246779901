"""Everything Sowana holds about one person with one brand, as one JSON document a person can read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.db import session_scope
from bot.models import Comment, Conversation, Decision, Escalation, Publication, ThreadMessage, TriageRecord, utcnow
from bot.privacy.erase import Person, held_about

# What a person was sent: public and private replies to a comment, replies in a conversation (#24).
SENT = ("public_reply", "private_reply", "message")

ABOUT = (
    "Données que Sowana conserve sur vous pour cette marque · "
    "The data Sowana holds about you for this brand: your comments and private messages, the replies "
    "sent to you, the team's decisions and notes about them, your private conversations, with their "
    "dates (UTC). Les messages privés sont marqués « private » · private messages are marked `private`."
)


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_person(engine: Engine, person: Person) -> dict[str, Any]:
    """The document (`comments` empty when nothing is held, or everything was erased)."""
    with session_scope(engine) as s:
        ids, found = held_about(s, person)
        conversations = [_conversation(c) for c in found]
        comments = list(s.exec(select(Comment).where(col(Comment.id).in_(ids)).order_by(col(Comment.id))).all())
        items = []
        for c in comments:
            triage = s.exec(select(TriageRecord).where(col(TriageRecord.comment_id) == c.id)).first()
            esc = s.exec(select(Escalation).where(col(Escalation.comment_id) == c.id)).first()
            decisions = s.exec(select(Decision).where(col(Decision.comment_id) == c.id).order_by(col(Decision.id)))
            replies = s.exec(
                select(Publication).where(col(Publication.comment_id) == c.id).order_by(col(Publication.id))
            )
            notes = s.exec(
                select(ThreadMessage).where(col(ThreadMessage.comment_id) == c.id).order_by(col(ThreadMessage.id))
            )
            items.append(
                {
                    "id": c.id,
                    "private": c.private,  # a direct message rather than a public comment
                    "external_id": c.external_id,
                    "author_id": c.author_id,  # a message's sender id (PSID, IGSID) may differ from the public one
                    "author_name": c.author_name,
                    "text": c.text,
                    "url": c.url,
                    "post_id": c.post_id,
                    "attachments": [dict(a) for a in c.attachments or []],  # links, as received
                    "shown_with": c.thread_of,  # the comment whose review thread shows this message
                    "written_at": _when(c.created_at),
                    "received_at": _when(c.received_at),
                    "edited_at": _when(c.edited_at),
                    "deleted_at": _when(c.deleted_at),
                    "state": c.state,
                    "triage": (triage.result if triage else None),
                    "decisions": [
                        {"action": d.action, "at": _when(d.created_at), "edited_text": d.edited_text} for d in decisions
                    ],
                    "replies_sent": [
                        {
                            "text": p.text,
                            "kind": p.target,
                            "stage": p.stage,
                            "status": p.status,
                            "url": p.url,
                            "published_at": _when(p.published_at),
                        }
                        for p in replies
                        if p.target in SENT
                    ],
                    "case": (
                        {
                            "status": esc.status,
                            "opened_at": _when(esc.created_at),
                            "resolved_at": _when(esc.resolved_at),
                            "closed_at": _when(esc.closed_at),
                            "note": esc.note,
                            "resolution_note": esc.resolution_note,
                        }
                        if esc
                        else None
                    ),
                    "team_notes": [{"text": n.text, "at": _when(n.created_at)} for n in notes],
                }
            )
    return {
        "about": ABOUT,
        "brand": person.brand,
        "platform": person.platform,
        "author_id": person.author_id,
        "exported_at": utcnow().isoformat(),
        "comments": items,
        "conversations": conversations,
    }


def _conversation(c: Conversation) -> dict[str, Any]:
    return {
        "platform": c.platform,
        "participant_id": c.participant_id,
        "author_id": c.author_id,
        "started_from": c.anchor_id,  # the comment whose thread the conversation lives in
        "started_at": _when(c.created_at),
        "last_message_at": _when(c.last_inbound_at),
    }
