"""A tiny real Bolt AsyncApp (built the way the bot is) wired to a local workspace, both on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

from api.emulators.slack import RateLimit, WorkspaceConfig
from api.emulators.slack.client import WorkspaceClient, run_workspace
from api.emulators.slack.serving import free_port, serve_in_thread

TOKEN = "xoxb-local-test-token"
SECRET = "test-signing-secret-123"


@dataclass
class BotRecorder:
    events: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    views: list[dict[str, Any]] = field(default_factory=list)
    commands: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def review_blocks(proposal: str) -> list[dict[str, Any]]:
    return [
        {"type": "header", "text": {"type": "plain_text", "text": "Nouveau commentaire · Facebook"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"> {proposal}"}},
        {
            "type": "actions",
            "block_id": "review_actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "approve_reply",
                    "style": "primary",
                    "value": "p-1",
                    "text": {"type": "plain_text", "text": "Approuver"},
                },
                {
                    "type": "button",
                    "action_id": "edit_reply",
                    "value": "p-1",
                    "text": {"type": "plain_text", "text": "Modifier"},
                },
                {
                    "type": "static_select",
                    "action_id": "redraft",
                    "placeholder": {"type": "plain_text", "text": "Persona"},
                    "options": [
                        {"text": {"type": "plain_text", "text": "Sérieux"}, "value": "serieux"},
                        {"text": {"type": "plain_text", "text": "Taquin 😄"}, "value": "taquin"},
                    ],
                },
            ],
        },
    ]


def make_bolt_app(api_url: str, rec: BotRecorder) -> FastAPI:
    async def authorize(**_: Any) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=None, team_id="T0SOWANA", bot_token=TOKEN, bot_id="B0SOWANA", bot_user_id="U0BOT"
        )

    bolt = AsyncApp(signing_secret=SECRET, client=AsyncWebClient(token=TOKEN, base_url=api_url), authorize=authorize)

    @bolt.action("approve_reply")
    async def approve(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        rec.actions.append(body)
        user = body["user"]["id"]
        kept = [
            {k: v for k, v in b.items() if k != "accessory"}  # the decision replaces the buttons
            for b in body["message"].get("blocks", [])
            if b["type"] in ("header", "section", "context")
        ]
        done = {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f":white_check_mark: *Approuvé par <@{user}>* — réponse publiée"},
        }
        await client.chat_update(
            channel=body["channel"]["id"],
            ts=body["message"]["ts"],
            text="Approuvé",
            blocks=[*kept, {"type": "divider"}, done],
        )

    @bolt.action("edit_reply")
    async def edit(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        rec.actions.append(body)
        await client.views_open(
            trigger_id=body["trigger_id"],
            view={
                "type": "modal",
                "callback_id": "edit_reply",
                "private_metadata": f"{body['channel']['id']}|{body['message']['ts']}",
                "title": {"type": "plain_text", "text": "Modifier la réponse"},
                "submit": {"type": "plain_text", "text": "Publier"},
                "blocks": [
                    {
                        "type": "input",
                        "block_id": "reply",
                        "label": {"type": "plain_text", "text": "Réponse"},
                        "element": {
                            "type": "plain_text_input",
                            "action_id": "reply_text",
                            "multiline": True,
                            "initial_value": "Merci beaucoup !",
                        },
                    }
                ],
            },
        )

    @bolt.action("redraft")
    async def redraft(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        rec.actions.append(body)
        chosen = body["actions"][0]["selected_option"]["value"]
        await respond(text=f"Persona choisie : {chosen}", response_type="ephemeral")

    @bolt.view("edit_reply")
    async def edited(ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        text = view["state"]["values"]["reply"]["reply_text"]["value"]
        if "interdit" in text:
            await ack(response_action="errors", errors={"reply": "Ce mot est interdit / forbidden word"})
            return
        await ack()
        rec.views.append(body)
        channel, ts = view["private_metadata"].split("|")
        await client.chat_postMessage(channel=channel, thread_ts=ts, text=f"Publié : {text}")

    @bolt.command("/persona")
    async def persona(ack: Any, command: dict[str, Any]) -> None:
        rec.commands.append(command)
        await ack(f"Persona du canal : {command['text'] or 'sérieux'}")

    @bolt.command("/sowana")
    async def sowana(ack: Any, command: dict[str, Any], respond: Any) -> None:
        await ack()
        rec.commands.append(command)
        await respond(text="Stats du jour : 3 réponses ✅", response_type="in_channel")

    @bolt.event("reaction_added")
    async def reaction(event: dict[str, Any], body: dict[str, Any]) -> None:
        rec.events.append(body)

    @bolt.event("message")
    async def message(event: dict[str, Any], body: dict[str, Any]) -> None:
        rec.events.append(body)

    @bolt.event("app_mention")
    async def mention(event: dict[str, Any], body: dict[str, Any]) -> None:
        rec.events.append(body)

    @bolt.error
    async def on_error(error: Exception) -> None:
        rec.errors.append(repr(error))

    handler = AsyncSlackRequestHandler(bolt)
    app = FastAPI()

    @app.post("/slack/events")
    async def slack_events(request: Request) -> Any:
        return await handler.handle(request)

    return app


@dataclass
class Wired:
    ws: WorkspaceClient
    rec: BotRecorder
    base_url: str
    api_url: str
    config: WorkspaceConfig


def wired_config(bot_url: str, **overrides: Any) -> WorkspaceConfig:
    base: dict[str, Any] = {
        "bot_token": TOKEN,
        "signing_secret": SECRET,
        "request_url": bot_url,
        "rate_limit": RateLimit(enabled=False),
        "event_retry_delays_s": (0.05, 0.1, 0.2),
    }
    base.update(overrides)
    return WorkspaceConfig(**base)


@contextmanager
def wired_workspace(**overrides: Any) -> Iterator[Wired]:
    """Workspace ⇄ real Bolt app, each on its own loopback port."""
    ws_port = free_port()
    api_url = f"http://127.0.0.1:{ws_port}/api/"
    rec = BotRecorder()
    with serve_in_thread(make_bolt_app(api_url, rec)) as bot_base:
        config = wired_config(f"{bot_base}/slack/events", **overrides)
        with run_workspace(config, port=ws_port) as base_url, WorkspaceClient(base_url) as client:
            yield Wired(client, rec, base_url, api_url, config)
