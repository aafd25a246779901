"""Private conversations (#24), the path a customer takes: a public complaint → escalated → resolved by
customer service with a private reply, approved and sent → the customer answers in private (Messenger,
Instagram Direct: a signed messaging webhook; X: a direct message the poller finds) → the answer is shown
in the same review thread and under the case card → a reply to it is drafted, approved and sent once.
And the platforms' rule: past Meta's 24-hour window an approval is refused before any call, in the thread."""

from __future__ import annotations

import time
from typing import Any

import pytest

from api.devserver import DEV_IG_ID, DEV_PAGE_ID
from tests.flows.conftest import CM, REVIEW, SAC, SAC_AGENT, action_ids, button_value
from tests.flows.product import Product, run_product

COMPLAINT = "My basket never arrived and nobody answers the phone. Order 48213. Very upset."
ANSWER = "Thanks, the new basket just arrived! Can I add strawberries to my next delivery?"


@pytest.fixture
def product(database_url, tmp_path):
    with run_product(database_url, tmp_path, x_poll_seconds=0.3) as running:
        yield running


def fire_comment(product: Product, platform: str, author_id: str) -> str:
    """A public complaint from Dan, through the platform's emulator; its external id."""
    if platform == "x":
        r = product.x.post(
            "/_emulator/fire",
            json={
                "text": f"@panierboreal {COMPLAINT}",
                "author": {"id": author_id, "name": "Dan Wright", "username": "danw"},
            },
        )
        assert r.status_code == 200, r.text
        return str(r.json()["id"])
    page = DEV_PAGE_ID if platform == "facebook" else DEV_IG_ID
    body = {
        "platform": platform,
        "page_id": page,
        "text": COMPLAINT,
        "from": {"id": author_id, "name": "Dan Wright", "username": "danw"},
    }
    r = product.graph.post("/_emulator/fire", json=body)
    assert r.status_code == 200 and r.json()["status"] == 200, r.text
    return str(r.json()["comment_ids"][0])


def message_in(product: Product, channel: str, ts: str) -> dict[str, Any]:
    return next(m for m in product.ws.messages(channel) if m["ts"] == ts)


def resolve_with_a_private_reply(product: Product, cid: int) -> dict[str, Any]:
    """Customer service claims and resolves the case asking for a private reply; the CM approves the
    drafted private reply. Returns the review message."""
    product.wait_state(cid, "escalated")
    review = product.ws.wait_for(
        lambda: next((m for m in product.ws.messages(REVIEW) if f"cas #{cid}" in str(m.get("blocks"))), None),
        timeout=30,
        what="review message",
    )
    card = product.ws.wait_for(
        lambda: next((m for m in product.ws.messages(SAC) if f"Cas #{cid}" in str(m.get("blocks"))), None),
        timeout=30,
        what="case card",
    )
    product.ws.click(SAC_AGENT, SAC, card["ts"], "claim_case", value=str(cid))
    product.ws.wait_for(lambda: "claimed by" in str(message_in(product, SAC, card["ts"])["blocks"]), what="claim")
    product.ws.click(SAC_AGENT, SAC, card["ts"], "resolve_case", value=str(cid))
    view = product.ws.wait_for(lambda: product.ws.open_view(SAC_AGENT), what="resolve modal")
    product.ws.submit_view(
        SAC_AGENT, view["id"], {"resolution_note": "new basket delivered this morning", "followup_choice": "private"}
    )
    followup = product.ws.wait_for(
        lambda: next(
            (m for m in product.ws.thread(REVIEW, review["ts"])[1:] if "approve_reply" in action_ids(m)), None
        ),
        timeout=30,
        what="private follow-up proposal",
    )
    product.ws.click(CM, REVIEW, followup["ts"], "approve_reply", value=button_value(followup, "approve_reply"))
    product.ws.wait_for(
        lambda: product.api.get(f"/api/comments/{cid}").json()["escalation"]["status"] == "closed",
        timeout=30,
        what="private reply sent, case closed",
    )
    return {"review": review, "card": card}


def dm_review_message(product: Product, review_ts: str) -> dict[str, Any]:
    """The customer's answer, in the complaint's review thread, marked private, with the team's buttons."""
    return product.ws.wait_for(
        lambda: next(
            (
                m
                for m in product.ws.thread(REVIEW, review_ts)[1:]
                if "message privé" in str(m.get("blocks")) and "approve_reply" in action_ids(m)
            ),
            None,
        ),
        timeout=40,
        what="the private answer in the review thread",
    )


def sent_messages(product: Product, platform: str) -> list[dict[str, Any]]:
    if platform == "x":
        return [p for p in product.x.get("/_emulator/published").json() if p["kind"] == "private_reply"]
    return [p for p in product.graph.get("/_emulator/published").json() if p["kind"] == "message"]


@pytest.mark.parametrize("platform", ["facebook", "instagram", "x"])
def test_a_customer_answering_a_private_reply_is_answered_in_the_same_thread_once(product: Product, platform: str):
    author = {"facebook": "fb-dan", "instagram": "ig-dan", "x": "2900000000000000001"}[platform]
    external = fire_comment(product, platform, author)
    cid = product.comment_by_external(external, timeout=30)["id"]
    slack = resolve_with_a_private_reply(product, cid)

    # Dan answers the private reply, in private.
    if platform == "x":
        r = product.x.post(
            "/_emulator/dm", json={"from": {"id": author, "name": "Dan Wright", "username": "danw"}, "text": ANSWER}
        )
    else:
        r = product.graph.post(
            "/_emulator/message", json={"platform": platform, "comment_id": external, "text": ANSWER}
        )
    assert r.status_code == 200, r.text

    dm = dm_review_message(product, slack["review"]["ts"])
    shown = str(dm["blocks"])
    assert "strawberries" in shown and ("danw" if platform == "instagram" else "Dan Wright") in shown
    assert "hide_comment" not in action_ids(dm)  # a private message cannot be hidden
    if platform != "x":
        assert "reply window:" in shown and "h left" in shown  # Meta's 24 hours, counting down
    product.ws.wait_for(  # and under the case card
        lambda: any("strawberries" in m.get("text", "") for m in product.ws.thread(SAC, slack["card"]["ts"])),
        timeout=30,
        what="the private answer under the case card",
    )

    before = len(sent_messages(product, platform))
    proposal = button_value(dm, "approve_reply")
    product.ws.click(CM, REVIEW, dm["ts"], "approve_reply", value=proposal)
    product.ws.react(CM, REVIEW, dm["ts"], "white_check_mark")  # a second approval on top changes nothing
    product.ws.wait_for(
        lambda: len(sent_messages(product, platform)) == before + 1, timeout=30, what="the reply sent as a message"
    )
    time.sleep(0.5)
    sent = sent_messages(product, platform)
    assert len(sent) == before + 1  # once
    product.ws.wait_for(
        lambda: "Publié" in str(message_in_thread(product, slack["review"]["ts"], dm["ts"])["blocks"]),
        timeout=30,
        what="the private answer shown as answered",
    )


def said(message: dict[str, Any]) -> str:
    """What the person wrote, as the review message quotes it."""
    return str(next((b for b in message.get("blocks") or [] if b.get("block_id") == "comment"), ""))


def write_in_messenger(product: Product, psid: str, text: str, **extra: Any) -> None:
    """Someone writes to the page on Messenger (Meta's signed messaging webhook)."""
    body = {"platform": "facebook", "account_id": DEV_PAGE_ID, "from": {"id": psid}, "text": text, **extra}
    r = product.graph.post("/_emulator/message", json=body)
    assert r.status_code == 200, r.text


def review_message_where(product: Product, shows: Any, what: str) -> dict[str, Any]:
    """The first review message in the channel that `shows` and can be approved."""
    return product.ws.wait_for(
        lambda: next((m for m in product.ws.messages(REVIEW) if shows(m) and "approve_reply" in action_ids(m)), None),
        timeout=30,
        what=what,
    )


def message_in_thread(product: Product, thread_ts: str, ts: str) -> dict[str, Any]:
    return next(m for m in product.ws.thread(REVIEW, thread_ts) if m["ts"] == ts)


def test_an_approval_past_metas_24_hour_window_is_refused_in_the_thread_before_any_call(product: Product):
    """Someone new writes on Messenger; the team answers 25 hours later: Sowana refuses before calling Meta,
    and says why in the thread. Someone who wrote an hour ago is answered."""
    old = int(time.time()) - 25 * 3600
    write_in_messenger(product, "psid-late", "Bonjour, est-ce que vous livrez à Sherbrooke?", timestamp=old)
    late = review_message_where(
        product, lambda m: "message privé" in str(m.get("blocks")), "the late message's own review message"
    )
    assert "reply window closed" in str(late["blocks"])
    calls_before = len(product.graph.get("/_emulator/calls").json())
    product.ws.click(CM, REVIEW, late["ts"], "approve_reply", value=button_value(late, "approve_reply"))
    product.ws.wait_for(
        lambda: any(
            "fenêtre de réponse de Messenger est fermée" in m.get("text", "")
            for m in product.ws.thread(REVIEW, late["ts"])
        ),
        timeout=20,
        what="the refusal told in the thread",
    )
    time.sleep(0.5)
    calls = product.graph.get("/_emulator/calls").json()[calls_before:]
    assert not [c for c in calls if c.get("path", "").endswith("/messages")]  # nothing reached Meta

    write_in_messenger(product, "psid-fresh", "Bonjour, est-ce que vous livrez à Lévis?")
    fresh = review_message_where(product, lambda m: "livrez à Lévis" in said(m), "the fresh message's review message")
    assert "reply window: 23 h left" in str(fresh["blocks"])
    product.ws.click(CM, REVIEW, fresh["ts"], "approve_reply", value=button_value(fresh, "approve_reply"))
    product.ws.wait_for(
        lambda: any(p["kind"] == "message" for p in product.graph.get("/_emulator/published").json()),
        timeout=30,
        what="the reply within the window sent",
    )


def test_a_case_opened_on_a_direct_message_is_followed_up_in_the_conversation(product: Product):
    """A complaint that arrives in private goes to customer service like a comment; the resolution can only
    be answered in the conversation (no public reply, no 'private reply' to a message)."""
    write_in_messenger(
        product, "psid-case", "My basket never arrived, order 48213, and nobody answers the phone. I want a refund."
    )
    card = product.ws.wait_for(
        lambda: next((m for m in product.ws.messages(SAC) if "Messenger" in str(m.get("blocks"))), None),
        timeout=40,
        what="the case card of the private complaint",
    )
    cid = int(button_value(card, "claim_case"))
    product.ws.click(SAC_AGENT, SAC, card["ts"], "claim_case", value=str(cid))
    product.ws.wait_for(lambda: "claimed by" in str(message_in(product, SAC, card["ts"])["blocks"]), what="claim")
    product.ws.click(SAC_AGENT, SAC, card["ts"], "resolve_case", value=str(cid))
    view = product.ws.wait_for(lambda: product.ws.open_view(SAC_AGENT), what="resolve modal")
    assert "public reply" not in str(view)  # only a message in the conversation, or nothing
    product.ws.submit_view(SAC_AGENT, view["id"], {"resolution_note": "refund of $42 issued today"})
    review = product.ws.wait_for(
        lambda: next((m for m in product.ws.messages(REVIEW) if f"cas #{cid}" in str(m.get("blocks"))), None),
        timeout=30,
        what="the message's review message",
    )
    followup = product.ws.wait_for(
        lambda: next(
            (m for m in product.ws.thread(REVIEW, review["ts"])[1:] if "approve_reply" in action_ids(m)), None
        ),
        timeout=30,
        what="the follow-up to approve",
    )
    assert "message in the conversation" in str(followup["blocks"]) and "$42" in str(followup["blocks"])
    product.ws.click(CM, REVIEW, followup["ts"], "approve_reply", value=button_value(followup, "approve_reply"))
    product.ws.wait_for(
        lambda: product.api.get(f"/api/comments/{cid}").json()["escalation"]["status"] == "closed",
        timeout=30,
        what="the follow-up sent and the case closed",
    )
    sent = [p for p in product.graph.get("/_emulator/published").json() if p["kind"] == "message"]
    assert len(sent) == 1 and "$42" in sent[0]["body"]["message"]["text"]
    assert sent[0]["body"]["recipient"] == {"id": "psid-case"}
