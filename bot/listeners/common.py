"""Shared by the listeners: running blocking work, refusing, and telling the outcome."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.text import as_text
from bot.comments.decisions import Outcome
from bot.db import flush_unless_duplicate, session_scope
from bot.models import SlackEvent
from bot.slack.services import BotServices

log = logging.getLogger(__name__)
T = TypeVar("T")
SERVICES = "sowana_services"  # where app.py's middleware puts the bot's services in Bolt's context

NOT_ALLOWED = (
    "Vous n'avez pas les droits pour approuver, modifier ou masquer. Rien n'a été fait. · "
    "You are not allowed to approve, edit or hide. Nothing was done."
)


def services_of(context: AsyncBoltContext) -> BotServices:
    """The bot's services, for a handler registered at module level."""
    services: BotServices = context[SERVICES]
    return services


async def blocking(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(fn, *args, **kwargs)


async def record_then_ack(ack: Any, fn: Callable[..., T], *args: Any) -> T:
    """Record the person's decision in the database, then ack. Work after an ack dies with the
    process, so the intent is persisted first (a database write takes milliseconds; Slack waits 3 s)."""
    try:
        return await blocking(fn, *args)
    finally:
        await ack()


async def tell(client: AsyncWebClient, channel: str | None, user: str, text: str) -> None:
    """An ephemeral note only `user` sees (refusals, 'already done', errors); a plain str is escaped."""
    if not channel:
        return
    try:
        await client.chat_postEphemeral(channel=channel, user=user, text=as_text(text))
    except SlackApiError as exc:
        log.warning("could not send an ephemeral message: %s", exc.response.get("error"))


async def answer(
    respond: Any, text: str, blocks: list[dict[str, Any]] | None = None, *, in_channel: bool = False
) -> None:
    """A slash command's answer (through its response_url); a plain str is escaped (bot/blocks/text.py)."""
    await respond(text=as_text(text), blocks=blocks, response_type="in_channel" if in_channel else "ephemeral")


async def after_decision(
    services: BotServices, client: AsyncWebClient, outcome: Outcome, user: str, channel: str | None
) -> None:
    if not outcome.ok:
        await tell(client, channel, user, outcome.message)
        if outcome.tell_thread and outcome.comment_id is not None:  # everyone in the thread must know why
            try:
                await blocking(services.review.thread, outcome.comment_id, outcome.message)
            except Exception:
                log.exception("could not tell the thread why a decision was refused")
        return
    services.wake()
    if outcome.comment_id is not None:
        try:
            await blocking(services.review.refresh, outcome.comment_id)
            if services.cases is not None:
                await blocking(services.cases.sync_followups, outcome.comment_id)
        except Exception:  # the decision is recorded; the message catches up on the next refresh
            log.exception("could not refresh the review message")


def parse_id(value: Any) -> int | None:
    try:
        return int(str(value).split(":", 1)[0])
    except (TypeError, ValueError):
        return None


def first_delivery(services: BotServices, event_id: str | None) -> bool:
    """False when Slack already delivered this event (its retries carry the same event_id)."""
    if not event_id:
        return True
    with session_scope(services.engine, write=True) as s:
        s.add(SlackEvent(event_id=event_id))
        return flush_unless_duplicate(s)


async def submitted_reply(
    ack: Any, user: str, text: str, block_id: str, services: BotServices, client: AsyncWebClient
) -> str | None:
    """The user submitting an edited reply when the text is there and they may approve; else the modal
    stays open with the reason next to the text box (and None)."""
    if not text.strip():
        await ack(response_action="errors", errors={block_id: "Le texte est vide · the text is empty"})
        return None
    if not await services.approvers.allowed(user, client):
        await ack(response_action="errors", errors={block_id: NOT_ALLOWED})
        return None
    return user
