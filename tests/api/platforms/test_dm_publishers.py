"""Messages out (#24) against the emulators over loopback HTTP: the Send API within Meta's windows (24 h from
the person's last message, 7 days with HUMAN_AGENT, a private reply within 7 days of the comment), blocked
people, rate limits, reading a lost message back; X direct messages, refused by people who do not accept
them. Every refusal reaches the team as a plain reason and a code the bot acts on."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.platforms.http import AMBIGUOUS, RetryPolicy
from api.platforms.meta import MetaPublisher
from api.platforms.x import XPublisher
from bot.comments.publisher import CommentRef, ConversationRef, PublishError
from tests.api.platforms.conftest import FB_PAGE, IG_ACCOUNT, PAGE_TOKEN, X_BRAND, X_TOKEN

FAST = RetryPolicy(attempts=3, backoff=0.01, max_backoff=0.05, max_wait=5)
JULIE = {"id": "100200", "name": "Julie Tremblay"}


@pytest.fixture
def meta(graph_only: str) -> Iterator[MetaPublisher]:
    pub = MetaPublisher(graph_url=f"{graph_only}/v21.0", page_token=PAGE_TOKEN, policy=FAST)
    yield pub
    pub.close()


def fb_comment(graph: httpx.Client, **kw: Any) -> CommentRef:
    fired = graph.post("/_emulator/fire", json={"page_id": FB_PAGE, "text": "Colis brisé!", "from": JULIE, **kw}).json()
    v = fired["payload"]["entry"][0]["changes"][0]["value"]
    return CommentRef("default", "facebook", v["comment_id"], v["from"]["id"], v["post_id"], None)


def says(graph: httpx.Client, psid: str, text: str, ago: float = 0, platform: str = "facebook") -> dict[str, Any]:
    account = FB_PAGE if platform == "facebook" else IG_ACCOUNT
    body = {"platform": platform, "account_id": account, "from": {"id": psid}, "text": text, "deliver": "store"}
    if ago:
        body["timestamp"] = int((time.time() - ago) * 1000)
    r = graph.post("/_emulator/message", json=body)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def refused(call: Any) -> PublishError:
    with pytest.raises(PublishError) as err:
        call()
    return err.value


def test_private_reply_answers_the_psid_and_the_window_opens_when_the_person_answers(
    graph: httpx.Client, meta: MetaPublisher
) -> None:
    comment = fb_comment(graph)
    done = meta.private_reply(comment, "Bonjour Julie, votre numéro de commande?")
    psid = done.recipient_id
    assert psid and psid != JULIE["id"]  # Messenger's PSID is page-scoped, not the commenter's id
    to = ConversationRef("default", "facebook", psid, account_id=FB_PAGE)
    # Meta lets the page write again only once the person answers the private reply.
    err = refused(lambda: meta.send_message(to, "Vous êtes là?"))
    assert (err.code, err.retryable) == ("window_closed", False) and "24-hour reply window" in str(err)
    answer = graph.post(
        "/_emulator/message", json={"comment_id": comment.external_id, "text": "C'est 1234", "deliver": "store"}
    ).json()
    assert answer["psid"] == psid  # the same conversation the private reply opened
    sent = meta.send_message(to, "Merci, un nouveau colis part demain.")
    assert sent.recipient_id == psid and sent.platform_id.startswith("m_")
    last = graph.get("/_emulator/published").json()[-1]
    assert (last["kind"], last["path"]) == ("message", f"/{FB_PAGE}/messages")
    assert last["body"] == {
        "recipient": {"id": psid},
        "message": {"text": "Merci, un nouveau colis part demain."},
        "messaging_type": "RESPONSE",
    }
    found = meta.find_message(to, "Merci, un nouveau colis part demain.")
    assert found is not None and found.platform_id == sent.platform_id
    assert meta.find_message(to, "C'est 1234") is None  # the person's words are not ours
    assert meta.find_message(to, "never sent") is None


def test_past_24_hours_a_standard_reply_is_refused_and_human_agent_still_answers(
    graph: httpx.Client, meta: MetaPublisher
) -> None:
    says(graph, "2460001", "Bonjour?", ago=25 * 3600)
    to = ConversationRef("default", "facebook", "2460001", account_id=FB_PAGE)
    err = refused(lambda: meta.send_message(to, "Désolés du délai"))
    assert err.code == "window_closed" and not err.retryable
    tagged = ConversationRef("default", "facebook", "2460001", account_id=FB_PAGE, tag="HUMAN_AGENT")
    meta.send_message(tagged, "Désolés du délai")
    last = graph.get("/_emulator/published").json()[-1]
    assert last["body"]["messaging_type"] == "MESSAGE_TAG" and last["body"]["tag"] == "HUMAN_AGENT"
    says(graph, "2460002", "Allo", ago=8 * 24 * 3600)  # past 7 days: even HUMAN_AGENT is refused
    late = ConversationRef("default", "facebook", "2460002", account_id=FB_PAGE, tag="HUMAN_AGENT")
    assert refused(lambda: meta.send_message(late, "x")).code == "window_closed"


def test_instagram_direct_uses_the_instagram_account_and_me(graph: httpx.Client, meta: MetaPublisher) -> None:
    says(graph, "17841455", "Is this vegan?", platform="instagram")
    to = ConversationRef("default", "instagram", "17841455", account_id=IG_ACCOUNT)
    meta.send_message(to, "Yes, 100% vegan!")
    meta.send_message(ConversationRef("default", "instagram", "17841455"), "And gluten-free.")
    paths = [p["path"] for p in graph.get("/_emulator/published").json()]
    assert paths == [f"/{IG_ACCOUNT}/messages", "/me/messages"]
    found = meta.find_message(to, "Yes, 100% vegan!")
    assert found is not None
    query = graph.get("/_emulator/calls").json()[-1]["query"]
    assert query["platform"] == "instagram" and query["user_id"] == "17841455"
    assert query["fields"] == "messages.limit(50){message,from,created_time,id}"


def test_a_person_who_blocked_the_page_or_is_unknown_cannot_be_reached(
    graph: httpx.Client, meta: MetaPublisher
) -> None:
    says(graph, "2460001", "Bonjour")
    graph.post("/_emulator/block", json={"id": "2460001"})
    err = refused(lambda: meta.send_message(ConversationRef("default", "facebook", "2460001", FB_PAGE), "Bonjour!"))
    assert (err.code, err.retryable) == ("recipient_unavailable", False) and "cannot receive messages" in str(err)
    stranger = ConversationRef("default", "facebook", "999999", FB_PAGE)
    assert refused(lambda: meta.send_message(stranger, "x")).code == "recipient_unavailable"
    assert graph.get("/_emulator/published").json() == []


def test_a_private_reply_past_7_days_of_the_comment_is_refused(graph: httpx.Client, meta: MetaPublisher) -> None:
    old = fb_comment(graph, created_time=int(time.time() - 8 * 24 * 3600))
    assert refused(lambda: meta.private_reply(old, "Bonjour")).code == "window_closed"


def test_rate_limits_are_retryable_and_a_lost_answer_is_read_back(
    graph_only: str, graph: httpx.Client, meta: MetaPublisher
) -> None:
    says(graph, "2460001", "Bonjour")
    to = ConversationRef("default", "facebook", "2460001", FB_PAGE)
    graph.post("/_emulator/faults", json={"next": [{"kind": "send_rate"}] * 3})
    err = refused(lambda: meta.send_message(to, "Bonjour!"))
    assert (err.code, err.retryable) == ("rate_limited", True)
    graph.post("/_emulator/faults", json={"next": [{"status": 429}]})  # one 429 (code 4): healed in-call
    assert meta.send_message(to, "Bonjour!").platform_id
    # Sent, but the answer never came: not retried in-call; the outbox finds it and adopts it.
    graph.post("/_emulator/faults", json={"next": [{"kind": "accepted_then_timeout", "delay": 2}]})
    slow = MetaPublisher(
        graph_url=f"{graph_only}/v21.0",
        page_token=PAGE_TOKEN,
        policy=FAST,
        client=httpx.Client(base_url=f"{graph_only}/v21.0/", timeout=0.5),
    )
    err = refused(lambda: slow.send_message(to, "Votre colis part demain"))
    assert err.code == AMBIGUOUS
    assert [p["body"]["message"]["text"] for p in graph.get("/_emulator/published").json()].count(
        "Votre colis part demain"
    ) == 1
    assert meta.find_message(to, "Votre colis part demain") is not None
    slow.close()


# ---- X --------------------------------------------------------------------------------------------


@pytest.fixture
def xpub(x_only: str) -> Iterator[XPublisher]:
    p = XPublisher(api_url=f"{x_only}/2", bearer_token=X_TOKEN, policy=FAST)
    yield p
    p.close()


def test_x_direct_message_send_and_read_back(xapi: httpx.Client, xpub: XPublisher) -> None:
    xapi.post("/_emulator/dm", json={"from": {"id": "8801", "name": "Chloé", "username": "chloe_g"}, "text": "Allo"})
    to = ConversationRef("default", "x", "8801", account_id=X_BRAND)
    sent = xpub.send_message(to, "Bonjour Chloé! Votre numéro de commande?")
    assert sent.recipient_id == "8801" and sent.platform_id
    [message] = xapi.get("/_emulator/published").json()
    assert (message["path"], message["body"]) == (
        "/2/dm_conversations/with/8801/messages",
        {"text": "Bonjour Chloé! Votre numéro de commande?"},
    )
    events = xapi.get("/_emulator/dm_events").json()
    assert {e["dm_conversation_id"] for e in events} == {f"8801-{X_BRAND}"}  # one conversation, smaller id first
    found = xpub.find_message(ConversationRef("default", "x", "8801"), "Bonjour Chloé! Votre numéro de commande?")
    assert found is not None and found.platform_id == sent.platform_id
    assert xpub.find_message(to, "Allo") is None  # hers, not ours
    query = xapi.get("/_emulator/calls").json()[-1]["query"]
    assert query["dm_event.fields"] == "id,text,sender_id,created_at" and query["max_results"] == "100"


def test_x_refuses_a_person_who_does_not_accept_dms_and_rate_limits(xapi: httpx.Client, xpub: XPublisher) -> None:
    xapi.post("/_emulator/dm_closed", json={"id": "8802"})
    err = refused(lambda: xpub.send_message(ConversationRef("default", "x", "8802"), "Bonjour"))
    assert (err.code, err.retryable) == ("dm_not_permitted", False) and "does not accept direct messages" in str(err)
    xapi.post("/_emulator/faults", json={"next": [{"status": 429, "reset_in": 600}]})
    err = refused(lambda: xpub.send_message(ConversationRef("default", "x", "8801"), "Bonjour"))
    assert (err.code, err.retryable) == ("rate_limited", True) and "retry after" in str(err)
    assert xapi.get("/_emulator/published").json() == []
