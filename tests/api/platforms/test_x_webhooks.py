"""X Account Activity over real HTTP: CRC, signed deliveries from the X emulator, own posts ignored."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from sqlmodel import Session, select

from api.platforms.signatures import x_signature
from bot.models import Comment
from tests.api.platforms.conftest import X_BRAND, X_SECRET, Stack

CHLOE = {"id": "8801", "name": "Chloé Gagnon", "username": "chloe_g"}


def stored(stack: Stack) -> list[Comment]:
    with Session(stack.engine) as s:
        return list(s.exec(select(Comment).order_by(Comment.id)).all())  # type: ignore[arg-type]


def test_crc_answers_the_documented_response_token(stack: Stack) -> None:
    r = stack.client.get(f"{stack.app}/webhooks/x", params={"crc_token": "Y3JjX3Rva2Vu", "nonce": "MTU3"})
    expected = (
        "sha256=" + base64.b64encode(hmac.new(X_SECRET.encode(), b"Y3JjX3Rva2Vu", hashlib.sha256).digest()).decode()
    )
    assert r.status_code == 200 and r.json() == {"response_token": expected}
    assert stack.client.get(f"{stack.app}/webhooks/x").status_code == 400


def test_signed_mention_is_stored_and_forged_one_refused(stack: Stack) -> None:
    ok = stack.fire_x(text="@panierboreal ma commande n'est jamais arrivée 😡", author=CHLOE)
    assert ok["status"] == 200 and ok["response"]["created"] == 1
    forged = stack.fire_x(text="@panierboreal free crypto!!!", author=CHLOE, forge=True)
    assert forged["status"] == 403
    [c] = stored(stack)
    assert (c.platform, c.external_id, c.brand) == ("x", ok["id"], "default")
    assert c.text == "@panierboreal ma commande n'est jamais arrivée 😡"
    assert (c.author_id, c.author_name) == ("8801", "Chloé Gagnon")
    assert c.url == f"https://x.com/chloe_g/status/{ok['id']}"


def test_reply_in_a_brand_thread_keeps_its_parent_and_own_posts_are_ignored(stack: Stack) -> None:
    own = stack.fire_x(
        text="New autumn baskets are here! 🍂", author={"id": X_BRAND, "name": "Panier", "username": "panierboreal"}
    )
    assert own["response"]["skipped"] == {"own_comment": 1}
    reply = stack.fire_x(text="Do you ship to Ontario?", author=CHLOE, in_reply_to_tweet_id=own["id"])
    assert reply["response"]["created"] == 1
    [c] = stored(stack)
    assert c.parent_id == own["id"]


def test_duplicate_delivery_blocked_author_and_deletion(stack: Stack) -> None:
    fired = stack.fire_x(text="@panierboreal where is my refund?", author=CHLOE)
    body = json.dumps(
        {
            "for_user_id": X_BRAND,
            "tweet_create_events": [
                {
                    "id_str": fired["id"],
                    "text": "x",
                    "user": {"id_str": "8801", "name": "Chloé", "screen_name": "chloe_g"},
                }
            ],
        }
    ).encode()
    again = stack.client.post(
        f"{stack.app}/webhooks/x",
        content=body,
        headers={"x-twitter-webhooks-signature": x_signature(X_SECRET, body), "Content-Type": "application/json"},
    )
    assert again.status_code == 200 and again.json()["duplicates"] == 1
    blocked = stack.fire_x(
        text="@panierboreal 🤬🤬", author={"id": "666", "name": "Troll", "username": "t"}, user_has_blocked=True
    )
    assert blocked["response"]["skipped"] == {"author_blocked": 1}
    gone = stack.client.post(f"{stack.x}/_emulator/fire_delete", json={"id": fired["id"]}).json()
    assert gone["status"] == 200 and gone["response"]["removed"] == 1
    [c] = stored(stack)
    assert c.deleted_at is not None


def test_malformed_payloads_are_400_and_store_nothing(stack: Stack) -> None:
    def post(payload: object) -> object:
        body = json.dumps(payload).encode()
        return stack.client.post(
            f"{stack.app}/webhooks/x",
            content=body,
            headers={"x-twitter-webhooks-signature": x_signature(X_SECRET, body)},
        )

    assert post({"tweet_create_events": []}).status_code == 400  # type: ignore[attr-defined]
    assert post(["not", "an", "object"]).status_code == 400  # type: ignore[attr-defined]
    assert stored(stack) == []
