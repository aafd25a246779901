"""From a signed platform webhook to a published reply, with the real brain (triage, retrieval,
offline drafting) — the path a comment takes in production, on SQLite and PostgreSQL."""

from __future__ import annotations

import time

import pytest

from tests.flows.conftest import CM, REVIEW, action_ids, button_value
from tests.flows.product import Product, run_product


@pytest.fixture
def product(database_url, tmp_path):
    with run_product(database_url, tmp_path) as running:
        yield running


def review_message_for(product: Product, comment_id: int) -> dict:
    return product.ws.wait_for(
        lambda: next(
            (
                m
                for m in product.ws.messages(REVIEW)
                if f"cas #{comment_id}" in str(m.get("blocks")) and "approve_reply" in action_ids(m)
            ),
            None,
        ),
        timeout=30,
        what="review message",
    )


def test_meta_webhook_to_review_message_to_exactly_one_published_reply(product: Product):
    external = product.fire_facebook(
        "Bonjour! Est-ce que vous livrez à Sherbrooke? On vient de déménager 😊", comment_id="123_9001"
    )
    comment = product.comment_by_external(external)
    msg = review_message_for(product, comment["id"])
    case = product.wait_state(comment["id"], "posted")
    triage = case["triage"]["result"]
    assert (triage["lang"], triage["intent"], triage["humor_ok"]) == ("fr", "question", False)
    serious = [p for p in case["proposals"] if p["kind"] == "serious"]
    assert serious and serious[0]["text"].startswith("Bonjour Julie")
    assert "livraison-zones" in serious[0]["cited_ids"]  # grounded in the brand's FAQ
    assert "Sherbrooke" in str(msg["blocks"]) and "livraison-zones" in str(msg["blocks"])

    product.ws.click(CM, REVIEW, msg["ts"], "approve_reply", value=button_value(msg, "approve_reply"))
    product.ws.react(CM, REVIEW, msg["ts"], "white_check_mark")  # a second approval on top
    product.wait_state(comment["id"], "published")
    time.sleep(0.5)
    published = product.graph.get("/_emulator/published").json()
    replies = [p for p in published if p["kind"] == "reply"]
    assert len(replies) == 1
    assert replies[0]["target"] == "123_9001" and replies[0]["path"] == "/123_9001/comments"
    assert replies[0]["body"]["message"] == serious[0]["text"]


def test_an_english_complaint_is_handed_to_customer_service_without_wit(product: Product):
    external = product.fire_facebook(
        "My basket never arrived and nobody answers the phone. Order 48213. Very upset.", author="Dan Wright"
    )
    comment = product.comment_by_external(external)
    case = product.wait_state(comment["id"], "posted")
    triage = case["triage"]["result"]
    assert triage["lang"] == "en" and triage["intent"] == "complaint" and triage["needs_sac"]
    assert not triage["humor_ok"]
    assert all(p["kind"] == "serious" for p in case["proposals"])
    assert all(" vous " not in p["text"] for p in case["proposals"])  # answered in English


def test_deleted_by_its_author_cannot_be_answered(product: Product):
    external = product.fire_facebook("Vos paniers sont-ils bios?", comment_id="123_9002")
    comment = product.comment_by_external(external)
    msg = review_message_for(product, comment["id"])
    product.wait_state(comment["id"], "posted")
    r = product.graph.post(
        "/_emulator/fire",
        json={
            "platform": "facebook",
            "page_id": "104000000000001",
            "comment_id": "123_9002",
            "verb": "remove",
            "from": {"id": "fb-u-1", "name": "Julie Tremblay"},
        },
    )
    assert r.status_code == 200

    def current() -> dict:
        return next(m for m in product.ws.messages(REVIEW) if m["ts"] == msg["ts"])

    updated = product.ws.wait_for(
        lambda: "Supprimé par son auteur" in str(current()["blocks"]) and current(),
        timeout=15,
        what="review message says deleted",
    )
    assert "approve_reply" not in action_ids(updated)  # nothing left to click
    product.ws.react(CM, REVIEW, msg["ts"], "white_check_mark")  # a reaction still arrives: refused
    product.ws.wait_for(
        lambda: any("deleted by its author" in e["text"] for e in product.ws.ephemerals(CM)), timeout=10, what="refusal"
    )
    assert [p for p in product.graph.get("/_emulator/published").json() if p["kind"] == "reply"] == []


def test_an_expired_page_token_is_told_in_the_thread_and_retry_publishes_once(product: Product):
    external = product.fire_facebook("Do you deliver to Laval on Saturdays?", author="Sarah Kim", comment_id="123_9003")
    comment = product.comment_by_external(external)
    msg = review_message_for(product, comment["id"])
    product.wait_state(comment["id"], "posted")
    assert product.graph.post("/_emulator/faults", json={"expired_token": True}).status_code == 200
    product.ws.click(CM, REVIEW, msg["ts"], "approve_reply", value=button_value(msg, "approve_reply"))
    case = product.wait_state(comment["id"], "failed")
    assert "token has expired" in case["failure_reason"]
    assert case["publications"][0]["status"] == "failed"
    notice = product.ws.wait_for(
        lambda: next((m for m in product.ws.thread(REVIEW, msg["ts"]) if "reconnect it" in m.get("text", "")), None),
        timeout=15,
    )
    assert "retry_publication" in action_ids(notice)
    product.graph.delete("/_emulator/faults")
    product.ws.click(CM, REVIEW, notice["ts"], "retry_publication", value=str(comment["id"]))
    product.wait_state(comment["id"], "published")
    replies = [p for p in product.graph.get("/_emulator/published").json() if p["kind"] == "reply"]
    assert len(replies) == 1 and replies[0]["target"] == "123_9003"
