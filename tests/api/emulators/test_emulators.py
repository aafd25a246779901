"""The emulators themselves: documented shapes, signatures a real receiver accepts, auth errors,
and the Graph emulator echoing the page's own reply as a webhook (which Sowana ignores)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI, Request

from api.emulators.graph import create_graph_emulator
from api.emulators.x import create_x_emulator
from api.platforms.meta import MetaPublisher
from api.platforms.signatures import verify_meta, verify_x
from bot.comments.publisher import CommentRef
from tests.servers import serve

SECRET, TOKEN = "app-secret", "page-token"


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, object]]]]:
    """A bare webhook receiver recording raw bodies and headers."""
    got: list[dict[str, object]] = []
    app = FastAPI()

    @app.post("/hook")
    async def hook(request: Request) -> dict[str, bool]:
        got.append({"body": await request.body(), "headers": dict(request.headers)})
        return {"ok": True}

    with serve(app) as url:
        yield f"{url}/hook", got


def test_graph_fire_sends_the_documented_feed_shape_signed(receiver: tuple[str, list[dict[str, object]]]) -> None:
    hook, got = receiver
    with serve(create_graph_emulator(app_secret=SECRET, page_token=TOKEN, webhook_url=hook)) as url:
        r = httpx.post(
            f"{url}/_emulator/fire",
            json={
                "page_id": "1111",
                "text": "Allô!",
                "created_time": 1763647380,
                "from": {"id": "42", "name": "Julie"},
            },
        )
        assert r.json()["status"] == 200
    body = got[0]["body"]
    assert isinstance(body, bytes)
    assert verify_meta(SECRET, body, got[0]["headers"]["x-hub-signature-256"])  # type: ignore[index]
    payload = json.loads(body)
    assert payload["object"] == "page"
    value = payload["entry"][0]["changes"][0]["value"]
    assert payload["entry"][0]["changes"][0]["field"] == "feed"
    assert {k: value[k] for k in ("item", "verb", "message", "created_time", "from")} == {
        "item": "comment",
        "verb": "add",
        "message": "Allô!",
        "created_time": 1763647380,
        "from": {"id": "42", "name": "Julie"},
    }
    assert value["parent_id"] == value["post_id"] and value["post_id"].startswith("1111_")


def test_graph_auth_errors_are_graph_error_objects() -> None:
    with serve(create_graph_emulator(app_secret=SECRET, page_token=TOKEN)) as url:
        no_token = httpx.post(f"{url}/v21.0/1_2/comments", json={"message": "x"}).json()["error"]
        bad = httpx.post(f"{url}/v21.0/1_2/comments?access_token=nope", json={"message": "x"}).json()["error"]
        unknown = httpx.post(
            f"{url}/v21.0/1_2/comments", json={"message": "x"}, headers={"Authorization": f"Bearer {TOKEN}"}
        ).json()["error"]
    assert no_token["code"] == 2500
    assert bad["code"] == 190 and bad["type"] == "OAuthException" and "error_subcode" not in bad
    assert (unknown["code"], unknown["error_subcode"]) == (100, 33)


def test_page_reply_comes_back_as_a_webhook_from_the_page(receiver: tuple[str, list[dict[str, object]]]) -> None:
    hook, got = receiver
    with serve(create_graph_emulator(app_secret=SECRET, page_token=TOKEN, webhook_url=hook)) as url:
        fired = httpx.post(f"{url}/_emulator/fire", json={"page_id": "1111", "text": "Question?"}).json()
        cid = fired["comment_ids"][0]
        pub = MetaPublisher(graph_url=f"{url}/v21.0", page_token=TOKEN)
        done = pub.reply(
            CommentRef(
                "default", "facebook", cid, "9001", fired["payload"]["entry"][0]["changes"][0]["value"]["post_id"]
            ),
            "Réponse!",
        )
        pub.close()
        deadline = time.monotonic() + 10
        while len(got) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    echo = json.loads(got[1]["body"])["entry"][0]["changes"][0]["value"]  # type: ignore[arg-type]
    assert echo["from"]["id"] == "1111" and echo["comment_id"] == done.platform_id and echo["parent_id"] == cid


def test_x_mentions_shape_and_signed_activity(receiver: tuple[str, list[dict[str, object]]]) -> None:
    hook, got = receiver
    app = create_x_emulator(
        consumer_secret=SECRET, bearer_token=TOKEN, user_id="99", username="brand", webhook_url=hook
    )
    with serve(app) as url:
        fired = httpx.post(
            f"{url}/_emulator/fire",
            json={"text": "@brand bonjour", "author": {"id": "5", "name": "Ana", "username": "ana"}},
        )
        tid = fired.json()["id"]
        page = httpx.get(
            f"{url}/2/users/99/mentions",
            headers={"Authorization": f"Bearer {TOKEN}"},
            params={"expansions": "author_id", "tweet.fields": "conversation_id,created_at"},
        ).json()
        empty = httpx.get(
            f"{url}/2/users/99/mentions", headers={"Authorization": f"Bearer {TOKEN}"}, params={"since_id": tid}
        ).json()
        bad = httpx.get(
            f"{url}/2/users/99/mentions", headers={"Authorization": f"Bearer {TOKEN}"}, params={"max_results": 500}
        )
        unauth = httpx.get(f"{url}/2/users/99/mentions")
    assert page["data"][0] == {
        "id": tid,
        "text": "@brand bonjour",
        "edit_history_tweet_ids": [tid],
        "conversation_id": tid,
        "created_at": page["data"][0]["created_at"],
    }
    assert page["includes"]["users"] == [{"id": "5", "name": "Ana", "username": "ana"}]
    assert page["meta"] == {"result_count": 1, "newest_id": tid, "oldest_id": tid}
    assert empty == {"meta": {"result_count": 0}}
    assert bad.status_code == 400 and bad.json()["type"] == "about:blank" and bad.json()["status"] == 400
    assert unauth.status_code == 401 and set(unauth.json()) == {"title", "detail", "type", "status"}
    body = got[0]["body"]
    assert isinstance(body, bytes)
    assert verify_x(SECRET, body, got[0]["headers"]["x-twitter-webhooks-signature"])  # type: ignore[index]
    activity = json.loads(body)
    assert activity["for_user_id"] == "99" and activity["user_has_blocked"] is False
    assert activity["tweet_create_events"][0]["user"]["screen_name"] == "ana"
