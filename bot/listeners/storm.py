"""Bulk actions on storm-mode summaries: hide all spam of a group, one reply to every comment of it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.modals import submitted_value
from bot.blocks.storm import EDIT_REPLY_ALL, HIDE_ALL, REPLY_ALL, REPLY_TEXT, edit_reply_modal
from bot.comments.decisions import Outcome
from bot.db import session_scope
from bot.listeners.common import NOT_ALLOWED, blocking, parse_id, record_then_ack, submitted_reply, tell
from bot.models import StormGroup
from bot.slack.services import BotServices
from bot.storm import bulk as storm

log = logging.getLogger(__name__)


def register(app: AsyncApp, services: BotServices) -> None:
    async def refresh(client: AsyncWebClient, group_id: int) -> None:
        """Show what was done on the summary (its buttons go)."""
        channel, ts, _ = await blocking(storm.group_place, services.engine, group_id)
        if not ts:
            return
        text, blocks = await blocking(storm.summary_content, services.engine, group_id)
        try:
            await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError as exc:  # recorded already; the summary catches up on the next action
            log.warning("could not update a storm summary: %s", exc.response.get("error"))

    async def done(client: AsyncWebClient, outcome: Outcome, group_id: int, user: str, channel: str | None) -> None:
        if not outcome.ok:
            await tell(client, channel, user, outcome.message)
            return
        services.wake()  # the outbox publishes now
        await refresh(client, group_id)

    async def bulk(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, fn: Any
    ) -> None:
        user, channel = body["user"]["id"], (body.get("channel") or {}).get("id")
        group_id = parse_id(action.get("value"))
        if group_id is None:
            await ack()
            return
        if not await services.approvers.allowed(user, client):
            await ack()
            await tell(client, channel, user, NOT_ALLOWED)
            return
        outcome = await record_then_ack(ack, fn, services.engine, group_id, user)
        await done(client, outcome, group_id, user, channel)

    @app.action(HIDE_ALL)
    async def hide_all(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await bulk(ack, body, action, client, storm.hide_all)

    @app.action(REPLY_ALL)
    async def reply_all(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await bulk(ack, body, action, client, storm.reply_all)

    @app.action(EDIT_REPLY_ALL)
    async def edit_reply(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()  # opens a modal, records nothing: the trigger_id is better used fast
        user, channel = body["user"]["id"], (body.get("channel") or {}).get("id")
        group_id = parse_id(action.get("value"))
        if group_id is None:
            return
        if not await services.approvers.allowed(user, client):
            await tell(client, channel, user, NOT_ALLOWED)
            return
        text, size = await blocking(_reply_and_size, services, group_id)
        await client.views_open(trigger_id=body["trigger_id"], view=edit_reply_modal(group_id, text, size))

    @app.view(EDIT_REPLY_ALL)
    async def edited(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        text = submitted_value(view, REPLY_TEXT, REPLY_TEXT)
        user = await submitted_reply(ack, body, text, REPLY_TEXT, services, client)
        if user is None:
            return
        group_id = parse_id(view.get("private_metadata"))
        if group_id is None:
            await ack()
            return
        outcome = await record_then_ack(ack, storm.reply_all, services.engine, group_id, user, text)
        channel, _, _ = await blocking(storm.group_place, services.engine, group_id)
        await done(client, outcome, group_id, user, channel)


def _reply_and_size(services: BotServices, group_id: int) -> tuple[str, int]:
    with session_scope(services.engine) as s:
        group = s.get(StormGroup, group_id)
        if group is None:
            return "", 0
        comments = [c for c, _ in storm.members(s, group_id)]
        return storm.group_reply(s, group, comments) or "", len(comments)
