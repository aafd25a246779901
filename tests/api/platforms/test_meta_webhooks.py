"""Meta webhooks over real HTTP: the Graph emulator fires signed deliveries at the Sowana app."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select

from api.platforms.signatures import meta_signature
from bot.models import AuditLog, Comment, InboundEvent
from tests.api.platforms.conftest import APP_SECRET, FB_PAGE, IG_ACCOUNT, VERIFY_TOKEN, Stack

JULIE = {"id": "100200", "name": "Julie Tremblay"}


def comments(stack: Stack) -> list[Comment]:
    with Session(stack.engine) as s:
        return list(s.exec(select(Comment).order_by(Comment.id)).all())  # type: ignore[arg-type]


def audits(stack: Stack, action: str) -> list[AuditLog]:
    with Session(stack.engine) as s:
        return list(s.exec(select(AuditLog).where(AuditLog.action == action)).all())


def post_signed(stack: Stack, payload: Any, secret: str = APP_SECRET) -> Any:
    body = json.dumps(payload).encode()
    return stack.client.post(
        f"{stack.app}/webhooks/meta",
        content=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(secret, body)},
    )


def test_verification_handshake_echoes_the_challenge_only_for_our_token(stack: Stack) -> None:
    ok = stack.client.get(
        f"{stack.app}/webhooks/meta",
        params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"},
    )
    assert ok.status_code == 200 and ok.text == "1158201444"
    wrong = stack.client.get(
        f"{stack.app}/webhooks/meta",
        params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"},
    )
    assert wrong.status_code == 403 and "1158201444" not in wrong.text


def test_signed_facebook_comment_is_stored_before_200(stack: Stack) -> None:
    fired = stack.fire_meta(page_id=FB_PAGE, text="Bonjour! Livrez-vous à Sherbrooke? 😊", **{"from": JULIE})
    assert fired["status"] == 200 and fired["response"]["created"] == 1
    [c] = comments(stack)
    value = fired["payload"]["entry"][0]["changes"][0]["value"]
    assert (c.brand, c.platform, c.external_id) == ("default", "facebook", value["comment_id"])
    assert c.text == "Bonjour! Livrez-vous à Sherbrooke? 😊"
    assert (c.author_id, c.author_name) == ("100200", "Julie Tremblay")
    assert c.post_id == value["post_id"] and c.parent_id is None  # top-level: its parent is the post
    assert c.state == "received"


def test_reply_to_a_comment_keeps_its_parent(stack: Stack) -> None:
    first = stack.fire_meta(page_id=FB_PAGE, text="Is the store open on Sunday?", **{"from": JULIE})
    value = first["payload"]["entry"][0]["changes"][0]["value"]
    stack.fire_meta(
        page_id=FB_PAGE,
        post_id=value["post_id"],
        parent_id=value["comment_id"],
        text="Same question here!",
        **{"from": {"id": "100300", "name": "Sam Lee"}},
    )
    reply = comments(stack)[1]
    assert reply.parent_id == value["comment_id"] and reply.post_id == value["post_id"]


def test_forged_or_missing_signature_is_refused_and_nothing_stored(stack: Stack) -> None:
    forged = stack.fire_meta(page_id=FB_PAGE, text="Cliquez ici pour gagner un iPhone", forge=True)
    assert forged["status"] == 403
    payload = forged["payload"]
    assert post_signed(stack, payload, secret="someone-else").status_code == 403
    unsigned = stack.client.post(f"{stack.app}/webhooks/meta", json=payload)
    assert unsigned.status_code == 401
    assert comments(stack) == []


def test_malformed_json_is_400_with_a_reason(stack: Stack) -> None:
    body = b'{"object": "page", "entry": [ oops'
    r = stack.client.post(
        f"{stack.app}/webhooks/meta",
        content=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(APP_SECRET, body)},
    )
    assert r.status_code == 400 and "not valid JSON" in r.json()["detail"]
    r = post_signed(stack, {"object": "page", "entry": {"id": FB_PAGE}})
    assert r.status_code == 400 and "'entry' must be a list" in r.json()["detail"]
    assert comments(stack) == []


def test_batched_entries_across_pages_and_an_unknown_page(stack: Stack) -> None:
    fired = stack.fire_meta(
        events=[
            {"page_id": FB_PAGE, "text": "Merci pour la livraison rapide!", "from": JULIE},
            {"page_id": FB_PAGE, "text": "Where is my order #4411?", "from": {"id": "100300", "name": "Sam Lee"}},
            {"page_id": "9999", "text": "Page d'une autre marque", "from": JULIE},
        ]
    )
    assert len(fired["payload"]["entry"]) == 2  # one entry per page, changes batched inside
    assert fired["status"] == 200
    assert fired["response"]["created"] == 2 and fired["response"]["skipped"] == {"unknown_account": 1}
    assert sorted(c.text for c in comments(stack)) == ["Merci pour la livraison rapide!", "Where is my order #4411?"]


def test_unknown_page_alone_is_answered_200_and_not_stored(stack: Stack) -> None:
    fired = stack.fire_meta(page_id="424242", text="Hello from a page we do not manage", **{"from": JULIE})
    assert fired["status"] == 200 and fired["response"]["skipped"] == {"unknown_account": 1}
    assert comments(stack) == []


def test_duplicate_delivery_is_stored_once(stack: Stack) -> None:
    fired = stack.fire_meta(page_id=FB_PAGE, text="Vous êtes ouverts le dimanche?", **{"from": JULIE})
    again = post_signed(stack, fired["payload"])
    assert again.status_code == 200 and again.json()["duplicates"] == 1 and again.json()["created"] == 0
    assert len(comments(stack)) == 1
    assert len(audits(stack, "received")) == 1


def test_the_pages_own_comment_is_ignored(stack: Stack) -> None:
    fired = stack.fire_meta(page_id=FB_PAGE, text="Merci Julie! 💚", **{"from": {"id": FB_PAGE, "name": "Panier"}})
    assert fired["status"] == 200 and fired["response"]["skipped"] == {"own_comment": 1}
    assert comments(stack) == []


def test_edit_updates_text_and_the_audit_says_so_without_the_old_text(stack: Stack) -> None:
    first = stack.fire_meta(page_id=FB_PAGE, text="Commande pas reçue", **{"from": JULIE})
    value = first["payload"]["entry"][0]["changes"][0]["value"]
    same = {"page_id": FB_PAGE, "post_id": value["post_id"], "comment_id": value["comment_id"], "from": JULIE}
    edited = stack.fire_meta(verb="edited", text="Commande reçue finalement, merci!", **same)
    assert edited["status"] == 200 and edited["response"]["edited"] == 1
    [c] = comments(stack)
    assert c.text == "Commande reçue finalement, merci!" and c.edited_at is not None
    [row] = audits(stack, "edited_by_author")
    assert row.detail is not None and row.detail["previous_chars"] == len("Commande pas reçue")
    assert "pas reçue" not in str(row.detail)  # the audit log holds no personal data (#23)
    assert stack.changed == [(c.id, "edited")]
    # Meta retries the same edit: applied once.
    again = post_signed(stack, edited["payload"])
    assert again.json()["duplicates"] == 1
    assert len(audits(stack, "edited_by_author")) == 1


def test_an_erased_persons_edit_is_not_stored_again(stack: Stack) -> None:
    from bot.privacy.erase import Eraser, Person

    first = stack.fire_meta(page_id=FB_PAGE, text="Commande pas reçue", **{"from": JULIE})
    value = first["payload"]["entry"][0]["changes"][0]["value"]
    Eraser(stack.engine).erase_person(Person("default", "facebook", JULIE["id"]), actor="test")
    same = {"page_id": FB_PAGE, "post_id": value["post_id"], "comment_id": value["comment_id"], "from": JULIE}
    edited = stack.fire_meta(verb="edited", text="Commande reçue finalement", **same)
    assert edited["status"] == 200
    [c] = comments(stack)
    assert c.text == "" and c.author_name == "" and c.erased_at is not None


def test_edit_of_a_comment_never_seen_stores_it(stack: Stack) -> None:
    fired = stack.fire_meta(page_id=FB_PAGE, verb="edited", text="Actually, wrong size: can I exchange?")
    assert fired["status"] == 200 and fired["response"]["created"] == 1
    [c] = comments(stack)
    assert c.text == "Actually, wrong size: can I exchange?"


def test_removal_marks_deleted_once(stack: Stack) -> None:
    first = stack.fire_meta(page_id=FB_PAGE, text="This brand is a scam", **{"from": JULIE})
    value = first["payload"]["entry"][0]["changes"][0]["value"]
    removed = stack.fire_meta(
        page_id=FB_PAGE, verb="remove", post_id=value["post_id"], comment_id=value["comment_id"], **{"from": JULIE}
    )
    assert removed["status"] == 200 and removed["response"]["removed"] == 1
    assert "message" not in removed["payload"]["entry"][0]["changes"][0]["value"]
    [c] = comments(stack)
    assert c.deleted_at is not None and c.text == "This brand is a scam"  # kept for the record
    assert post_signed(stack, removed["payload"]).json()["duplicates"] == 1
    assert len(audits(stack, "deleted_by_author")) == 1
    assert stack.changed == [(c.id, "deleted")]
    with Session(stack.engine) as s:
        assert len(s.exec(select(InboundEvent)).all()) == 1


def test_removal_overtaking_its_comment_still_marks_it_deleted(stack: Stack) -> None:
    ids = {"page_id": FB_PAGE, "post_id": f"{FB_PAGE}_77", "comment_id": "77_88", "from": JULIE}
    stack.fire_meta(verb="remove", **ids)
    stack.fire_meta(verb="add", text="Premier message", **ids)
    [c] = comments(stack)
    assert c.deleted_at is not None


def test_instagram_comment_and_reply(stack: Stack) -> None:
    top = stack.fire_meta(
        platform="instagram",
        page_id=IG_ACCOUNT,
        text="Trop beau ce panier 😍",
        **{"from": {"id": "555", "username": "lea.qc"}},
    )
    assert top["payload"]["object"] == "instagram"
    value = top["payload"]["entry"][0]["changes"][0]["value"]
    assert set(value) == {"from", "media", "id", "text"}
    stack.fire_meta(
        platform="instagram",
        page_id=IG_ACCOUNT,
        media_id=value["media"]["id"],
        parent_id=value["id"],
        text="@lea.qc agreed!",
        **{"from": {"id": "556", "username": "mike_b"}},
    )
    first, second = comments(stack)
    assert (first.platform, first.author_name, first.post_id, first.parent_id) == (
        "instagram",
        "lea.qc",
        value["media"]["id"],
        None,
    )
    assert second.parent_id == value["id"]
    own = stack.fire_meta(platform="instagram", page_id=IG_ACCOUNT, text="Merci!", **{"from": {"id": IG_ACCOUNT}})
    assert own["response"]["skipped"] == {"own_comment": 1}
