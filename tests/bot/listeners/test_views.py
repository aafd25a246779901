"""Modal submissions, called with a typed `ViewSubmission`: an empty or refused submission keeps the
modal open with the reason next to the box; a good one is recorded, then acked."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.blocks.modals import (
    CASE_NOTE_ACTION,
    CASE_NOTE_BLOCK,
    NOTE_ACTION,
    NOTE_BLOCK,
    REPLY_ACTION,
    REPLY_BLOCK,
    edit_modal,
    resolve_modal,
)
from bot.listeners import views
from bot.listeners.common import NOT_ALLOWED
from bot.listeners.requests import ViewSubmission
from bot.models import State
from bot.sac import decisions as sac_decisions
from tests.bot.listeners.fakes import FakeClient, Recorder, services
from tests.bot.rows import posted_comment, state_of


def submitted(view: dict[str, Any], block: str, action: str, value: str, user: str = "U0CM") -> ViewSubmission:
    view = {**view, "state": {"values": {block: {action: {"value": value}}}}}
    return ViewSubmission.from_bolt({"user": {"id": user}}, view)


def run(handler: Any, bot: Any, req: ViewSubmission) -> tuple[Recorder, FakeClient]:
    ack, client = Recorder(), FakeClient()
    asyncio.run(handler(bot, req, ack, client))
    return ack, client


def test_an_edited_reply_is_published_as_typed(engine):
    comment_id, (proposal_id,) = posted_comment(engine)
    bot, review, _ = services(engine)
    modal = edit_modal(proposal_id, "Bonjour", "Question", "facebook", "C0REVIEW")
    ack, _ = run(views.on_edited, bot, submitted(modal, REPLY_BLOCK, REPLY_ACTION, "Bonjour Julie, c'est réglé."))
    assert ack.calls == [{}]
    assert state_of(engine, comment_id) == State.edited and review.refreshed == [comment_id]


def test_an_empty_or_refused_edit_keeps_the_modal_open_with_the_reason(engine):
    comment_id, (proposal_id,) = posted_comment(engine)
    modal = edit_modal(proposal_id, "Bonjour", "Question", "facebook", "C0REVIEW")
    bot, _, _ = services(engine)
    ack, _ = run(views.on_edited, bot, submitted(modal, REPLY_BLOCK, REPLY_ACTION, "  "))
    assert ack.calls == [
        {"response_action": "errors", "errors": {REPLY_BLOCK: "Le texte est vide · the text is empty"}}
    ]
    strict, _, _ = services(engine, approvers=("U0LEAD",))
    ack, _ = run(views.on_edited, strict, submitted(modal, REPLY_BLOCK, REPLY_ACTION, "Bonjour", user="U0INTERN"))
    assert ack.calls == [{"response_action": "errors", "errors": {REPLY_BLOCK: NOT_ALLOWED}}]
    assert state_of(engine, comment_id) == State.posted


def test_resolving_needs_a_note_then_records_the_resolution(engine):
    comment_id, _ = posted_comment(engine)
    sac_decisions.escalate(engine, comment_id, "U0CM")
    bot, _, _ = services(engine)
    modal = resolve_modal(comment_id, "Question", "facebook")
    ack, _ = run(views.on_resolved, bot, submitted(modal, NOTE_BLOCK, NOTE_ACTION, ""))
    assert ack.calls[0]["response_action"] == "errors" and NOTE_BLOCK in ack.calls[0]["errors"]
    ack, _ = run(views.on_resolved, bot, submitted(modal, NOTE_BLOCK, NOTE_ACTION, "Remboursé le 3 mars", user="U0SAC"))
    assert ack.calls == [{}] and state_of(engine, comment_id) == State.resolved


def test_a_note_for_customer_service_is_added_to_the_case(engine):
    comment_id, _ = posted_comment(engine)
    sac_decisions.escalate(engine, comment_id, "U0CM")
    bot, _, _ = services(engine)
    modal = {"private_metadata": f'{{"comment_id": {comment_id}}}'}
    ack, _ = run(views.on_noted, bot, submitted(modal, CASE_NOTE_BLOCK, CASE_NOTE_ACTION, "a rappelé hier"))
    assert ack.calls == [{}]


def test_metadata_that_is_not_ours_is_acked_and_ignored(engine):
    bot, review, _ = services(engine)
    for raw in ("not json", "[1, 2]", '{"proposal_id": "7"}'):
        ack, _ = run(views.on_edited, bot, submitted({"private_metadata": raw}, REPLY_BLOCK, REPLY_ACTION, "Bonjour"))
        assert ack.calls == [{}]
    assert review.refreshed == []
