"""Events API: reactions on review messages, team talk in their threads, mentions of the bot. One
behaviour per event at module level, given a typed request (bolt-python's layout)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.comments import decisions
from bot.comments.casefile import find_by_message
from bot.comments.decisions import Outcome
from bot.db import session_scope
from bot.listeners.common import NOT_ALLOWED, after_decision, blocking, first_delivery, services_of, tell
from bot.listeners.requests import MessageRequest, ReactionRequest
from bot.models import SlackEvent
from bot.sac import decisions as sac_decisions
from bot.slack.services import BotServices

APPROVE_REACTION, ESCALATE_REACTION, HIDE_REACTION = "white_check_mark", "sos", "no_entry_sign"
REACTION_DONE = "sowana_reaction_done"  # what the middleware recorded, for the listener after the ack


@dataclass(frozen=True)
class ReactionDone:
    """What a reaction decided (recorded), and whom to tell: `outcome`, or a refusal `note`."""

    user: str
    channel: str
    outcome: Outcome | None = None
    note: str | None = None


def delivered_before(services: BotServices, event_id: str | None) -> bool:
    """True when an earlier delivery of this event was fully handled (its retries carry the same id)."""
    if not event_id:
        return False
    with session_scope(services.engine) as s:
        return s.get(SlackEvent, event_id) is not None


async def record_reaction(services: BotServices, req: ReactionRequest, client: AsyncWebClient) -> ReactionDone | None:
    """Decide what a reaction on a review message does and record it, before the event is acked: a crash
    before the ack makes Slack deliver it again, and the decisions are compare-and-set, so a retry of a
    reaction recorded just before the crash applies nothing twice. The event is marked handled last."""
    name = req.reaction
    if name not in (APPROVE_REACTION, ESCALATE_REACTION, HIDE_REACTION) or req.item_type != "message":
        return None
    post = await blocking(find_by_message, services.engine, req.channel, req.ts)
    if post is None or post.kind != "review":
        return None  # not one of our review messages
    if await blocking(delivered_before, services, req.event_id):
        return None  # Slack's retry of an event we already handled
    done = await _decide(services, req, client, post.comment_id, post.channel)
    await blocking(first_delivery, services, req.event_id)
    return done


async def _decide(
    services: BotServices, req: ReactionRequest, client: AsyncWebClient, comment_id: int, channel: str
) -> ReactionDone:
    name, user = req.reaction, req.user
    if name == ESCALATE_REACTION:
        escalate = functools.partial(sac_decisions.escalate, via="reaction", now=services.now())
        return ReactionDone(user, channel, await blocking(escalate, services.engine, comment_id, user))
    if not await services.approvers.allowed(user, client):
        return ReactionDone(user, channel, note=NOT_ALLOWED)
    if name == HIDE_REACTION:
        outcome = await blocking(decisions.hide, services.engine, comment_id, user, via="reaction")
        return ReactionDone(user, channel, outcome)
    proposal_id = await blocking(decisions.first_proposal, services.engine, comment_id)
    if proposal_id is None:
        return ReactionDone(user, channel, note="Aucune proposition à approuver · no proposal to approve")
    outcome = await blocking(
        decisions.approve,
        services.engine,
        proposal_id,
        user,
        via="reaction",
        approvals_for=services.creative_approvals,
    )
    return ReactionDone(user, channel, outcome)


async def after_reaction(services: BotServices, client: AsyncWebClient, done: ReactionDone | None) -> None:
    """After the ack: refresh the review message, or tell the person why nothing was done."""
    if done is None:
        return
    if done.outcome is None:
        await tell(client, done.channel, done.user, done.note or "")
        return
    await after_decision(services, client, done.outcome, done.user, done.channel)


async def on_reaction(services: BotServices, req: ReactionRequest, client: AsyncWebClient) -> None:
    """Record, then follow up (in one go: for callers that are not behind Bolt's ack)."""
    await after_reaction(services, client, await record_reaction(services, req, client))


async def on_message(services: BotServices, req: MessageRequest) -> None:
    # Team talk in a review thread is stored, never published. Bot posts and edits are not ours.
    if req.by_bot or req.subtype or not req.thread_ts or not req.ts:
        return
    if req.thread_ts == req.ts:
        return
    post = await blocking(find_by_message, services.engine, req.channel, req.thread_ts)
    if post is None:
        return
    await blocking(
        decisions.record_thread_message,
        services.engine,
        post.comment_id,
        req.channel,
        req.ts,
        req.thread_ts,
        req.user,
        req.text,
    )


async def on_mention(req: MessageRequest, client: AsyncWebClient) -> None:
    await tell(client, req.channel, req.user, "Tapez `/sowana help` pour l'aide · type `/sowana help` for help.")


async def record_reaction_before_ack(
    body: dict[str, Any],
    event: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    next_: Callable[[], Awaitable[None]],
) -> None:
    """Listener middleware: Bolt acks an event after its listener middleware and before its listener,
    so the reaction is recorded here, before the ack; the listener only follows up."""
    context[REACTION_DONE] = await record_reaction(services_of(context), ReactionRequest.from_bolt(body, event), client)
    await next_()


async def reaction_added(client: AsyncWebClient, context: AsyncBoltContext) -> None:
    await after_reaction(services_of(context), client, context.get(REACTION_DONE))


async def reaction_removed() -> None:
    return None  # a removed ✅ does not unpublish: publishing is not undoable on the platforms


async def message(event: dict[str, Any], context: AsyncBoltContext) -> None:
    await on_message(services_of(context), MessageRequest.from_bolt(event))


async def app_mention(event: dict[str, Any], client: AsyncWebClient) -> None:
    await on_mention(MessageRequest.from_bolt(event), client)


def register(app: AsyncApp) -> None:
    app.event("reaction_added", middleware=[record_reaction_before_ack])(reaction_added)
    app.event("reaction_removed")(reaction_removed)
    app.event("message")(message)
    app.event("app_mention")(app_mention)
