"""From a signed platform webhook to a published reply, with the real brain (triage, retrieval,
offline drafting) — the path a comment takes in production, on SQLite and PostgreSQL."""

from __future__ import annotations

import time

import pytest

from tests.flows.conftest import CM, REVIEW, SAC, SAC_AGENT, action_ids, button_value
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


def test_a_complaint_goes_to_customer_service_and_comes_back_as_public_and_private_replies(product: Product):
    """The seed's e-mail chain as one Slack thread: complaint → automatic escalation → claim → resolution
    with a note → follow-up proposals in the review thread → approved → both replies reach the platform
    → case closed with both clocks recorded."""
    external = product.fire_facebook(
        "My basket never arrived and nobody answers the phone. Order 48213. Very upset.", author="Dan Wright"
    )
    comment = product.comment_by_external(external)
    cid = comment["id"]
    case = product.wait_state(cid, "escalated")
    triage = case["triage"]["result"]
    assert triage["lang"] == "en" and triage["intent"] == "complaint" and triage["needs_sac"]
    assert not triage["humor_ok"]
    assert all(p["kind"] == "serious" for p in case["proposals"])
    assert all(" vous " not in p["text"] for p in case["proposals"])  # answered in English
    review = review_message_for_case(product, cid)

    # Nobody clicked anything: Sowana escalated it and says so in the review thread and the SAC channel.
    card = product.ws.wait_for(
        lambda: next((m for m in product.ws.messages(SAC) if f"Cas #{cid}" in str(m.get("blocks"))), None),
        timeout=30,
        what="case card",
    )
    assert "automatiquement" in str(card["blocks"]) and "Dan Wright" in str(card["blocks"])
    assert "first response" in str(card["blocks"])  # the SLA clocks are on the card
    product.ws.wait_for(
        lambda: any("automatiquement" in m.get("text", "") for m in product.ws.thread(REVIEW, review["ts"])),
        what="escalation line in the review thread",
    )

    product.ws.click(SAC_AGENT, SAC, card["ts"], "claim_case", value=str(cid))
    product.ws.wait_for(
        lambda: "claimed by <@U0SAC>" in str(_message(product, SAC, card["ts"])["blocks"]), what="claimed card"
    )
    product.ws.click(SAC_AGENT, SAC, card["ts"], "resolve_case", value=str(cid))
    view = product.ws.wait_for(lambda: product.ws.open_view(SAC_AGENT), what="resolve modal")
    assert "followup_choice" in str(view)  # public, private, both or none (Facebook: both by default)
    product.ws.submit_view(
        SAC_AGENT, view["id"], {"resolution_note": "new basket delivered this morning, $10 credit on the account"}
    )
    product.wait_state(cid, "resolved")

    followups = product.ws.wait_for(
        lambda: next(
            (m for m in product.ws.thread(REVIEW, review["ts"])[1:] if action_ids(m).count("approve_reply") == 2), None
        ),
        timeout=30,
        what="follow-up proposals in the review thread",
    )
    text = str(followups["blocks"])
    assert "Good news Dan" in text and "$10 credit" in text  # public: no detail; private: what was done
    for proposal_id in [button_value(followups, "approve_reply", i) for i in range(2)]:
        product.ws.click(CM, REVIEW, followups["ts"], "approve_reply", value=proposal_id)

    done = product.wait_state(cid, "published")
    published = product.graph.get("/_emulator/published").json()
    public = [p for p in published if p["kind"] == "reply" and p["target"] == external]
    private = [p for p in published if p["kind"] == "private_reply" and p["target"] == external]
    assert len(public) == 1 and public[0]["body"]["message"].startswith("Good news Dan")
    assert len(private) == 1 and "$10 credit" in private[0]["body"]["message"]["text"]
    esc = done["escalation"]
    assert esc["status"] == "closed" and esc["closed_at"]
    assert esc["first_response_seconds"] is not None and esc["resolution_seconds"] is not None
    product.ws.wait_for(
        lambda: "case closed" in str(_message(product, SAC, card["ts"])["blocks"]), what="card shows it closed"
    )


def review_message_for_case(product: Product, comment_id: int) -> dict:
    return product.ws.wait_for(
        lambda: next((m for m in product.ws.messages(REVIEW) if f"cas #{comment_id}" in str(m.get("blocks"))), None),
        timeout=30,
        what="review message",
    )


def _message(product: Product, channel: str, ts: str) -> dict:
    return next(m for m in product.ws.messages(channel) if m["ts"] == ts)


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
