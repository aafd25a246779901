"""Events API: reactions on review messages, team talk in their threads, mentions of the bot. One
behaviour per event at module level, given a typed request (bolt-python's layout)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.comments import decisions
from bot.comments.casefile import find_by_message
from bot.listeners.actions import escalate_comment
from bot.listeners.common import NOT_ALLOWED, after_decision, blocking, first_delivery, services_of, tell
from bot.listeners.requests import MessageRequest, ReactionRequest
from bot.slack.services import BotServices

APPROVE_REACTION, ESCALATE_REACTION, HIDE_REACTION = "white_check_mark", "sos", "no_entry_sign"


async def on_reaction(services: BotServices, req: ReactionRequest, client: AsyncWebClient) -> None:
    name, user = req.reaction, req.user
    if name not in (APPROVE_REACTION, ESCALATE_REACTION, HIDE_REACTION) or req.item_type != "message":
        return
    post = await blocking(find_by_message, services.engine, req.channel, req.ts)
    if post is None or post.kind != "review":
        return  # not one of our review messages
    if not await blocking(first_delivery, services, req.event_id):
        return  # Slack's retry of an event we already handled
    channel = post.channel
    if name == ESCALATE_REACTION:
        await escalate_comment(services, client, post.comment_id, user, channel, via="reaction")
        return
    if not await services.approvers.allowed(user, client):
        await tell(client, channel, user, NOT_ALLOWED)
        return
    if name == HIDE_REACTION:
        outcome = await blocking(decisions.hide, services.engine, post.comment_id, user, via="reaction")
    else:
        proposal_id = await blocking(decisions.first_proposal, services.engine, post.comment_id)
        if proposal_id is None:
            await tell(client, channel, user, "Aucune proposition à approuver · no proposal to approve")
            return
        outcome = await blocking(
            decisions.approve,
            services.engine,
            proposal_id,
            user,
            via="reaction",
            approvals_for=services.creative_approvals,
        )
    await after_decision(services, client, outcome, user, channel)


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


async def reaction_added(
    body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await on_reaction(services_of(context), ReactionRequest.from_bolt(body, event), client)


async def reaction_removed() -> None:
    return None  # a removed ✅ does not unpublish: publishing is not undoable on the platforms


async def message(event: dict[str, Any], context: AsyncBoltContext) -> None:
    await on_message(services_of(context), MessageRequest.from_bolt(event))


async def app_mention(event: dict[str, Any], client: AsyncWebClient) -> None:
    await on_mention(MessageRequest.from_bolt(event), client)


def register(app: AsyncApp) -> None:
    app.event("reaction_added")(reaction_added)
    app.event("reaction_removed")(reaction_removed)
    app.event("message")(message)
    app.event("app_mention")(app_mention)
