"""The Bolt app (AsyncApp, HTTP mode), mounted by api/ at POST /slack/events."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.listeners import actions, commands, events, storm, views
from bot.listeners.common import SERVICES
from bot.settings import reveal
from bot.slack.services import BotServices

log = logging.getLogger(__name__)


def create_bolt_app(services: BotServices) -> AsyncApp:
    settings = services.settings
    # No token on the client itself: Bolt hands each listener a client carrying the token `authorize` returns.
    client = AsyncWebClient(base_url=settings.slack_api_url, timeout=10)
    identity: dict[str, Any] = {}

    async def authorize(**kwargs: Any) -> AuthorizeResult:
        # One workspace, one token: no installation store. auth.test is asked once, lazily, and a
        # failure there must not turn every request into a 500 (Bolt's default would).
        if not identity:
            try:
                found = await client.auth_test(token=reveal(settings.slack_bot_token))
                identity.update(user_id=found.get("user_id"), bot_id=found.get("bot_id"))
            except SlackApiError as exc:
                log.warning("auth.test failed: %s", exc.response.get("error"))
            except Exception as exc:  # network: answer the request anyway
                log.warning("auth.test unreachable: %s", type(exc).__name__)
        return AuthorizeResult(
            enterprise_id=kwargs.get("enterprise_id"),
            team_id=kwargs.get("team_id"),
            bot_token=reveal(settings.slack_bot_token),
            bot_user_id=identity.get("user_id"),
            bot_id=identity.get("bot_id"),
        )

    app = AsyncApp(
        signing_secret=reveal(settings.slack_signing_secret),
        client=client,
        authorize=authorize,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )

    async def provide_services(context: AsyncBoltContext, next_: Callable[[], Awaitable[None]]) -> None:
        context[SERVICES] = services  # for the handlers, which live at module level
        await next_()

    app.use(provide_services)
    register_all(app)
    return app


def register_all(app: AsyncApp) -> None:
    actions.register(app)
    views.register(app)
    events.register(app)
    commands.register(app)
    storm.register(app)  # storm-mode bulk actions (bot/storm/bulk.py)
