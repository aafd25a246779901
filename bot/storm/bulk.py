"""Storm mode's bulk actions on a whole group (hide them all, reply to them all, each with its own
Decision and Publication row) and what the group's summary message shows."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from bot.blocks.storm import GroupView, MemberView, summary_message
from bot.comments.decisions import Outcome, add_reply
from bot.comments.lifecycle import IllegalTransition, audit, transition_in
from bot.db import session_scope
from bot.models import (
    Comment,
    Decision,
    Proposal,
    Publication,
    SlackOutgoing,
    State,
    StormGroup,
)
from bot.storm.plan import impersonal

log = logging.getLogger(__name__)

# --- reading a group ----------------------------------------------------------------------------


def members(s: Session, group_id: int) -> list[tuple[Comment, SlackOutgoing]]:
    return [
        (c, j)
        for j, c in s.execute(
            select(SlackOutgoing, Comment)
            .join(Comment, col(Comment.id) == col(SlackOutgoing.comment_id))
            .where(col(SlackOutgoing.group_id) == group_id, col(SlackOutgoing.kind) == "review")
            .order_by(col(SlackOutgoing.id))
        ).all()
    ]


def group_reply(s: Session, group: StormGroup, comments: list[Comment]) -> str | None:
    """The reply offered to all: the group's own if someone wrote it, else the first member's first
    proposal, made impersonal."""
    if group.reply_text:
        return group.reply_text
    for comment in comments:
        latest = s.execute(select(func.max(Proposal.round)).where(col(Proposal.comment_id) == comment.id)).scalar()
        proposal = s.execute(
            select(Proposal)
            .where(col(Proposal.comment_id) == comment.id, col(Proposal.round) == latest)
            .order_by(col(Proposal.id))
            .limit(1)
        ).scalar_one_or_none()
        if proposal is not None:
            return impersonal(proposal.text, comment.author_name)
    return None


def summary_content(engine: Engine, group_id: int) -> tuple[str, list[dict[str, Any]]]:
    with session_scope(engine) as s:
        group = s.get(StormGroup, group_id)
        assert group is not None
        found = members(s, group_id)
        comments = [c for c, _ in found]
        reply = group_reply(s, group, comments)
        view = GroupView(group.id or 0, group.kind, group.label, group.action, group.action_by, group.reply_text)
    return summary_message(view, [MemberView(c.id or 0, c.author_name, c.text, c.state) for c in comments], reply)


def group_place(engine: Engine, group_id: int) -> tuple[str, str | None, int]:
    """(channel, summary ts, members) of a group."""
    with session_scope(engine) as s:
        group = s.get(StormGroup, group_id)
        assert group is not None
        return group.channel, group.ts, group.size


# --- bulk actions -------------------------------------------------------------------------------


def hide_all(engine: Engine, group_id: int, actor: str) -> Outcome:
    """Hide every member still waiting for the team (each once: one hide Publication per comment)."""
    return _bulk(engine, group_id, actor, "hide", None)


def reply_all(engine: Engine, group_id: int, actor: str, text: str | None = None) -> Outcome:
    """One reply approved for every member still waiting: a Decision and a public_reply Publication
    each (the unique constraint makes a second click publish nothing twice)."""
    return _bulk(engine, group_id, actor, "reply", text)


def _bulk(engine: Engine, group_id: int, actor: str, action: str, text: str | None) -> Outcome:
    with session_scope(engine, write=True) as s:
        group = s.get(StormGroup, group_id, with_for_update=True)
        if group is None:
            return Outcome(False, "Groupe introuvable · group not found")
        if group.action:
            return Outcome(False, "Déjà fait · already done")
        if group.ts is None:
            return Outcome(False, "Ce groupe n'est pas encore affiché · this group is not shown yet")
        comments = [c for c, _ in members(s, group_id)]
        if action == "reply":
            text = (text or "").strip() or group_reply(s, group, comments)
            if not text:
                return Outcome(False, "Pas de réponse à publier · no reply to publish")
        done = 0
        for comment in comments:
            assert comment.id is not None
            if comment.state != State.posted or comment.deleted_at:
                continue
            try:
                with s.begin_nested():
                    if action == "hide":
                        s.add(Decision(brand=comment.brand, comment_id=comment.id, actor=actor, action="hide"))
                        s.add(
                            Publication(
                                brand=comment.brand, comment_id=comment.id, target="hide", text="", requested_by=actor
                            )
                        )
                        s.flush()
                        transition_in(
                            s,
                            comment.id,
                            State.hidden,
                            actor=actor,
                            expected_from=State.posted,
                            detail={"via": "storm"},
                        )
                    else:
                        assert text is not None
                        add_reply(s, comment, actor, "approve", text, edited_text=text)
                        s.flush()
                        transition_in(
                            s,
                            comment.id,
                            State.approved,
                            actor=actor,
                            expected_from=State.posted,
                            detail={"via": "storm", "group": group_id},
                        )
                done += 1
            except (IntegrityError, IllegalTransition):
                continue  # someone acted on this one already: nothing twice
        group.action, group.action_by = action, actor
        if action == "reply":
            group.reply_text = text
        s.add(group)
        audit(s, brand=group.brand, actor=actor, action=f"storm_{action}_all", detail={"group": group_id, "n": done})
    return Outcome(True, f"{done}")
