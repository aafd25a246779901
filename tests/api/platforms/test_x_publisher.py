"""XPublisher against the X emulator: replies, DMs, hiding only in the brand's conversations,
rate limits honoured from `x-rate-limit-reset`, and refusals in plain words."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.platforms.http import RetryPolicy
from api.platforms.x import XPublisher
from bot.comments.publisher import CommentRef, PublishError
from tests.api.platforms.conftest import X_BRAND, X_TOKEN

FAST = RetryPolicy(attempts=3, backoff=0.01, max_backoff=0.05, max_wait=5)
BRAND = {"id": X_BRAND, "name": "Panier Boréal", "username": "panierboreal"}
CHLOE = {"id": "8801", "name": "Chloé Gagnon", "username": "chloe_g"}


@pytest.fixture
def pub(x_only: str) -> Iterator[XPublisher]:
    p = XPublisher(api_url=f"{x_only}/2", bearer_token=X_TOKEN, policy=FAST)
    yield p
    p.close()


def post(xapi: httpx.Client, author: dict[str, str], text: str, reply_to: str | None = None) -> CommentRef:
    r = xapi.post(
        "/_emulator/fire", json={"author": author, "text": text, "in_reply_to_tweet_id": reply_to, "deliver": "store"}
    ).json()
    return CommentRef("default", "x", r["id"], author["id"], r["conversation_id"], reply_to)


def published(xapi: httpx.Client) -> list[dict[str, Any]]:
    return xapi.get("/_emulator/published").json()  # type: ignore[no-any-return]


def test_reply_and_direct_message(xapi: httpx.Client, pub: XPublisher) -> None:
    mention = post(xapi, CHLOE, "@panierboreal ma boîte est arrivée écrasée")
    done = pub.reply(mention, "Désolés Chloé! Écrivez-nous en DM, on règle ça.")
    dm = pub.private_reply(mention, "Bonjour Chloé, votre numéro de commande?")
    (reply, message) = published(xapi)
    assert (reply["method"], reply["path"]) == ("POST", "/2/tweets")
    assert reply["body"] == {
        "text": "Désolés Chloé! Écrivez-nous en DM, on règle ça.",
        "reply": {"in_reply_to_tweet_id": mention.external_id},
    }
    assert done.platform_id == reply["id"] and done.url == f"https://x.com/i/web/status/{reply['id']}"
    assert (message["method"], message["path"]) == ("POST", "/2/dm_conversations/with/8801/messages")
    assert message["body"] == {"text": "Bonjour Chloé, votre numéro de commande?"} and dm.platform_id


def test_hide_works_in_the_brands_conversation(xapi: httpx.Client, pub: XPublisher) -> None:
    root = post(xapi, BRAND, "Our autumn baskets are here 🍂")
    spam = post(xapi, CHLOE, "Buy followers at spam.example", reply_to=root.external_id)
    pub.hide(spam)
    pub.hide(spam, hidden=False)
    got = [(p["method"], p["path"], p["body"]) for p in published(xapi)]
    assert got == [
        ("PUT", f"/2/tweets/{spam.external_id}/hidden", {"hidden": True}),
        ("PUT", f"/2/tweets/{spam.external_id}/hidden", {"hidden": False}),
    ]


def test_hide_is_refused_when_the_brand_did_not_start_the_conversation(xapi: httpx.Client, pub: XPublisher) -> None:
    mention = post(xapi, CHLOE, "@panierboreal vous êtes les pires")
    with pytest.raises(PublishError) as err:
        pub.hide(mention)  # a mention starts its own conversation: refused without calling X
    assert err.value.retryable is False and err.value.code == "hide_not_owner"
    assert "conversations it started" in str(err.value)
    # A reply in someone else's thread, with no conversation id known: X answers 403, told the same way.
    reply = post(
        xapi, {"id": "8802", "name": "Max", "username": "max"}, "@panierboreal +1", reply_to=mention.external_id
    )
    with pytest.raises(PublishError) as err:
        pub.hide(CommentRef("default", "x", reply.external_id, "8802"))
    assert err.value.code == "hide_not_owner" and "conversations it started" in str(err.value)
    assert published(xapi) == []
    calls = xapi.get("/_emulator/calls").json()
    assert [c["status"] for c in calls] == [403]


def test_429_waits_until_x_rate_limit_reset(xapi: httpx.Client, pub: XPublisher) -> None:
    mention = post(xapi, CHLOE, "@panierboreal hello?")
    xapi.post("/_emulator/faults", json={"next": [{"status": 429, "reset_in": 1}]})
    pub.reply(mention, "Hi! How can we help?")
    first, second = xapi.get("/_emulator/calls").json()
    assert first["status"] == 429 and second["status"] == 201
    assert second["at"] >= int(first["at"]) + 1  # not before the announced reset second
    assert len(published(xapi)) == 1


def test_a_server_error_on_a_reply_goes_back_to_the_outbox(xapi: httpx.Client, pub: XPublisher) -> None:
    """X may have posted a reply it answered with a 5xx: not retried blindly (the outbox reads back first)."""
    mention = post(xapi, CHLOE, "@panierboreal any news?")
    xapi.post("/_emulator/faults", json={"fail": 1, "status": 503})
    with pytest.raises(PublishError) as err:
        pub.reply(mention, "Yes, shipping tomorrow!")
    assert err.value.retryable and [c["status"] for c in xapi.get("/_emulator/calls").json()] == [503]
    assert pub.find_reply(mention, "Yes, shipping tomorrow!") is None  # X did not post it
    sent = pub.reply(mention, "Yes, shipping tomorrow!")
    assert pub.find_reply(mention, "Yes, shipping tomorrow!") == sent


def test_revoked_token_and_deleted_post_and_delete_refusal(xapi: httpx.Client, pub: XPublisher) -> None:
    mention = post(xapi, CHLOE, "@panierboreal test")
    xapi.post("/_emulator/faults", json={"expired_token": True})
    with pytest.raises(PublishError) as err:
        pub.reply(mention, "x")
    assert err.value.retryable is False and "reconnect the X account" in str(err.value)
    assert len(xapi.get("/_emulator/calls").json()) == 1
    xapi.delete("/_emulator/faults")
    xapi.post("/_emulator/fire_delete", json={"id": mention.external_id})
    with pytest.raises(PublishError) as err:
        pub.reply(mention, "too late")
    assert err.value.retryable is False and "deleted" in str(err.value)
    with pytest.raises(PublishError) as err:
        pub.delete(mention)
    assert err.value.code == "delete_not_allowed" and "someone else's post" in str(err.value)


def test_429_with_a_far_reset_gives_back_a_retryable_failure(xapi: httpx.Client, pub: XPublisher) -> None:
    mention = post(xapi, CHLOE, "@panierboreal allo")
    xapi.post("/_emulator/faults", json={"next": [{"status": 429, "reset_in": 900}]})
    with pytest.raises(PublishError) as err:
        pub.reply(mention, "x")
    assert err.value.retryable is True and err.value.code == "rate_limited" and "UTC" in str(err.value)
    problem = xapi.get("/_emulator/calls").json()[0]
    assert problem["status"] == 429
