"""What the bot receives: Slack-signed requests, shaped as Slack sends them, retried like Slack does."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from api.emulators.slack import RateLimit, WorkspaceConfig, create_workspace_app
from api.emulators.slack.client import WorkspaceClient, WorkspaceClientError
from api.emulators.slack.serving import serve_in_thread
from tests.api.emulators.slack.bolt_bot import SECRET, TOKEN, Wired, review_blocks

FR_EN = "Bonjour l'équipe ! « Où est ma boîte ? » 🥕🇨🇦 — Thanks, ça marche 👍🏽"


# --- a raw recorder standing in for the bot: checks exactly what goes over the wire ----------------
@dataclass
class Recorder:
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    script: list[int] = field(default_factory=list)  # statuses to answer, then 200
    delay_s: float = 0.0


def recorder_app(rec: Recorder) -> FastAPI:
    app = FastAPI()

    @app.post("/slack/events")
    async def events(request: Request) -> Response:
        rec.requests.append(({k.lower(): v for k, v in request.headers.items()}, await request.body()))
        if rec.delay_s:
            await asyncio.sleep(rec.delay_s)
        status = rec.script.pop(0) if rec.script else 200
        return Response("", status_code=status)

    return app


@dataclass
class Raw:
    rec: Recorder
    ws: WorkspaceClient
    web: WebClient


@pytest.fixture()
def raw() -> Iterator[Raw]:
    rec = Recorder()
    with serve_in_thread(recorder_app(rec)) as bot:
        config = WorkspaceConfig(
            bot_token=TOKEN,
            signing_secret=SECRET,
            request_url=f"{bot}/slack/events",
            rate_limit=RateLimit(enabled=False),
            ack_timeout_s=0.3,
            event_retry_delays_s=(0.05, 0.05, 0.05),
        )
        with serve_in_thread(create_workspace_app(config)) as base, WorkspaceClient(base) as ws:
            yield Raw(rec, ws, WebClient(token=TOKEN, base_url=f"{base}/api/"))


def verified(headers: dict[str, str], body: bytes) -> bool:
    return SignatureVerifier(SECRET).is_valid(body, headers["x-slack-request-timestamp"], headers["x-slack-signature"])


def test_button_click_is_signed_form_payload_with_slack_fields(raw: Raw) -> None:
    ts = raw.web.chat_postMessage(channel="C0REVIEW", text="Revue", blocks=review_blocks("Merci !"))["ts"]
    assert raw.rec.requests == []  # the bot's own message produces no event
    delivery = raw.ws.click("U0CM", "C0REVIEW", ts, "approve_reply", value="p-1")
    assert delivery["acked"] and delivery["attempts"][0]["status"] == 200
    headers, body = raw.rec.requests[-1]
    assert verified(headers, body)
    assert not SignatureVerifier("another-secret").is_valid(
        body, headers["x-slack-request-timestamp"], headers["x-slack-signature"]
    )
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    assert payload["type"] == "block_actions" and payload["user"]["id"] == "U0CM"
    assert payload["team"]["id"] == "T0SOWANA" and payload["api_app_id"] == "A0SOWANA"
    assert payload["channel"] == {"id": "C0REVIEW", "name": "sowana-review"}
    assert payload["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": "C0REVIEW",
        "is_ephemeral": False,
    }
    assert payload["message"]["ts"] == ts and payload["message"]["blocks"][2]["block_id"] == "review_actions"
    action = payload["actions"][0]
    assert (action["type"], action["action_id"], action["block_id"], action["value"]) == (
        "button",
        "approve_reply",
        "review_actions",
        "p-1",
    )
    assert payload["trigger_id"] and payload["response_url"].endswith(
        tuple("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
    )
    raw.ws.select("U0GUEST", "C0REVIEW", ts, "redraft", "taquin")
    chosen = json.loads(parse_qs(raw.rec.requests[-1][1].decode())["payload"][0])
    assert chosen["actions"][0]["selected_option"]["value"] == "taquin"
    assert chosen["state"]["values"]["review_actions"]["redraft"]["selected_option"]["value"] == "taquin"
    with pytest.raises(WorkspaceClientError) as info:
        raw.ws.click("U0CM", "C0REVIEW", ts, "approve_reply", value="p-404")
    assert info.value.error == "action_not_found"


def test_slash_command_and_events_are_slack_shaped(raw: Raw) -> None:
    raw.ws.slash("U0SAC", "C0SAC", "/persona", "taquine")
    headers, body = raw.rec.requests[-1]
    assert verified(headers, body)
    form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    assert {k: form[k] for k in ("command", "text", "user_id", "channel_id", "channel_name", "team_id")} == {
        "command": "/persona",
        "text": "taquine",
        "user_id": "U0SAC",
        "channel_id": "C0SAC",
        "channel_name": "sowana-sac",
        "team_id": "T0SOWANA",
    }
    assert form["trigger_id"] and form["response_url"].startswith("http://127.0.0.1:")

    parent = raw.web.chat_postMessage(channel="C0REVIEW", text="Revue")["ts"]
    reply = raw.ws.post_message("U0CM", "C0REVIEW", FR_EN, thread_ts=parent)
    raw.ws.wait_for(lambda: len(raw.rec.requests) >= 2, what="message event")
    headers, body = raw.rec.requests[-1]
    assert verified(headers, body) and headers["content-type"] == "application/json"
    envelope = json.loads(body)
    assert envelope["type"] == "event_callback" and envelope["event_id"].startswith("Ev")
    assert isinstance(envelope["event_time"], int)
    assert envelope["authorizations"][0]["user_id"] == "U0BOT" and envelope["authorizations"][0]["is_bot"]
    event = envelope["event"]
    assert (event["type"], event["channel"], event["user"], event["ts"], event["thread_ts"]) == (
        "message",
        "C0REVIEW",
        "U0CM",
        reply,
        parent,
    )
    assert event["text"].encode() == FR_EN.encode()

    raw.ws.react("U0CM", "C0REVIEW", parent, "white_check_mark")
    raw.ws.wait_for(lambda: len(raw.rec.requests) >= 3, what="reaction event")
    event = json.loads(raw.rec.requests[-1][1])["event"]
    assert event["type"] == "reaction_added" and event["reaction"] == "white_check_mark"
    assert event["item"] == {"type": "message", "channel": "C0REVIEW", "ts": parent}
    assert event["item_user"] == "U0BOT" and event["user"] == "U0CM"
    with pytest.raises(WorkspaceClientError) as info:
        raw.ws.react("U0CM", "C0REVIEW", parent, "white_check_mark")
    assert info.value.error == "already_reacted"


def test_failed_events_are_retried_with_slack_headers(raw: Raw) -> None:
    raw.rec.script = [500, 503]
    raw.ws.post_message("U0CM", "C0REVIEW", "Allô ?")
    delivery = raw.ws.wait_for(lambda: next((d for d in raw.ws.deliveries() if d["done"]), None), what="delivery done")
    assert [a["status"] for a in delivery["attempts"]] == [500, 503, 200] and delivery["acked"]
    retries = [h for h, _ in raw.rec.requests]
    assert "x-slack-retry-num" not in retries[0]
    assert [(h["x-slack-retry-num"], h["x-slack-retry-reason"]) for h in retries[1:]] == [
        ("1", "http_error"),
        ("2", "http_error"),
    ]
    bodies = {b for _, b in raw.rec.requests}
    assert len(bodies) == 1  # same event_id every time, so the bot can recognise the retry
    assert all(verified(h, b) for h, b in raw.rec.requests)


def test_slow_bot_is_recorded_unacked_and_retried_then_given_up(raw: Raw) -> None:
    raw.rec.delay_s = 0.5  # longer than the 0.3 s ack timeout of this workspace
    raw.ws.post_message("U0CM", "C0REVIEW", "Hello?")
    delivery = raw.ws.wait_for(
        lambda: next((d for d in raw.ws.deliveries() if d["done"]), None), timeout=10, what="delivery done"
    )
    assert len(delivery["attempts"]) == 4 and not delivery["acked"]  # first try + 3 retries, as Slack
    assert {a["error"] for a in delivery["attempts"]} == {"http_timeout"}
    assert [h.get("x-slack-retry-reason") for h, _ in raw.rec.requests] == [
        None,
        "http_timeout",
        "http_timeout",
        "http_timeout",
    ]


def test_interactivity_is_not_retried_and_failure_is_told(raw: Raw) -> None:
    raw.rec.script = [500]
    ts = raw.web.chat_postMessage(channel="C0REVIEW", text="Revue", blocks=review_blocks("Oui"))["ts"]
    delivery = raw.ws.click("U0CM", "C0REVIEW", ts, "approve_reply")
    assert not delivery["acked"] and len(delivery["attempts"]) == 1 and len(raw.rec.requests) == 1
    raw.rec.delay_s = 0.5
    raw.ws.slash("U0CM", "C0REVIEW", "/sowana", "stats")
    assert raw.ws.ephemerals("U0CM")[-1]["text"] == '/sowana failed with the error "operation_timeout"'


# --- the real Bolt app -----------------------------------------------------------------------------
def test_bolt_button_listener_updates_the_message(wired: Wired) -> None:
    web = WebClient(token=TOKEN, base_url=wired.api_url)
    ts = web.chat_postMessage(channel="C0REVIEW", text="Revue", blocks=review_blocks("Bonjour !"))["ts"]
    delivery = wired.ws.click("U0CM", "C0REVIEW", ts, "approve_reply", value="p-1")
    assert delivery["acked"] and delivery["attempts"][0]["duration_ms"] < 3000
    msg = wired.ws.wait_for(
        lambda: next((m for m in wired.ws.messages("C0REVIEW") if m["ts"] == ts and m.get("edited")), None),
        what="chat.update",
    )
    assert "Approuvé par <@U0CM>" in json.dumps(msg["blocks"], ensure_ascii=False)
    assert not any(b["type"] == "actions" for b in msg["blocks"])
    assert wired.rec.actions[-1]["container"]["message_ts"] == ts and wired.rec.errors == []


def test_bolt_modal_round_trip_errors_and_required_fields(wired: Wired) -> None:
    web = WebClient(token=TOKEN, base_url=wired.api_url)
    ts = web.chat_postMessage(channel="C0REVIEW", text="Revue", blocks=review_blocks("Salut"))["ts"]
    wired.ws.click("U0CM", "C0REVIEW", ts, "edit_reply", value="p-1")
    view = wired.ws.wait_for(lambda: wired.ws.open_view("U0CM"), what="modal opened")
    assert view["callback_id"] == "edit_reply" and wired.ws.open_view("U0SAC") is None
    empty = wired.ws.submit_view("U0CM", view["id"], {"reply_text": ""})
    assert empty["ok"] is False and empty["errors"] == {"reply": "Please complete this required field."}
    assert empty["delivery"] is None  # Slack's client refuses before sending
    refused = wired.ws.submit_view("U0CM", view["id"], {"reply_text": "mot interdit"})
    assert refused["errors"] == {"reply": "Ce mot est interdit / forbidden word"}
    assert wired.ws.open_view("U0CM") is not None
    done = wired.ws.submit_view("U0CM", view["id"], {"reply_text": FR_EN})
    assert done["ok"] and wired.ws.open_view("U0CM") is None
    submitted = wired.rec.views[-1]
    assert submitted["type"] == "view_submission" and submitted["view"]["id"] == view["id"]

    def two_messages() -> list[dict[str, Any]] | None:
        thread = wired.ws.thread("C0REVIEW", ts)
        return thread if len(thread) == 2 else None

    thread = wired.ws.wait_for(two_messages, what="thread reply")
    assert thread[1]["text"] == f"Publié : {FR_EN}" and thread[1]["bot_id"] == "B0SOWANA"


def test_bolt_select_responds_through_response_url(wired: Wired) -> None:
    web = WebClient(token=TOKEN, base_url=wired.api_url)
    ts = web.chat_postMessage(channel="C0REVIEW", text="Revue", blocks=review_blocks("Allô"))["ts"]
    wired.ws.select("U0GUEST", "C0REVIEW", ts, "redraft", "taquin")
    eph = wired.ws.wait_for(lambda: wired.ws.ephemerals("U0GUEST", "C0REVIEW"), what="ephemeral")
    assert eph[-1]["text"] == "Persona choisie : taquin" and wired.ws.ephemerals("U0CM", "C0REVIEW") == []


def test_bolt_slash_commands_ack_text_and_in_channel_respond(wired: Wired) -> None:
    wired.ws.slash("U0SAC", "C0SAC", "/persona", "taquine")
    assert wired.ws.ephemerals("U0SAC", "C0SAC")[-1]["text"] == "Persona du canal : taquine"
    wired.ws.slash("U0CM", "C0SAC", "/sowana", "stats")
    msg = wired.ws.wait_for(
        lambda: [m for m in wired.ws.messages("C0SAC") if "Stats" in m["text"]], what="in_channel response"
    )
    assert msg[-1]["text"] == "Stats du jour : 3 réponses ✅" and msg[-1]["user"] == "U0BOT"
    with pytest.raises(WorkspaceClientError) as info:
        wired.ws.slash("U0CM", "C0SAC", "/inconnue", "")
    assert info.value.error == "unknown_command"


def test_bolt_receives_message_mention_and_reaction_events(wired: Wired) -> None:
    web = WebClient(token=TOKEN, base_url=wired.api_url)
    before = len(wired.rec.events)
    parent = web.chat_postMessage(channel="C0REVIEW", text="Revue")["ts"]
    wired.ws.post_message("U0SAC", "C0REVIEW", f"<@U0BOT> {FR_EN}", thread_ts=parent)
    wired.ws.react("U0CM", "C0REVIEW", parent, "sos")
    wired.ws.wait_for(lambda: len(wired.rec.events) >= before + 3, what="three events")
    kinds = {e["event"]["type"]: e["event"] for e in wired.rec.events[before:]}
    assert set(kinds) == {"message", "app_mention", "reaction_added"}
    assert kinds["message"]["thread_ts"] == parent and kinds["message"]["text"] == f"<@U0BOT> {FR_EN}"
    assert kinds["reaction_added"]["item"]["ts"] == parent and kinds["reaction_added"]["reaction"] == "sos"
    assert all(d["acked"] for d in wired.ws.deliveries() if d["kind"] == "event_callback" and d["done"])


def test_url_verification_and_response_url_limits(wired: Wired) -> None:
    assert wired.ws.verify_url() is True  # Bolt answers the challenge itself
    web = WebClient(token=TOKEN, base_url=wired.api_url)
    ts = web.chat_postMessage(channel="C0REVIEW", text="Revue", blocks=review_blocks("Yo"))["ts"]
    wired.ws.click("U0CM", "C0REVIEW", ts, "approve_reply", value="p-1")
    url = wired.rec.actions[-1]["response_url"]
    replaced = httpx.post(url, json={"replace_original": True, "text": "Remplacé · replaced"}, trust_env=False)
    assert replaced.status_code == 200
    assert next(m for m in wired.ws.messages("C0REVIEW") if m["ts"] == ts)["text"] == "Remplacé · replaced"
    for _ in range(4):
        assert httpx.post(url, json={"text": "note"}, trust_env=False).status_code == 200
    over = httpx.post(url, json={"text": "sixième"}, trust_env=False)
    assert over.status_code == 404 and over.text == "used_url"


def test_modal_close_notifies_and_overflow_choice_is_sent(raw: Raw) -> None:
    blocks = [
        {
            "type": "section",
            "block_id": "triage",
            "text": {"type": "mrkdwn", "text": "Intention : *question*"},
            "accessory": {
                "type": "overflow",
                "action_id": "triage_fix",
                "options": [
                    {"text": {"type": "plain_text", "text": "C'est une plainte"}, "value": "complaint"},
                    {"text": {"type": "plain_text", "text": "It's banter"}, "value": "banter"},
                ],
            },
        }
    ]
    ts = raw.web.chat_postMessage(channel="C0REVIEW", text="Triage", blocks=blocks)["ts"]
    raw.ws.select("U0CM", "C0REVIEW", ts, "triage_fix", "banter")
    action = json.loads(parse_qs(raw.rec.requests[-1][1].decode())["payload"][0])["actions"][0]
    assert (action["type"], action["block_id"], action["selected_option"]["value"]) == (
        "overflow",
        "triage",
        "banter",
    )
    trigger = json.loads(parse_qs(raw.rec.requests[-1][1].decode())["payload"][0])["trigger_id"]
    view = raw.web.views_open(
        trigger_id=trigger,
        view={
            "type": "modal",
            "callback_id": "resolve_case",
            "notify_on_close": True,
            "title": {"type": "plain_text", "text": "Résoudre le cas"},
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Note"}}],
        },
    )["view"]
    assert raw.ws.open_view("U0CM")["id"] == view["id"]  # type: ignore[index]
    raw.ws.close_view("U0CM", view["id"])
    closed = json.loads(parse_qs(raw.rec.requests[-1][1].decode())["payload"][0])
    assert closed["type"] == "view_closed" and closed["view"]["callback_id"] == "resolve_case"
    assert raw.ws.open_view("U0CM") is None
