"""Modal submissions: the edited reply, the SAC resolution note."""

from __future__ import annotations

import functools
import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
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
    submitted_choice,
    submitted_value,
)
from bot.comments import decisions
from bot.comments.casefile import load_case
from bot.listeners.common import after_decision, blocking, record_then_ack, submitted_reply
from bot.sac import decisions as sac_decisions
from bot.slack.services import BotServices


def register(app: AsyncApp, services: BotServices) -> None:
    @app.view(EDIT_CALLBACK)
    async def edited(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        text = submitted_value(view, REPLY_BLOCK, REPLY_ACTION)
        user = await submitted_reply(ack, body, text, REPLY_BLOCK, services, client)
        if user is None:
            return
        meta = _meta(view)
        proposal_id, channel = meta.get("proposal_id"), meta.get("channel")
        if not isinstance(proposal_id, int):
            await ack()
            return
        outcome = await record_then_ack(ack, decisions.approve_edited, services.engine, proposal_id, user, text)
        await after_decision(services, client, outcome, user, channel or None)

    @app.view(RESOLVE_CALLBACK)
    async def resolved(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        note = submitted_value(view, NOTE_BLOCK, NOTE_ACTION)
        if not note.strip():
            await ack(response_action="errors", errors={NOTE_BLOCK: "Dites ce qui a été fait · say what was done"})
            return
        user = body["user"]["id"]
        comment_id = _meta(view).get("comment_id")
        if not isinstance(comment_id, int):
            await ack()
            return
        case = await blocking(load_case, services.engine, comment_id)
        platform = case.comment.platform if case else "other"
        decide = functools.partial(
            sac_decisions.resolve,
            followup=submitted_choice(view, FOLLOWUP_BLOCK, FOLLOWUP_ACTION) or default_followup(platform),
            now=services.now(),
            sla_for=services.sla_for,
        )
        outcome = await record_then_ack(ack, decide, services.engine, comment_id, user, note)
        # The case keeper renders the card again and posts the follow-up proposals in the review thread.
        await after_decision(services, client, outcome, user, services.settings.sac_channel)

    @app.view(CASE_NOTE_CALLBACK)
    async def noted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        note = submitted_value(view, CASE_NOTE_BLOCK, CASE_NOTE_ACTION)
        if not note.strip():
            await ack(response_action="errors", errors={CASE_NOTE_BLOCK: "La note est vide · the note is empty"})
            return
        comment_id = _meta(view).get("comment_id")
        if not isinstance(comment_id, int):
            await ack()
            return
        outcome = await record_then_ack(
            ack, sac_decisions.add_note, services.engine, comment_id, body["user"]["id"], note
        )
        await after_decision(services, client, outcome, body["user"]["id"], None)


def _meta(view: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}
