"""Events API: reactions on review messages, and team talk in their threads."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.comments import decisions
from bot.comments.casefile import find_by_message
from bot.listeners.actions import escalate_comment
from bot.listeners.common import NOT_ALLOWED, after_decision, blocking, first_delivery, tell
from bot.slack.services import BotServices

APPROVE_REACTION, ESCALATE_REACTION, HIDE_REACTION = "white_check_mark", "sos", "no_entry_sign"


def register(app: AsyncApp, services: BotServices) -> None:
    @app.event("reaction_added")
    async def reaction(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        name, item, user = event.get("reaction"), event.get("item") or {}, event.get("user", "")
        if name not in (APPROVE_REACTION, ESCALATE_REACTION, HIDE_REACTION) or item.get("type") != "message":
            return
        post = await blocking(find_by_message, services.engine, item.get("channel", ""), item.get("ts", ""))
        if post is None or post.kind != "review":
            return  # not one of our review messages
        if not await blocking(first_delivery, services, body.get("event_id")):
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

    @app.event("reaction_removed")
    async def reaction_removed() -> None:
        return None  # a removed ✅ does not unpublish: publishing is not undoable on the platforms

    @app.event("message")
    async def message(body: dict[str, Any], event: dict[str, Any]) -> None:
        # Team talk in a review thread is stored, never published. Bot posts and edits are not ours.
        if event.get("bot_id") or event.get("subtype") or not event.get("thread_ts"):
            return
        if event.get("thread_ts") == event.get("ts"):
            return
        post = await blocking(find_by_message, services.engine, event.get("channel", ""), event["thread_ts"])
        if post is None:
            return
        await blocking(
            decisions.record_thread_message,
            services.engine,
            post.comment_id,
            event["channel"],
            event["ts"],
            event["thread_ts"],
            event.get("user", ""),
            event.get("text", ""),
        )

    @app.event("app_mention")
    async def mention(event: dict[str, Any], client: AsyncWebClient) -> None:
        await tell(
            client,
            event.get("channel"),
            event.get("user", ""),
            "Tapez `/sowana help` pour l'aide · type `/sowana help` for help.",
        )
