"""Direct messages in (#24): Messenger and Instagram messaging webhooks and X `dm_events` pages parsed into
`NewMessage`s; echoes of the brand's own messages recognised; signed, and answered 200 once stored."""

from __future__ import annotations

import json
import time
from typing import Any

from api.platforms.events import NewMessage, Skipped
from api.platforms.meta_events import parse_meta
from api.platforms.signatures import meta_signature
from api.platforms.x_events import parse_x_dm_events
from bot.brands import BrandConfig, Brands
from tests.api.platforms.conftest import APP_SECRET, FB_PAGE, IG_ACCOUNT, X_BRAND, Stack

BRANDS = Brands((BrandConfig(brand="default", name="Panier", meta_page_ids=(FB_PAGE, IG_ACCOUNT)),))
MS = 1_718_000_000_123  # 2024-06-10, in milliseconds as Messenger sends


def delivery(obj: str, account: str, *items: dict[str, Any]) -> dict[str, Any]:
    return {"object": obj, "entry": [{"id": account, "time": MS, "messaging": list(items)}]}


def item(sender: str, recipient: str, **event: Any) -> dict[str, Any]:
    return {"sender": {"id": sender}, "recipient": {"id": recipient}, "timestamp": MS, **event}


def test_a_messenger_message_with_attachments_becomes_a_new_message() -> None:
    attachments = [
        {"type": "image", "payload": {"url": "https://scontent.xx.fbcdn.net/v/photo.jpg"}},
        {"type": "file", "payload": {"url": "javascript:alert(1)"}},  # not a link anyone should open
        {"type": "fallback", "payload": {}},
    ]
    message = {"mid": "m_AbC", "text": "Ma commande 1234 est arrivée brisée", "attachments": attachments}
    [ev] = parse_meta(delivery("page", FB_PAGE, item("2460001", FB_PAGE, message=message)), BRANDS)
    assert isinstance(ev, NewMessage)
    m = ev.message
    assert (m.platform.value, m.external_id, m.brand, m.account_id) == ("facebook", "m_AbC", "default", FB_PAGE)
    assert (m.author.id, m.author.name) == ("2460001", "Messenger user")
    assert m.text == "Ma commande 1234 est arrivée brisée"
    assert [(a.type, a.url) for a in m.attachments] == [
        ("image", "https://scontent.xx.fbcdn.net/v/photo.jpg"),
        ("file", None),
        ("fallback", None),
    ]
    assert m.created_at is not None and m.created_at.year == 2024 and m.created_at.microsecond == 123000


def test_an_instagram_direct_message_with_only_a_photo() -> None:
    message = {"mid": "aWdfZAG1", "attachments": [{"type": "image", "payload": {"url": "https://lookaside.fb/p"}}]}
    [ev] = parse_meta(delivery("instagram", IG_ACCOUNT, item("17841455", IG_ACCOUNT, message=message)), BRANDS)
    assert isinstance(ev, NewMessage)
    assert (ev.message.platform.value, ev.message.author.name, ev.message.text) == ("instagram", "Instagram user", "")
    assert ev.message.account_id == IG_ACCOUNT and ev.message.attachments[0].url == "https://lookaside.fb/p"


def test_echoes_of_the_brands_own_messages_are_not_the_customer_speaking() -> None:
    echo = item(FB_PAGE, "2460001", message={"mid": "m_1", "is_echo": True, "app_id": 1234, "text": "Bonjour!"})
    from_inbox = item(FB_PAGE, "2460001", message={"mid": "m_2", "text": "written in Meta's inbox"})
    ig_echo = item(IG_ACCOUNT, "17841455", message={"mid": "m_3", "is_echo": True, "text": "Hi"})
    events = parse_meta(delivery("page", FB_PAGE, echo, from_inbox), BRANDS)
    events += parse_meta(delivery("instagram", IG_ACCOUNT, ig_echo), BRANDS)
    assert events == [
        Skipped("own_message", FB_PAGE),
        Skipped("own_message", FB_PAGE),
        Skipped("own_message", IG_ACCOUNT),
    ]


def test_malformed_or_empty_messages_are_skipped_with_a_reason_and_others_still_read() -> None:
    events = parse_meta(
        delivery(
            "page",
            FB_PAGE,
            {"recipient": {"id": FB_PAGE}, "timestamp": MS, "message": {"mid": "m_1", "text": "no sender"}},
            item("2460001", FB_PAGE, message={"text": "no mid"}),
            item("2460001", FB_PAGE, message={"mid": "m_3", "text": "   "}),
            item("2460001", FB_PAGE, message={"mid": "m_4", "text": "Merci!"}),
            item("2460001", FB_PAGE, read={"watermark": MS}),
            item("2460001", FB_PAGE, delivery={"mids": ["m_4"], "watermark": MS}),
        ),
        BRANDS,
    )
    assert [e.reason if isinstance(e, Skipped) else "new" for e in events] == [
        "malformed_change",
        "malformed_change",
        "no_text",
        "new",
        "not_handled",
        "not_handled",
    ]
    assert [e.detail for e in events[-2:] if isinstance(e, Skipped)] == [
        "page.messaging.read",
        "page.messaging.delivery",
    ]


def test_x_dm_events_page() -> None:
    page = {
        "data": [
            {
                "id": "1800000000000000003",
                "event_type": "MessageCreate",
                "text": "Vous êtes là?",
                "sender_id": "8801",
                "dm_conversation_id": f"8801-{X_BRAND}",
                "created_at": "2024-06-10T14:02:00.000Z",
                "attachments": {"media_keys": ["3_1800000000000000001"]},
            },
            {"id": "1800000000000000002", "event_type": "MessageCreate", "text": "Hi", "sender_id": X_BRAND},
            {"id": "1800000000000000001", "event_type": "ParticipantsJoin", "participant_ids": ["9"]},
            {"id": "1800000000000000000", "event_type": "MessageCreate", "text": "no sender"},
        ],
        "includes": {"users": [{"id": "8801", "name": "Chloé Gagnon", "username": "chloe_g"}]},
    }
    new, own, join, bad = parse_x_dm_events(page, brand="default", user_id=X_BRAND)
    assert isinstance(new, NewMessage)
    m = new.message
    assert (m.platform.value, m.external_id, m.account_id, m.conversation_id) == (
        "x",
        "1800000000000000003",
        X_BRAND,
        f"8801-{X_BRAND}",
    )
    assert (m.author.id, m.author.name, m.text) == ("8801", "Chloé Gagnon", "Vous êtes là?")
    assert [(a.type, a.url) for a in m.attachments] == [("image", None)]  # X's media sit behind its login
    assert own == Skipped("own_message", X_BRAND)
    assert join == Skipped("not_handled", X_BRAND, "x.dm.participantsjoin")
    assert isinstance(bad, Skipped) and bad.reason == "malformed_change"


# ---- over HTTP: the Graph emulator sends the real signed messaging webhooks to the app ---------------


def post_signed(stack: Stack, payload: Any, secret: str = APP_SECRET) -> Any:
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(secret, body)}
    return stack.client.post(f"{stack.app}/webhooks/meta", content=body, headers=headers)


def test_a_signed_messenger_webhook_is_answered_200_and_a_forged_one_refused(stack: Stack) -> None:
    sent = stack.client.post(
        f"{stack.graph}/_emulator/message",
        json={"platform": "facebook", "account_id": FB_PAGE, "from": {"id": "2460001"}, "text": "Allo?"},
    ).json()
    assert sent["status"] == 200, sent
    entry = sent["payload"]["entry"][0]
    assert sent["payload"]["object"] == "page" and entry["id"] == FB_PAGE
    assert entry["messaging"][0]["message"] == {"mid": sent["mid"], "text": "Allo?"}
    assert entry["messaging"][0]["sender"] == {"id": "2460001"}
    assert sent["response"]["not_handled"] == {} and sent["response"]["skipped"] == {}
    forged = stack.client.post(
        f"{stack.graph}/_emulator/message",
        json={
            "platform": "instagram",
            "account_id": IG_ACCOUNT,
            "from": {"id": "17841455"},
            "text": "x",
            "forge": True,
        },
    ).json()
    assert forged["status"] == 403 and forged["payload"]["object"] == "instagram"
    # The same delivery again (Meta retries until it gets a 200): answered 200 again.
    again = post_signed(stack, sent["payload"])
    assert again.status_code == 200


def test_an_echo_of_our_message_comes_back_and_is_skipped_as_our_own(stack: Stack) -> None:
    payload = delivery("page", FB_PAGE, item(FB_PAGE, "2460001", message={"mid": "m_9", "is_echo": True, "text": "ok"}))
    r = post_signed(stack, payload)
    assert r.status_code == 200 and r.json()["skipped"] == {"own_message": 1} and r.json()["created"] == 0


def test_what_the_page_sends_comes_back_as_a_signed_echo_and_is_skipped(stack: Stack) -> None:
    from api.platforms.meta import MetaPublisher
    from bot.comments.publisher import ConversationRef
    from tests.api.platforms.conftest import PAGE_TOKEN

    body = {"platform": "facebook", "account_id": FB_PAGE, "from": {"id": "2460001"}, "text": "Allo?"}
    assert stack.client.post(f"{stack.graph}/_emulator/message", json=body).json()["status"] == 200
    pub = MetaPublisher(graph_url=f"{stack.graph}/v21.0", page_token=PAGE_TOKEN)
    try:
        pub.send_message(ConversationRef("default", "facebook", "2460001", FB_PAGE), "Bonjour!")
    finally:
        pub.close()
    deadline = time.monotonic() + 10
    while len(deliveries := stack.client.get(f"{stack.graph}/_emulator/deliveries").json()) < 2:
        assert time.monotonic() < deadline, "the echo never came"
        time.sleep(0.05)
    echo = deliveries[1]
    assert echo["status"] == 200 and echo["response"]["skipped"] == {"own_message": 1}
