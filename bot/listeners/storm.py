"""Bulk actions on storm-mode summaries: hide all spam of a group, one reply to every comment of it.
One behaviour per action id (and the reply modal's callback id) at module level, given a typed request."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.storm import EDIT_REPLY_ALL, HIDE_ALL, REPLY_ALL, REPLY_TEXT, edit_reply_modal
from bot.comments.decisions import Outcome
from bot.db import session_scope
from bot.listeners.common import (
    NOT_ALLOWED,
    blocking,
    parse_id,
    record_then_ack,
    services_of,
    submitted_reply,
    tell,
)
from bot.listeners.requests import ActionRequest, ViewSubmission
from bot.models import StormGroup
from bot.slack.services import BotServices
from bot.storm import bulk

log = logging.getLogger(__name__)


async def refresh(services: BotServices, client: AsyncWebClient, group_id: int) -> None:
    """Show what was done on the summary (its buttons go)."""
    channel, ts, _ = await blocking(bulk.group_place, services.engine, group_id)
    if not ts:
        return
    text, blocks = await blocking(bulk.summary_content, services.engine, group_id)
    try:
        await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    except SlackApiError as exc:  # recorded already; the summary catches up on the next action
        log.warning("could not update a storm summary: %s", exc.response.get("error"))


async def done(
    services: BotServices, client: AsyncWebClient, outcome: Outcome, group_id: int, user: str, channel: str | None
) -> None:
    if not outcome.ok:
        await tell(client, channel, user, outcome.message)
        return
    services.wake()  # the outbox publishes now
    await refresh(services, client, group_id)


async def on_bulk(
    services: BotServices,
    req: ActionRequest,
    ack: AsyncAck,
    client: AsyncWebClient,
    fn: Callable[..., Outcome],
) -> None:
    group_id = parse_id(req.value)
    if group_id is None:
        await ack()
        return
    if not await services.approvers.allowed(req.user, client):
        await ack()
        await tell(client, req.channel, req.user, NOT_ALLOWED)
        return
    outcome = await record_then_ack(ack, fn, services.engine, group_id, req.user)
    await done(services, client, outcome, group_id, req.user, req.channel)


async def on_hide_all(services: BotServices, req: ActionRequest, ack: AsyncAck, client: AsyncWebClient) -> None:
    await on_bulk(services, req, ack, client, bulk.hide_all)


async def on_reply_all(services: BotServices, req: ActionRequest, ack: AsyncAck, client: AsyncWebClient) -> None:
    await on_bulk(services, req, ack, client, bulk.reply_all)


async def on_edit_reply(services: BotServices, req: ActionRequest, ack: AsyncAck, client: AsyncWebClient) -> None:
    await ack()  # opens a modal, records nothing: the trigger_id is better used fast
    group_id = parse_id(req.value)
    if group_id is None:
        return
    if not await services.approvers.allowed(req.user, client):
        await tell(client, req.channel, req.user, NOT_ALLOWED)
        return
    text, size = await blocking(_reply_and_size, services, group_id)
    await client.views_open(trigger_id=req.trigger_id, view=edit_reply_modal(group_id, text, size))


async def on_edited(services: BotServices, req: ViewSubmission, ack: AsyncAck, client: AsyncWebClient) -> None:
    text = req.value(REPLY_TEXT, REPLY_TEXT)
    user = await submitted_reply(ack, req.user, text, REPLY_TEXT, services, client)
    if user is None:
        return
    group_id = parse_id(req.private_metadata)
    if group_id is None:
        await ack()
        return
    outcome = await record_then_ack(ack, bulk.reply_all, services.engine, group_id, user, text)
    channel, _, _ = await blocking(bulk.group_place, services.engine, group_id)
    await done(services, client, outcome, group_id, user, channel)


def _reply_and_size(services: BotServices, group_id: int) -> tuple[str, int]:
    with session_scope(services.engine) as s:
        group = s.get(StormGroup, group_id)
        if group is None:
            return "", 0
        comments = [c for c, _ in bulk.members(s, group_id)]
        return bulk.group_reply(s, group, comments) or "", len(comments)


Behaviour = Callable[[BotServices, ActionRequest, AsyncAck, AsyncWebClient], Any]
HANDLERS: dict[str, Behaviour] = {HIDE_ALL: on_hide_all, REPLY_ALL: on_reply_all, EDIT_REPLY_ALL: on_edit_reply}


async def handle_action(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await HANDLERS[action["action_id"]](services_of(context), ActionRequest.from_bolt(body, action), ack, client)


async def handle_view(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await on_edited(services_of(context), ViewSubmission.from_bolt(body, view), ack, client)


def register(app: AsyncApp) -> None:
    for action_id in HANDLERS:
        app.action(action_id)(handle_action)
    app.view(EDIT_REPLY_ALL)(handle_view)
