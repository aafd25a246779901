"""X's Account Activity payloads and mentions-polling answers → inbound events."""

from __future__ import annotations

from typing import Any

from api.platforms.events import (
    Event,
    MalformedPayload,
    NewComment,
    NewMessage,
    RemovedComment,
    Skipped,
    comment_in,
    event_key,
    id_of,
    not_handled,
    to_obj,
    when,
)
from api.platforms.meta_events import message_in
from bot.brands import Brands


def _x_text(tweet: dict[str, Any]) -> str:
    extended = tweet.get("extended_tweet")
    if tweet.get("truncated") and isinstance(extended, dict) and isinstance(extended.get("full_text"), str):
        return str(extended["full_text"])
    text = tweet.get("text", tweet.get("full_text", ""))
    return text if isinstance(text, str) else ""


# Account Activity keys Sowana reads; every other `*_events` list (favorites, follows, direct messages,
# typing indicators, blocks, mutes…) and `user_event` (revoked access) is counted as not handled.
X_HANDLED = ("tweet_create_events", "tweet_delete_events")


def _x_unhandled(payload: dict[str, Any], user_id: str | None) -> list[Event]:
    events: list[Event] = []
    for key, value in payload.items():
        if key in X_HANDLED or not (key.endswith("_events") or key == "user_event"):
            continue
        n = len(value) if isinstance(value, list) else 1
        events.extend(not_handled(user_id, key) for _ in range(n))
    return events


def parse_x_activity(payload: Any, brands: Brands) -> list[Event]:
    """Events of one Account Activity delivery."""
    if not isinstance(payload, dict):
        raise MalformedPayload("the body must be a JSON object")
    user_id = id_of(payload.get("for_user_id"))
    if user_id is None:
        if any(key in payload for key in X_HANDLED):
            raise MalformedPayload("'for_user_id' is missing")
        # Another X webhook product, or a kind we do not know: counted, not failed.
        return _x_unhandled(payload, None) or [not_handled(None, "x", "unknown")]
    brand = brands.for_x_user(user_id)
    if brand is None:
        return [Skipped("unknown_account", user_id)]
    creates = payload.get("tweet_create_events", [])
    deletes = payload.get("tweet_delete_events", [])
    if not isinstance(creates, list) or not isinstance(deletes, list):
        raise MalformedPayload("'tweet_create_events' and 'tweet_delete_events' must be lists")
    events: list[Event] = _x_unhandled(payload, user_id)
    if not creates and not deletes and not events:
        return [not_handled(user_id, "x", "empty")]
    blocked = payload.get("user_has_blocked") is True
    for tweet in creates:
        if not isinstance(tweet, dict):
            events.append(Skipped("malformed_change", user_id, detail="tweet is not an object"))
            continue
        user = to_obj(tweet.get("user"))
        author_id = id_of(user.get("id_str") or user.get("id"))
        tweet_id = id_of(tweet.get("id_str") or tweet.get("id"))
        if tweet_id is None or author_id is None:
            events.append(Skipped("malformed_change", user_id, detail="tweet without id or author"))
            continue
        if author_id == user_id:
            events.append(Skipped("own_comment", user_id))
            continue
        if "retweeted_status" in tweet:
            events.append(not_handled(user_id, "retweet"))
            continue
        if blocked:
            events.append(Skipped("author_blocked", user_id))
            continue
        screen_name = str(user.get("screen_name") or "")
        comment = comment_in(
            platform="x",
            external_id=tweet_id,
            brand=brand.brand,
            author={"id": author_id, "name": str(user.get("name") or screen_name or "X user")},
            text=_x_text(tweet),
            post_id=None,  # v1.1 payloads carry no conversation id
            parent_id=id_of(tweet.get("in_reply_to_status_id_str")),
            url=f"https://x.com/{screen_name or 'i/web'}/status/{tweet_id}",
            created_at=when(tweet.get("created_at")),
        )
        events.append(
            Skipped(comment.reason, user_id, comment.detail) if isinstance(comment, Skipped) else NewComment(comment)
        )
    for item in deletes:
        status = item.get("status") if isinstance(item, dict) else None
        tweet_id = id_of(status.get("id")) if isinstance(status, dict) else None
        if tweet_id is None:
            events.append(Skipped("malformed_change", user_id, detail="delete without status id"))
            continue
        removed = when(item.get("timestamp_ms"))
        events.append(
            RemovedComment(
                key=event_key("x", brand.brand, "x", "remove", tweet_id),
                brand=brand.brand,
                platform="x",
                external_id=tweet_id,
                removed_at=removed,
            )
        )
    return events


def _page(body: Any, what: str) -> tuple[list[Any], dict[str, Any]]:
    """An API v2 page's `data` and the people `includes.users` names, by id; MalformedPayload otherwise."""
    if not isinstance(body, dict):
        raise MalformedPayload(f"the {what} response must be a JSON object")
    items = body.get("data") or []
    if not isinstance(items, list):
        raise MalformedPayload("'data' must be a list")
    includes = to_obj(body.get("includes"))
    users = {str(u.get("id")): u for u in includes.get("users") or [] if isinstance(u, dict)}
    return items, users


def parse_x_mentions(body: Any, *, brand: str, user_id: str) -> list[Event]:
    """Events from one page of `GET /2/users/:id/mentions` (expansions=author_id)."""
    tweets, users = _page(body, "mentions")
    events: list[Event] = []
    for tweet in tweets:
        if not isinstance(tweet, dict):
            continue
        tweet_id, author_id = id_of(tweet.get("id")), id_of(tweet.get("author_id"))
        if tweet_id is None or author_id is None:
            events.append(Skipped("malformed_change", user_id, detail="tweet without id or author_id"))
            continue
        if author_id == user_id:
            events.append(Skipped("own_comment", user_id))
            continue
        user = users.get(author_id, {})
        username = str(user.get("username") or "")
        replied_to = next(
            (
                id_of(r.get("id"))
                for r in tweet.get("referenced_tweets") or []
                if isinstance(r, dict) and r.get("type") == "replied_to"
            ),
            None,
        )
        comment = comment_in(
            platform="x",
            external_id=tweet_id,
            brand=brand,
            author={"id": author_id, "name": str(user.get("name") or username or "X user")},
            text=tweet.get("text") if isinstance(tweet.get("text"), str) else "",
            post_id=id_of(tweet.get("conversation_id")),
            parent_id=replied_to,
            url=f"https://x.com/{username or 'i/web'}/status/{tweet_id}",
            created_at=when(tweet.get("created_at")),
        )
        events.append(
            Skipped(comment.reason, user_id, comment.detail) if isinstance(comment, Skipped) else NewComment(comment)
        )
    return events


# X media keys say the kind before the underscore (3_… photo, 7_… video, 16_… GIF); their files sit
# behind X's authentication (ton.x.com), so they are kept as kinds without links.
_MEDIA_KINDS = {"3": "image", "7": "video", "16": "animated_gif"}


def parse_x_dm_events(body: Any, *, brand: str, user_id: str) -> list[Event]:
    """Events from one page of `GET /2/dm_events` (newest first, as X answers; `expansions=sender_id` names
    the people): `MessageCreate` events from people → `NewMessage`; the account's own → `own_message`;
    other event types → `not_handled`."""
    items, users = _page(body, "dm_events")
    events: list[Event] = []
    for item in items:
        if not isinstance(item, dict):
            events.append(Skipped("malformed_change", user_id, detail="dm event is not an object"))
            continue
        if item.get("event_type", "MessageCreate") != "MessageCreate":  # ParticipantsJoin / ParticipantsLeave
            events.append(not_handled(user_id, "x.dm", item.get("event_type")))
            continue
        event_id, sender_id = id_of(item.get("id")), id_of(item.get("sender_id"))
        if event_id is None or sender_id is None:
            events.append(Skipped("malformed_change", user_id, detail="dm event without id or sender_id"))
            continue
        if sender_id == user_id:
            events.append(Skipped("own_message", user_id))
            continue
        keys = to_obj(item.get("attachments")).get("media_keys")
        attachments = [
            {"type": _MEDIA_KINDS.get(str(k).split("_", 1)[0], "media"), "url": None}
            for k in (keys if isinstance(keys, list) else [])
        ]
        text = item.get("text")
        user = users.get(sender_id, {})
        parsed = message_in(
            platform="x",
            external_id=event_id,
            brand=brand,
            account_id=user_id,
            author={"id": sender_id, "name": str(user.get("name") or user.get("username") or "X user")[:255]},
            text=text if isinstance(text, str) else "",
            attachments=attachments[:20],
            conversation_id=id_of(item.get("dm_conversation_id")),
            created_at=when(item.get("created_at")),
        )
        events.append(
            Skipped(parsed.reason, user_id, parsed.detail) if isinstance(parsed, Skipped) else NewMessage(parsed)
        )
    return events
