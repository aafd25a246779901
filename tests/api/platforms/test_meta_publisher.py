"""MetaPublisher against the Graph emulator over loopback HTTP: method, path and body of each call,
retries that heal, and failures that cannot (told in plain words)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.platforms.http import RetryPolicy
from api.platforms.meta import MetaPublisher
from bot.comments.publisher import CommentRef, PublishError
from tests.api.platforms.conftest import FB_PAGE, IG_ACCOUNT, PAGE_TOKEN

FAST = RetryPolicy(attempts=4, backoff=0.01, max_backoff=0.05, max_wait=5)


@pytest.fixture
def meta(graph_only: str) -> Iterator[MetaPublisher]:
    pub = MetaPublisher(graph_url=f"{graph_only}/v21.0", page_token=PAGE_TOKEN, policy=FAST)
    yield pub
    pub.close()


def fb_comment(graph: httpx.Client, text: str = "Livrez-vous à Gatineau?", **kw: Any) -> CommentRef:
    fired = graph.post("/_emulator/fire", json={"page_id": FB_PAGE, "text": text, **kw}).json()
    v = fired["payload"]["entry"][0]["changes"][0]["value"]
    parent = v["parent_id"] if v["parent_id"] != v["post_id"] else None
    return CommentRef("default", "facebook", v["comment_id"], v["from"]["id"], v["post_id"], parent)


def ig_comment(graph: httpx.Client, parent_id: str | None = None) -> CommentRef:
    event = {
        "platform": "instagram",
        "page_id": IG_ACCOUNT,
        "text": "Is this vegan?",
        "parent_id": parent_id,
        "from": {"id": "555", "username": "lea.qc"},
    }
    v = graph.post("/_emulator/fire", json=event).json()["payload"]["entry"][0]["changes"][0]["value"]
    return CommentRef("default", "instagram", v["id"], "555", v["media"]["id"], v.get("parent_id"))


def published(graph: httpx.Client) -> list[dict[str, Any]]:
    return graph.get("/_emulator/published").json()  # type: ignore[no-any-return]


def calls(graph: httpx.Client) -> list[dict[str, Any]]:
    return graph.get("/_emulator/calls").json()  # type: ignore[no-any-return]


def test_facebook_reply_hide_unhide_delete_and_private_reply(graph: httpx.Client, meta: MetaPublisher) -> None:
    c = fb_comment(graph)
    done = meta.reply(c, "Oui! Nous livrons à Gatineau du mardi au samedi.")
    meta.hide(c)
    meta.hide(c, hidden=False)
    dm = meta.private_reply(c, "Bonjour, pouvez-vous nous écrire votre numéro de commande?")
    meta.delete(c)
    got = [(p["kind"], p["method"], p["path"], p["body"]) for p in published(graph)]
    assert got == [
        (
            "reply",
            "POST",
            f"/{c.external_id}/comments",
            {"message": "Oui! Nous livrons à Gatineau du mardi au samedi."},
        ),
        ("hide", "POST", f"/{c.external_id}", {"is_hidden": True}),
        ("unhide", "POST", f"/{c.external_id}", {"is_hidden": False}),
        (
            "private_reply",
            "POST",
            f"/{FB_PAGE}/messages",
            {
                "recipient": {"comment_id": c.external_id},
                "message": {"text": "Bonjour, pouvez-vous nous écrire votre numéro de commande?"},
            },
        ),
        ("delete", "DELETE", f"/{c.external_id}", {}),
    ]
    assert done.platform_id == published(graph)[0]["id"] and done.url
    assert dm.platform_id.startswith("m_")
    assert all(call["path"].startswith("/v21.0/") for call in calls(graph))  # versioned like the real API


def test_instagram_reply_and_hide_use_instagram_edges(graph: httpx.Client, meta: MetaPublisher) -> None:
    c = ig_comment(graph)
    meta.reply(c, "Yes, every item in this basket is vegan 🌱")
    meta.hide(c)
    got = [(p["method"], p["path"], p["body"]) for p in published(graph)]
    assert got == [
        ("POST", f"/{c.external_id}/replies", {"message": "Yes, every item in this basket is vegan 🌱"}),
        ("POST", f"/{c.external_id}", {"hide": True}),
    ]


def test_instagram_reply_to_a_reply_is_refused_in_plain_words(graph: httpx.Client, meta: MetaPublisher) -> None:
    top = ig_comment(graph)
    nested = ig_comment(graph, parent_id=top.external_id)
    with pytest.raises(PublishError) as err:
        meta.reply(nested, "Merci!")
    assert err.value.retryable is False and err.value.code == "ig_reply_to_reply"
    assert "top-level comments" in str(err.value)
    assert calls(graph) == []  # refused before calling Instagram
    # The emulator refuses it too, as Instagram does.
    r = graph.post(
        f"/v21.0/{nested.external_id}/replies", json={"message": "x"}, headers={"Authorization": f"Bearer {PAGE_TOKEN}"}
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == 100


def test_a_server_error_on_a_reply_goes_back_to_the_outbox_while_a_hide_is_retried(
    graph: httpx.Client, meta: MetaPublisher
) -> None:
    """Graph may have published a reply it answered with a 5xx: not retried blindly (the outbox reads
    the comment's replies back first); hiding twice is harmless, so a hide is retried at once."""
    c = fb_comment(graph)
    graph.post("/_emulator/faults", json={"fail": 2, "status": 503})
    with pytest.raises(PublishError) as err:
        meta.reply(c, "Thanks for your patience!")
    assert err.value.retryable and [call["status"] for call in calls(graph)] == [503]
    meta.hide(c)
    assert [call["status"] for call in calls(graph)] == [503, 503, 200]
    assert [p["kind"] for p in published(graph)] == ["hide"]


def test_rate_limit_retry_after_is_honoured(graph: httpx.Client, meta: MetaPublisher) -> None:
    c = fb_comment(graph)
    graph.post("/_emulator/faults", json={"next": [{"status": 429, "retry_after": 1}]})
    started = time.monotonic()
    meta.reply(c, "Merci de votre message!")
    first, second = calls(graph)
    assert first["status"] == 429 and second["status"] == 200
    assert second["at"] - first["at"] >= 0.95 and time.monotonic() - started >= 0.95


def test_business_usage_header_with_a_long_wait_gives_back_a_retryable_failure(
    graph: httpx.Client, meta: MetaPublisher
) -> None:
    c = fb_comment(graph)
    graph.post("/_emulator/faults", json={"next": [{"kind": "usage_limit", "regain_minutes": 30}]})
    with pytest.raises(PublishError) as err:
        meta.reply(c, "Hello")
    assert err.value.retryable is True and err.value.code == "rate_limited"
    assert len(calls(graph)) == 1  # not slept for 30 minutes in a worker thread
    assert published(graph) == []


def test_expired_token_is_not_retried_and_says_what_to_do(graph: httpx.Client, meta: MetaPublisher) -> None:
    c = fb_comment(graph)
    graph.post("/_emulator/faults", json={"expired_token": True})
    with pytest.raises(PublishError) as err:
        meta.reply(c, "Bonjour!")
    assert err.value.retryable is False and err.value.code == "token_expired"
    assert str(err.value) == "the Facebook page token has expired: reconnect it"
    body = calls(graph)[0]
    assert len(calls(graph)) == 1 and body["status"] == 400
    raw = graph.post(
        f"/v21.0/{c.external_id}/comments", json={"message": "x"}, headers={"Authorization": f"Bearer {PAGE_TOKEN}"}
    ).json()
    assert raw["error"]["type"] == "OAuthException" and raw["error"]["code"] == 190
    assert raw["error"]["error_subcode"] == 463 and raw["error"]["fbtrace_id"]


def test_missing_permission_and_deleted_comment_are_final(graph: httpx.Client, meta: MetaPublisher) -> None:
    c = fb_comment(graph)
    graph.post("/_emulator/faults", json={"missing_permission": True})
    with pytest.raises(PublishError) as err:
        meta.hide(c)
    assert err.value.retryable is False and err.value.code == "permission"
    assert "pages_manage_engagement" in str(err.value)
    graph.delete("/_emulator/faults")
    graph.post(
        "/_emulator/fire",
        json={"page_id": FB_PAGE, "verb": "remove", "comment_id": c.external_id, "post_id": c.post_id},
    )
    with pytest.raises(PublishError) as err:
        meta.reply(c, "Too late")
    assert err.value.retryable is False and err.value.code == "not_found"
    assert "no longer exists on Facebook" in str(err.value)


def test_second_private_reply_is_refused_as_meta_does(graph: httpx.Client, meta: MetaPublisher) -> None:
    c = fb_comment(graph)
    meta.private_reply(c, "Écrivez-nous en privé svp")
    with pytest.raises(PublishError) as err:
        meta.private_reply(c, "Encore?")
    assert err.value.code == "private_reply_used" and err.value.retryable is False


def test_wrong_token_and_no_token(graph_only: str, graph: httpx.Client) -> None:
    c = fb_comment(graph)
    pub = MetaPublisher(graph_url=f"{graph_only}/v21.0", page_token="not-the-token", policy=FAST)
    with pytest.raises(PublishError) as err:
        pub.reply(c, "x")
    assert err.value.code == "token_invalid" and "reconnect it" in str(err.value)
    pub.close()
    with pytest.raises(PublishError) as err:
        MetaPublisher(graph_url=f"{graph_only}/v21.0", page_token=None).reply(c, "x")
    assert err.value.code == "token_missing" and "META_PAGE_TOKEN" in str(err.value)


def test_unreachable_graph_is_retryable(graph: httpx.Client) -> None:
    from tests.servers import free_port

    pub = MetaPublisher(
        graph_url=f"http://127.0.0.1:{free_port()}/v21.0",
        page_token=PAGE_TOKEN,
        policy=RetryPolicy(attempts=2, backoff=0.01),
    )
    with pytest.raises(PublishError) as err:
        pub.reply(CommentRef("default", "facebook", "1_2", "3"), "x")
    assert err.value.retryable is True and err.value.code == "unreachable"
