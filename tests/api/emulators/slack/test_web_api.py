"""The Web API answers slack_sdk's clients with Slack's shapes and errors."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from api.emulators.slack import RateLimit, WorkspaceConfig, create_workspace_app
from api.emulators.slack.core import Workspace
from api.emulators.slack.serving import serve_in_thread

TOKEN = "xoxb-local-api-test"
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Bonjour* Marie"}}]


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, Workspace]]:
    config = WorkspaceConfig(bot_token=TOKEN, request_url=None, rate_limit=RateLimit(enabled=False))
    app = create_workspace_app(config)
    with serve_in_thread(app) as base:
        yield base, app.state.workspace


@pytest.fixture()
def client(served: tuple[str, Workspace]) -> WebClient:
    return WebClient(token=TOKEN, base_url=f"{served[0]}/api/")


def slack_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value


def test_auth_test_and_auth_errors(served: tuple[str, Workspace], client: WebClient) -> None:
    me = client.auth_test()
    assert me["ok"] and me["user_id"] == "U0BOT" and me["bot_id"] == "B0SOWANA" and me["team_id"] == "T0SOWANA"
    api = f"{served[0]}/api/"
    assert slack_error(lambda: WebClient(base_url=api).auth_test()).response["error"] == "not_authed"
    assert (
        slack_error(lambda: WebClient(token="xoxb-wrong", base_url=api).auth_test()).response["error"] == "invalid_auth"
    )
    # Slack also takes the token as a form field; refusals are HTTP 200.
    form = httpx.post(f"{api}auth.test", data={"token": TOKEN}, trust_env=False)
    assert form.status_code == 200 and form.json()["ok"] is True
    bad = httpx.post(
        f"{api}chat.postMessage", data={"token": "nope", "channel": "C0REVIEW", "text": "x"}, trust_env=False
    )
    assert bad.status_code == 200 and bad.json() == {"ok": False, "error": "invalid_auth"}


def test_post_message_shape_attributed_to_bot_and_ts_increasing(client: WebClient) -> None:
    first = client.chat_postMessage(channel="C0REVIEW", text="Nouveau commentaire", blocks=BLOCKS)
    second = client.chat_postMessage(channel="#sowana-review", text="New comment")
    msg = first["message"]
    assert first["channel"] == "C0REVIEW" and msg["ts"] == first["ts"]
    assert msg["user"] == "U0BOT" and msg["bot_id"] == "B0SOWANA" and msg["app_id"] == "A0SOWANA"
    assert msg["blocks"][0]["block_id"]  # Slack fills missing block ids
    for ts in (first["ts"], second["ts"]):
        whole, frac = ts.split(".")
        assert len(whole) == 10 and len(frac) == 6
    assert float(second["ts"]) > float(first["ts"]) and second["channel"] == "C0REVIEW"


def test_post_message_form_encoded_blocks(served: tuple[str, Workspace]) -> None:
    resp = httpx.post(
        f"{served[0]}/api/chat.postMessage",
        data={"channel": "C0SAC", "text": "Cas escaladé", "blocks": json.dumps(BLOCKS)},
        headers={"Authorization": f"Bearer {TOKEN}"},
        trust_env=False,
    ).json()
    assert resp["ok"] and resp["message"]["blocks"][0]["text"]["text"] == "*Bonjour* Marie"
    broken = httpx.post(
        f"{served[0]}/api/chat.postMessage",
        data={"channel": "C0SAC", "blocks": "[{"},
        headers={"Authorization": f"Bearer {TOKEN}"},
        trust_env=False,
    ).json()
    assert broken == {"ok": False, "error": "invalid_blocks_format"}


def test_post_message_errors(client: WebClient) -> None:
    assert (
        slack_error(lambda: client.chat_postMessage(channel="C0NOPE", text="x")).response["error"]
        == "channel_not_found"
    )
    assert slack_error(lambda: client.chat_postMessage(channel="C0REVIEW", text="")).response["error"] == "no_text"
    assert (
        slack_error(lambda: client.chat_postMessage(channel="C0REVIEW", text="x" * 40_001)).response["error"]
        == "msg_too_long"
    )
    too_many = [{"type": "divider"}] * 51
    err = slack_error(lambda: client.chat_postMessage(channel="C0REVIEW", text="x", blocks=too_many)).response
    assert err["error"] == "invalid_blocks"
    assert err["response_metadata"]["messages"] == ["[ERROR] must provide a maximum of 50 items [json-pointer:/blocks]"]
    long_section = [{"type": "section", "text": {"type": "mrkdwn", "text": "é" * 3001}}]
    err = slack_error(lambda: client.chat_postMessage(channel="C0REVIEW", text="x", blocks=long_section))
    assert "/blocks/0/text/text" in err.response["response_metadata"]["messages"][0]


def test_threads_replies_and_broadcast(client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C0REVIEW", text="Revue du commentaire")["ts"]
    r1 = client.chat_postMessage(channel="C0REVIEW", thread_ts=parent, text="Note d'équipe")
    r2 = client.chat_postMessage(channel="C0REVIEW", thread_ts=r1["ts"], text="Publié", reply_broadcast=True)
    assert r1["message"]["thread_ts"] == parent and r1["message"]["parent_user_id"] == "U0BOT"
    assert r2["message"]["thread_ts"] == parent and r2["message"]["subtype"] == "thread_broadcast"
    replies = client.conversations_replies(channel="C0REVIEW", ts=parent)
    assert [m["ts"] for m in replies["messages"]] == [parent, r1["ts"], r2["ts"]]
    assert replies["messages"][0]["reply_count"] == 2 and replies["has_more"] is False
    page = client.conversations_replies(channel="C0REVIEW", ts=parent, limit=2)
    assert page["has_more"] and page["response_metadata"]["next_cursor"]
    rest = client.conversations_replies(channel="C0REVIEW", ts=parent, cursor=page["response_metadata"]["next_cursor"])
    assert [m["ts"] for m in rest["messages"]] == [r2["ts"]]
    assert (
        slack_error(lambda: client.conversations_replies(channel="C0REVIEW", ts="1.000001")).response["error"]
        == "thread_not_found"
    )
    assert (
        slack_error(lambda: client.chat_postMessage(channel="C0REVIEW", thread_ts="1.000001", text="x")).response[
            "error"
        ]
        == "thread_not_found"
    )


def test_update_keeps_or_replaces_blocks_and_refuses_others(client: WebClient, served: tuple[str, Workspace]) -> None:
    ts = client.chat_postMessage(channel="C0REVIEW", text="À revoir", blocks=BLOCKS)["ts"]
    updated = client.chat_update(channel="C0REVIEW", ts=ts, text="Approuvé ✅")
    assert updated["text"] == "Approuvé ✅" and updated["message"]["blocks"][0]["text"]["text"] == "*Bonjour* Marie"
    assert updated["message"]["edited"]["user"] == "U0BOT" and updated["ts"] == ts
    cleared = client.chat_update(channel="C0REVIEW", ts=ts, text="Done", blocks=[])
    assert "blocks" not in cleared["message"]
    assert (
        slack_error(lambda: client.chat_update(channel="C0REVIEW", ts="1.000001", text="x")).response["error"]
        == "message_not_found"
    )
    ws = served[1]
    human = ws.new_message("U0CM", "Bonjour")
    ws.state.add_message("C0REVIEW", human)
    assert (
        slack_error(lambda: client.chat_update(channel="C0REVIEW", ts=human["ts"], text="x")).response["error"]
        == "cant_update_message"
    )
    bad = [{"type": "header", "text": {"type": "plain_text", "text": "H" * 151}}]
    assert (
        slack_error(lambda: client.chat_update(channel="C0REVIEW", ts=ts, blocks=bad)).response["error"]
        == "invalid_blocks"
    )


def test_ephemeral_permalink_users_conversations_usergroups(client: WebClient, served: tuple[str, Workspace]) -> None:
    eph = client.chat_postEphemeral(channel="C0REVIEW", user="U0GUEST", text="Vous ne pouvez pas approuver.")
    assert eph["ok"] and eph["message_ts"]
    assert served[1].state.ephemerals_for("U0GUEST")[-1]["text"] == "Vous ne pouvez pas approuver."
    assert served[1].state.ephemerals_for("U0CM") == []
    assert (
        slack_error(lambda: client.chat_postEphemeral(channel="C0REVIEW", user="U0NOPE", text="x")).response["error"]
        == "user_not_found"
    )
    ts = client.chat_postMessage(channel="C0REVIEW", text="Lien")["ts"]
    link = client.chat_getPermalink(channel="C0REVIEW", message_ts=ts)
    assert link["permalink"].endswith(f"/archives/C0REVIEW/p{ts.replace('.', '')}")
    assert httpx.get(link["permalink"], trust_env=False, follow_redirects=True).status_code == 200
    user = client.users_info(user="U0CM")["user"]
    assert user["id"] == "U0CM" and user["real_name"] == "Camille (CM)" and user["profile"]["real_name"]
    assert client.users_info(user="U0BOT")["user"]["is_bot"] is True
    assert slack_error(lambda: client.users_info(user="U0NOPE")).response["error"] == "user_not_found"
    chan = client.conversations_info(channel="C0SAC")["channel"]
    assert chan["name"] == "sowana-sac" and chan["is_channel"] and chan["is_member"]
    assert slack_error(lambda: client.conversations_info(channel="C0NOPE")).response["error"] == "channel_not_found"
    assert client.usergroups_users_list(usergroup="S0APPROVERS")["users"] == ["U0CM", "U0SAC"]
    assert slack_error(lambda: client.usergroups_users_list(usergroup="S0NOPE")).response["error"] == "no_such_subteam"


def test_reactions_add_remove_errors(client: WebClient, served: tuple[str, Workspace]) -> None:
    ts = client.chat_postMessage(channel="C0REVIEW", text="Réagir")["ts"]
    assert client.reactions_add(channel="C0REVIEW", timestamp=ts, name="eyes")["ok"]
    assert (served[1].state.get_message("C0REVIEW", ts) or {})["reactions"] == [
        {"name": "eyes", "users": ["U0BOT"], "count": 1}
    ]
    assert (
        slack_error(lambda: client.reactions_add(channel="C0REVIEW", timestamp=ts, name="eyes")).response["error"]
        == "already_reacted"
    )
    client.reactions_remove(channel="C0REVIEW", timestamp=ts, name="eyes")
    assert "reactions" not in (served[1].state.get_message("C0REVIEW", ts) or {})
    assert (
        slack_error(lambda: client.reactions_remove(channel="C0REVIEW", timestamp=ts, name="eyes")).response["error"]
        == "no_reaction"
    )
    assert (
        slack_error(lambda: client.reactions_add(channel="C0REVIEW", timestamp="1.000001", name="eyes")).response[
            "error"
        ]
        == "message_not_found"
    )


MODAL = {
    "type": "modal",
    "callback_id": "edit_reply",
    "title": {"type": "plain_text", "text": "Modifier"},
    "submit": {"type": "plain_text", "text": "Publier"},
    "blocks": [
        {
            "type": "input",
            "block_id": "reply",
            "label": {"type": "plain_text", "text": "Réponse"},
            "element": {"type": "plain_text_input", "action_id": "reply_text"},
        }
    ],
}


def test_views_open_push_update_and_trigger_rules(client: WebClient, served: tuple[str, Workspace]) -> None:
    ws = served[1]
    view = client.views_open(trigger_id=ws.state.new_trigger("U0CM"), view=MODAL)["view"]
    assert view["id"].startswith("V") and view["callback_id"] == "edit_reply" and view["state"] == {"values": {}}
    assert view["blocks"][0]["element"]["action_id"] == "reply_text" and view["hash"]
    pushed = client.views_push(trigger_id=ws.state.new_trigger("U0CM"), view={**MODAL, "callback_id": "two"})
    assert pushed["view"]["previous_view_id"] == view["id"] and pushed["view"]["root_view_id"] == view["id"]
    assert ws.state.view_stacks["U0CM"] == [view["id"], pushed["view"]["id"]]
    new = client.views_update(
        view_id=view["id"], hash=view["hash"], view={**MODAL, "title": {"type": "plain_text", "text": "Modifié"}}
    )["view"]
    assert new["id"] == view["id"] and new["title"]["text"] == "Modifié" and new["hash"] != view["hash"]
    assert (
        slack_error(lambda: client.views_update(view_id=view["id"], hash=view["hash"], view=MODAL)).response["error"]
        == "hash_conflict"
    )
    assert slack_error(lambda: client.views_update(view_id="V0NOPE", view=MODAL)).response["error"] == "not_found"
    used = ws.state.new_trigger("U0CM")
    client.views_open(trigger_id=used, view=MODAL)
    assert (
        slack_error(lambda: client.views_open(trigger_id=used, view=MODAL)).response["error"] == "exchanged_trigger_id"
    )
    assert (
        slack_error(lambda: client.views_open(trigger_id="123.456.abc", view=MODAL)).response["error"]
        == "invalid_trigger_id"
    )
    stale = ws.state.new_trigger("U0CM")
    ws.state.triggers[stale].issued -= 3.5  # Slack's trigger_id lives 3 s
    assert (
        slack_error(lambda: client.views_open(trigger_id=stale, view=MODAL)).response["error"] == "expired_trigger_id"
    )
    too_big = {**MODAL, "blocks": [{"type": "divider"}] * 101}
    err = slack_error(lambda: client.views_open(trigger_id=ws.state.new_trigger("U0CM"), view=too_big)).response
    assert err["error"] == "invalid_arguments"
    assert "[json-pointer:/view/blocks]" in err["response_metadata"]["messages"][0]


def test_french_english_emoji_round_trip_byte_exact(client: WebClient, served: tuple[str, Workspace]) -> None:
    text = "Élodie : « Où est ma boîte ? » 🥕🇨🇦 — Thanks! Ça marche 👍🏽 <https://ex.ca|lien> &amp; 𝔘"
    posted = client.chat_postMessage(channel="C0REVIEW", text=text)
    assert posted["message"]["text"] == text
    raw = httpx.get(
        f"{served[0]}/api/conversations.replies",
        params={"channel": "C0REVIEW", "ts": posted["ts"]},
        headers={"Authorization": f"Bearer {TOKEN}"},
        trust_env=False,
    )
    assert json.loads(raw.content.decode("utf-8"))["messages"][0]["text"].encode() == text.encode()


def test_rate_limit_429_with_retry_after() -> None:
    config = WorkspaceConfig(bot_token=TOKEN, request_url=None, rate_limit=RateLimit(per_second=1.0, burst=3))
    with serve_in_thread(create_workspace_app(config)) as base:
        api = f"{base}/api/chat.postMessage"
        headers = {"Authorization": f"Bearer {TOKEN}"}
        statuses = []
        for i in range(4):
            resp = httpx.post(api, json={"channel": "C0REVIEW", "text": f"n°{i}"}, headers=headers, trust_env=False)
            statuses.append(resp.status_code)
        assert statuses == [200, 200, 200, 429]
        assert resp.json() == {"ok": False, "error": "ratelimited"}
        assert int(resp.headers["Retry-After"]) >= 1
        # Another channel has its own budget; slack_sdk surfaces the 429 as SlackApiError.
        assert (
            httpx.post(api, json={"channel": "C0SAC", "text": "x"}, headers=headers, trust_env=False).status_code == 200
        )
        err = slack_error(
            lambda: WebClient(token=TOKEN, base_url=f"{base}/api/").chat_postMessage(channel="C0REVIEW", text="encore")
        )
        assert err.response.status_code == 429 and err.response.headers["Retry-After"]
        time.sleep(1.05)  # the bucket refills at one message a second
        assert (
            httpx.post(api, json={"channel": "C0REVIEW", "text": "après"}, headers=headers, trust_env=False).status_code
            == 200
        )
