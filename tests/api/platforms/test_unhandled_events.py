"""Well-signed events Sowana does not handle (message reads, deliveries, reactions, edits, standby, mentions,
ratings, follows, likes…; messages themselves are handled since #24), with times in seconds or milliseconds:
each delivery is answered 200, counted by kind in /metrics, logged by kind only, and whatever else the delivery
carries is still stored."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session, select

from api.platforms.signatures import meta_signature, x_signature
from bot.models import Comment
from tests.api.platforms.conftest import APP_SECRET, FB_PAGE, IG_ACCOUNT, X_BRAND, X_SECRET, Stack

SECONDS, MILLIS = 1_458_692_752, 1_458_692_752_478  # 2016-03-23, as Meta's samples
SECRET_WORDS = "mon numéro de carte est 4242"  # in messages: must never reach a log


def _messaging(event: dict[str, Any], ts: int) -> dict[str, Any]:
    return {"sender": {"id": "USER_PSID"}, "recipient": {"id": FB_PAGE}, "timestamp": ts, **event}


def _change(field: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"field": field, "value": value}


def _meta_cases(t: int) -> list[tuple[str, dict[str, Any], str]]:
    """(what, delivery, kind counted) for one entry time `t`."""
    page = lambda **entry: {"object": "page", "entry": [{"id": FB_PAGE, "time": t, **entry}]}  # noqa: E731
    ig = lambda **entry: {"object": "instagram", "entry": [{"id": IG_ACCOUNT, "time": t, **entry}]}  # noqa: E731
    return [
        (
            "messenger edit",
            page(messaging=[_messaging({"message_edit": {"mid": "m_1", "text": SECRET_WORDS, "num_edit": 1}}, t)]),
            "page.messaging.message_edit",
        ),
        (
            "messenger reaction",
            page(
                messaging=[
                    _messaging({"reaction": {"mid": "m_1", "action": "react", "reaction": "love", "emoji": "❤"}}, t)
                ]
            ),
            "page.messaging.reaction",
        ),
        ("messenger read", page(messaging=[_messaging({"read": {"watermark": t}}, t)]), "page.messaging.read"),
        (
            "messenger delivery",
            page(messaging=[_messaging({"delivery": {"mids": ["m_1"], "watermark": t}}, t)]),
            "page.messaging.delivery",
        ),
        (
            "messenger postback",
            page(messaging=[_messaging({"postback": {"title": "Start", "payload": "GO"}}, t)]),
            "page.messaging.postback",
        ),
        (
            "handover standby",
            page(standby=[_messaging({"message": {"mid": "m_3", "text": SECRET_WORDS}}, t)]),
            "page.standby.message",
        ),
        (
            "instagram read",
            ig(messaging=[_messaging({"read": {"mid": "ig_1"}}, t)]),
            "instagram.messaging.read",
        ),
        (
            "instagram unsend",
            ig(messaging=[_messaging({"message": {"mid": "ig_2", "is_deleted": True}}, t)]),
            "instagram.messaging.message_deleted",
        ),
        (
            "page feed reaction",
            page(
                changes=[
                    _change(
                        "feed",
                        {
                            "item": "reaction",
                            "verb": "add",
                            "reaction_type": "love",
                            "post_id": "1_2",
                            "from": {"id": "100200", "name": "Julie"},
                            "created_time": t,
                        },
                    )
                ]
            ),
            "page.feed.reaction",
        ),
        (
            "page feed status",
            page(
                changes=[_change("feed", {"item": "status", "verb": "add", "post_id": "1_3", "message": SECRET_WORDS})]
            ),
            "page.feed.status",
        ),
        (
            "comment hidden",
            page(
                changes=[
                    _change("feed", {"item": "comment", "verb": "hide", "comment_id": "1_4", "from": {"id": "100200"}})
                ]
            ),
            "page.feed.comment.hide",
        ),
        (
            "page mention",
            page(changes=[_change("mention", {"post_id": "1_5", "sender_name": "Sam", "item": "post", "verb": "add"})]),
            "page.mention",
        ),
        (
            "page rating",
            page(
                changes=[
                    _change(
                        "ratings",
                        {
                            "reviewer_id": "100300",
                            "review_text": SECRET_WORDS,
                            "item": "rating",
                            "verb": "add",
                            "recommendation_type": "negative",
                            "created_time": t,
                        },
                    )
                ]
            ),
            "page.ratings",
        ),
        (
            "instagram mention",
            ig(changes=[_change("mentions", {"media_id": "1788", "comment_id": "1789"})]),
            "instagram.mentions",
        ),
        (
            "another object",
            {"object": "permissions", "entry": [{"id": "u1", "time": t, "changed_fields": ["email"]}]},
            "object.permissions",
        ),
    ]


def _post_meta(stack: Stack, payload: Any) -> Any:
    body = json.dumps(payload).encode()
    return stack.client.post(
        f"{stack.app}/webhooks/meta",
        content=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(APP_SECRET, body)},
    )


def _post_x(stack: Stack, payload: Any) -> Any:
    body = json.dumps(payload).encode()
    return stack.client.post(
        f"{stack.app}/webhooks/x", content=body, headers={"x-twitter-webhooks-signature": x_signature(X_SECRET, body)}
    )


def _unhandled(stack: Stack) -> dict[tuple[str, str], float]:
    text = stack.client.get(f"{stack.app}/metrics").text
    return {
        (s.labels["platform"], s.labels["kind"]): s.value
        for family in text_string_to_metric_families(text)
        if family.name == "sowana_webhook_unhandled"
        for s in family.samples
        if s.name.endswith("_total")
    }


def test_every_meta_kind_sowana_does_not_handle_is_answered_200_and_counted(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    expected: dict[tuple[str, str], float] = {}
    for t in (SECONDS, MILLIS):
        for what, payload, kind in _meta_cases(t):
            r = _post_meta(stack, payload)
            assert r.status_code == 200, (what, t, r.text)
            assert r.json()["not_handled"] == {kind: 1}, what
            expected[("meta", kind)] = expected.get(("meta", kind), 0) + 1
    assert _unhandled(stack) == expected
    with Session(stack.engine) as s:
        assert s.exec(select(Comment)).all() == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "page.messaging.reaction" in logged  # by kind…
    assert SECRET_WORDS not in logged and "4242" not in logged  # …never by content


def test_a_comment_next_to_a_messenger_event_in_milliseconds_is_stored(stack: Stack) -> None:
    """Meta mixes kinds in one batch: the Messenger read receipt is counted, the comment beside it is not lost,
    and an entry time in milliseconds is read as a time (it used to be year 58895 and a 500)."""
    comment = {
        "item": "comment",
        "verb": "add",
        "comment_id": "1_900",
        "post_id": "1_2",
        "message": "Livrez-vous à Lévis?",
        "from": {"id": "100200", "name": "Julie"},
    }
    payload = {
        "object": "page",
        "entry": [
            {
                "id": FB_PAGE,
                "time": MILLIS,
                "messaging": [_messaging({"read": {"watermark": MILLIS}}, MILLIS)],
            },
            {"id": FB_PAGE, "time": MILLIS, "changes": [_change("feed", comment)]},
        ],
    }
    r = _post_meta(stack, payload)
    assert r.status_code == 200 and r.json()["created"] == 1
    assert r.json()["not_handled"] == {"page.messaging.read": 1}
    with Session(stack.engine) as s:
        [stored] = s.exec(select(Comment)).all()
    assert stored.text == "Livrez-vous à Lévis?" and stored.created_at is not None
    assert stored.created_at.year == 2016  # the entry's time, milliseconds read as such


def test_x_activities_sowana_does_not_handle_are_answered_200_and_counted(stack: Stack) -> None:
    other_kinds = {
        "favorite_events": [{"id": "f1", "favorited_status": {"id_str": "1"}, "user": {"id_str": "5"}}],
        "follow_events": [{"type": "follow", "source": {"id": "5"}, "target": {"id": X_BRAND}}],
        "direct_message_events": [{"type": "message_create", "message_create": {"message_data": {"text": "psst"}}}],
        "direct_message_indicate_typing_events": [{"created_timestamp": "1517827762297"}],
        "block_events": [{"type": "block"}],
        "user_event": {"revoke": {"date_time": "2018-05-24T09:48:12+00:00"}},
    }
    for key, value in other_kinds.items():
        r = _post_x(stack, {"for_user_id": X_BRAND, key: value})
        assert r.status_code == 200, (key, r.text)
        assert r.json()["not_handled"] == {key: 1}
    # A shape from another X webhook product (no for_user_id at all) is counted too, not failed.
    assert _post_x(stack, {"data": {"event_type": "profile.update.bio"}}).status_code == 200
    # A deletion with its time in milliseconds, next to a like: the like is counted, the deletion kept.
    mixed = {
        "for_user_id": X_BRAND,
        "favorite_events": other_kinds["favorite_events"],
        "tweet_delete_events": [{"status": {"id": "777", "user_id": "5"}, "timestamp_ms": "1528295300347"}],
    }
    r = _post_x(stack, mixed)
    assert r.status_code == 200 and r.json()["not_handled"] == {"favorite_events": 1}
    counted = _unhandled(stack)
    assert counted[("x", "favorite_events")] == 2 and counted[("x", "user_event")] == 1
    assert counted[("x", "x.unknown")] == 1
