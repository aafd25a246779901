"""Modal submissions: the edited reply, the SAC resolution note, the note for customer service. One
behaviour per callback id at module level, given a typed `ViewSubmission` (bolt-python's layout)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.modals import (
    CASE_NOTE_ACTION,
    CASE_NOTE_BLOCK,
    CASE_NOTE_CALLBACK,
    EDIT_CALLBACK,
    FOLLOWUP_ACTION,
    FOLLOWUP_BLOCK,
    NOTE_ACTION,
    NOTE_BLOCK,
    REPLY_ACTION,
    REPLY_BLOCK,
    RESOLVE_CALLBACK,
    default_followup,
)
from bot.comments import decisions
from bot.comments.casefile import load_case
from bot.listeners.common import after_decision, blocking, record_then_ack, services_of, submitted_reply
from bot.listeners.requests import ViewSubmission
from bot.sac import decisions as sac_decisions
from bot.slack.services import BotServices


async def on_edited(services: BotServices, req: ViewSubmission, ack: AsyncAck, client: AsyncWebClient) -> None:
    text = req.value(REPLY_BLOCK, REPLY_ACTION)
    user = await submitted_reply(ack, req.user, text, REPLY_BLOCK, services, client)
    if user is None:
        return
    meta = req.meta()
    proposal_id, channel = meta.get("proposal_id"), meta.get("channel")
    if not isinstance(proposal_id, int):
        await ack()
        return
    outcome = await record_then_ack(ack, decisions.approve_edited, services.engine, proposal_id, user, text)
    await after_decision(services, client, outcome, user, channel or None)


async def on_resolved(services: BotServices, req: ViewSubmission, ack: AsyncAck, client: AsyncWebClient) -> None:
    note = req.value(NOTE_BLOCK, NOTE_ACTION)
    if not note.strip():
        await ack(response_action="errors", errors={NOTE_BLOCK: "Dites ce qui a été fait · say what was done"})
        return
    comment_id = req.meta().get("comment_id")
    if not isinstance(comment_id, int):
        await ack()
        return
    case = await blocking(load_case, services.engine, comment_id)
    platform = case.comment.platform if case else "other"
    private = bool(case and case.comment.private)
    decide = functools.partial(
        sac_decisions.resolve,
        followup=req.choice(FOLLOWUP_BLOCK, FOLLOWUP_ACTION) or default_followup(platform, private),
        now=services.now(),
        sla_for=services.sla_for,
    )
    outcome = await record_then_ack(ack, decide, services.engine, comment_id, req.user, note)
    # The case keeper renders the card again and posts the follow-up proposals in the review thread.
    await after_decision(services, client, outcome, req.user, services.settings.sac_channel)


async def on_noted(services: BotServices, req: ViewSubmission, ack: AsyncAck, client: AsyncWebClient) -> None:
    note = req.value(CASE_NOTE_BLOCK, CASE_NOTE_ACTION)
    if not note.strip():
        await ack(response_action="errors", errors={CASE_NOTE_BLOCK: "La note est vide · the note is empty"})
        return
    comment_id = req.meta().get("comment_id")
    if not isinstance(comment_id, int):
        await ack()
        return
    outcome = await record_then_ack(ack, sac_decisions.add_note, services.engine, comment_id, req.user, note)
    await after_decision(services, client, outcome, req.user, None)


Behaviour = Callable[[BotServices, ViewSubmission, AsyncAck, AsyncWebClient], Any]
HANDLERS: dict[str, Behaviour] = {EDIT_CALLBACK: on_edited, RESOLVE_CALLBACK: on_resolved, CASE_NOTE_CALLBACK: on_noted}


async def handle_view(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Every modal of ours: the typed submission, then its behaviour."""
    await HANDLERS[view["callback_id"]](services_of(context), ViewSubmission.from_bolt(body, view), ack, client)


def register(app: AsyncApp) -> None:
    for callback_id in HANDLERS:
        app.view(callback_id)(handle_view)
