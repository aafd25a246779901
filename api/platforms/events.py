"""Pure parsers: a platform's webhook JSON → typed inbound events (no database, no HTTP).

Meta sends Page `feed` changes (`item: comment`, `verb: add|edited|remove`) and Instagram
`comments` changes, several entries per delivery; X sends Account Activity payloads
(`for_user_id`, `tweet_create_events`, `tweet_delete_events`) and answers mentions polling with
API v2 tweets. Each becomes a `NewComment`, `EditedComment`, `RemovedComment`, or a `Skipped` with
a reason (the brand's own comment, an unknown page, a kind Sowana does not handle). A well-signed
event of a kind Sowana does not handle (Messenger and Instagram messaging, reactions, mentions,
ratings, follows, likes, another webhook `object`…) is a `Skipped("not_handled", kind=…)`: the route
answers 200 and counts it by kind, so Meta and X never retry it nor disable the webhook. A delivery
that is not the documented shape at all raises `MalformedPayload` (the route answers 400).
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from bot.brands import BrandConfig, Brands
from bot.comments.ingest import CommentIn


class MalformedPayload(ValueError):
    """The delivery is not the documented shape; the message says what is wrong (never the text)."""


@dataclass(frozen=True)
class NewComment:
    comment: CommentIn


@dataclass(frozen=True)
class EditedComment:
    key: str  # InboundEvent key: the same edit delivered twice is applied once
    comment: CommentIn  # the comment as it reads now (stored as new if we never saw it)
    edited_at: datetime


@dataclass(frozen=True)
class RemovedComment:
    key: str
    brand: str
    platform: str
    external_id: str
    removed_at: datetime


@dataclass(frozen=True)
class Skipped:
    reason: str  # own_comment | unknown_account | not_handled | no_text | malformed_change | author_blocked
    account_id: str | None = None
    detail: str | None = None  # for not_handled: the kind (`messaging.reaction`, `feed.like`, `favorite_events`…)


Event = NewComment | EditedComment | RemovedComment | Skipped


def event_key(*parts: str) -> str:
    key = ":".join(parts)
    if len(key) > 200:  # InboundEvent.key is 255 chars; ids are short but be safe
        key = key[:120] + ":" + hashlib.sha256(key.encode()).hexdigest()[:32]
    return key


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# A Unix time past this many seconds is in the year 5138: it can only be milliseconds (Messenger's
# `entry.time`, X's `timestamp_ms`); Page feed changes send seconds.
MS_EPOCH_FROM = 10**11


def _from_epoch(value: float) -> datetime | None:
    if not math.isfinite(value):
        return None
    if abs(value) >= MS_EPOCH_FROM:
        value /= 1000
    try:
        return datetime.fromtimestamp(value, UTC)
    except (ValueError, OverflowError, OSError):  # out of datetime's range: not a time we can use
        return None


def _when(value: Any, fallback: datetime | None = None) -> datetime:
    """Meta sends unix seconds or milliseconds (sometimes ISO strings); X v1.1 sends
    'Wed Oct 10 20:19:24 +0000 2018'. Anything unreadable is `fallback` (else now), never an error."""
    found: datetime | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        found = _from_epoch(float(value))
    elif isinstance(value, str) and value.strip():
        s = value.strip()
        if s.isdigit() and len(s) < 20:
            found = _from_epoch(float(s))
        else:
            for parse in (
                lambda v: datetime.fromisoformat(v.replace("Z", "+00:00")),
                lambda v: datetime.strptime(v, "%Y-%m-%dT%H:%M:%S%z"),
                lambda v: datetime.strptime(v, "%a %b %d %H:%M:%S %z %Y"),
            ):
                try:
                    dt = parse(s)
                except ValueError:
                    continue
                found = dt if dt.tzinfo else dt.replace(tzinfo=UTC)
                break
    return found or fallback or datetime.now(UTC)


def to_obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def _id(value: Any) -> str | None:
    """A platform id: a string or an integer, storable, at most 255 characters; anything else is None."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    s = str(value).strip()
    if not s or len(s) > 255 or _UNSTORABLE.search(s):
        return None
    return s


def kind(*parts: Any) -> str:
    """A bounded, log- and label-safe name for an event kind Sowana does not handle (never content)."""
    words = [re.sub(r"[^a-z0-9_.]", "", str(p).lower()).strip(".")[:48] for p in parts if p is not None]
    return ".".join(w for w in words if w)[:96] or "unknown"


def not_handled(account_id: str | None, *parts: Any) -> Skipped:
    return Skipped("not_handled", account_id, kind(*parts))


def _comment(**kw: Any) -> CommentIn | Skipped:
    try:
        return CommentIn.model_validate(kw)
    except ValidationError as exc:
        fields = ",".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}))
        reason = "no_text" if fields == "text" else "malformed_change"
        return Skipped(reason, detail=f"invalid {fields or 'comment'}")


# ---- Meta --------------------------------------------------------------------------------------


def _entries(payload: Any) -> list[dict[str, Any]]:
    if not isinstance(payload, dict):
        raise MalformedPayload("the body must be a JSON object")
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise MalformedPayload("'entry' must be a list")
    if not all(isinstance(e, dict) for e in entries):
        raise MalformedPayload("every 'entry' must be an object")
    return entries


def _fb_change(value: dict[str, Any], brand: BrandConfig, page_id: str, entry_time: datetime) -> Event:
    if value.get("item") != "comment":
        return not_handled(page_id, "page.feed", value.get("item"))
    comment_id = _id(value.get("comment_id"))
    if comment_id is None:
        return Skipped("malformed_change", page_id, detail="comment without comment_id")
    author = to_obj(value.get("from"))
    author_id = _id(author.get("id"))
    if author_id is not None and (author_id == page_id or author_id in brand.meta_page_ids):
        return Skipped("own_comment", page_id)  # our own replies come back as webhooks: no loops
    verb = value.get("verb")
    created = _when(value.get("created_time"), entry_time)
    if verb == "remove":
        return RemovedComment(
            key=event_key("meta", brand.brand, "facebook", "remove", comment_id),
            brand=brand.brand,
            platform="facebook",
            external_id=comment_id,
            removed_at=entry_time,
        )
    if verb not in ("add", "edited"):
        return not_handled(page_id, "page.feed.comment", verb)
    post_id = _id(value.get("post_id"))
    parent_id = _id(value.get("parent_id"))
    comment = _comment(
        platform="facebook",
        external_id=comment_id,
        brand=brand.brand,
        author={"id": author_id or "unknown", "name": str(author.get("name") or "Facebook user")},
        text=value.get("message") if isinstance(value.get("message"), str) else "",
        post_id=post_id,
        # A top-level comment's parent is the post itself: only a reply has a parent comment.
        parent_id=parent_id if parent_id and parent_id != post_id else None,
        url=f"https://www.facebook.com/{comment_id}",
        created_at=created,
    )
    if isinstance(comment, Skipped):
        return Skipped(comment.reason, page_id, comment.detail)
    if verb == "edited":
        return EditedComment(
            key=event_key("meta", brand.brand, "facebook", "edited", comment_id, text_digest(comment.text)),
            comment=comment,
            edited_at=entry_time,
        )
    return NewComment(comment)


def _ig_change(value: dict[str, Any], brand: BrandConfig, account_id: str, entry_time: datetime) -> Event:
    comment_id = _id(value.get("id"))
    if comment_id is None:
        return Skipped("malformed_change", account_id, detail="comment without id")
    author = to_obj(value.get("from"))
    author_id = _id(author.get("id"))
    if author_id is not None and (author_id == account_id or author_id in brand.meta_page_ids):
        return Skipped("own_comment", account_id)
    media = to_obj(value.get("media"))
    comment = _comment(
        platform="instagram",
        external_id=comment_id,
        brand=brand.brand,
        author={"id": author_id or "unknown", "name": str(author.get("username") or "Instagram user")},
        text=value.get("text") if isinstance(value.get("text"), str) else "",
        post_id=_id(media.get("id")),
        parent_id=_id(value.get("parent_id")),
        created_at=_when(value.get("timestamp"), entry_time),
    )
    if isinstance(comment, Skipped):
        return Skipped(comment.reason, account_id, comment.detail)
    return NewComment(comment)


# Messenger / Instagram messaging events: the key that names each kind (a message echo is its own kind).
MESSAGING_KINDS = (
    "message_edit",
    "message",
    "reaction",
    "read",
    "delivery",
    "postback",
    "optin",
    "referral",
    "account_linking",
    "policy_enforcement",
    "pass_thread_control",
    "take_thread_control",
    "request_thread_control",
    "app_roles",
    "game_play",
    "response_feedback",
)


def _messaging_kind(source: str, item: Any) -> str:
    if not isinstance(item, dict):
        return kind(source, "unknown")
    found = next((k for k in MESSAGING_KINDS if k in item), None)
    if found == "message" and isinstance(item["message"], dict) and item["message"].get("is_echo"):
        found = "message_echo"
    return kind(source, found or "other")


def parse_meta(payload: Any, brands: Brands) -> list[Event]:
    """Events of one Meta delivery (`object` `page` or `instagram`), in order. Messaging and every
    field other than Page `feed` / Instagram `comments` are `not_handled`, one per event."""
    entries = _entries(payload)
    obj = payload.get("object")
    if obj not in ("page", "instagram"):
        return [not_handled(None, "object", obj if isinstance(obj, str) else "unknown")]
    events: list[Event] = []
    for entry in entries:
        account_id = _id(entry.get("id"))
        if account_id is None:
            raise MalformedPayload("an entry has no 'id'")
        changes = entry.get("changes", [])
        if not isinstance(changes, list):
            raise MalformedPayload("'changes' must be a list")
        brand = brands.for_page(account_id)
        if brand is None:
            events.append(Skipped("unknown_account", account_id))
            continue
        for source in ("messaging", "standby"):  # Messenger / Instagram Direct, and handover's standby
            items = entry.get(source)
            for item in items if isinstance(items, list) else []:
                events.append(not_handled(account_id, obj, _messaging_kind(source, item)))
        if not changes:
            continue
        entry_time = _when(entry.get("time"))
        for change in changes:
            if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
                events.append(Skipped("malformed_change", account_id, detail="change without a value object"))
                continue
            field_name = change.get("field")
            if obj == "page" and field_name == "feed":
                events.append(_fb_change(change["value"], brand, account_id, entry_time))
            elif obj == "instagram" and field_name == "comments":
                events.append(_ig_change(change["value"], brand, account_id, entry_time))
            else:  # mention, mentions, ratings, messages, live_comments, story_insights…
                events.append(not_handled(account_id, obj, field_name if isinstance(field_name, str) else "unknown"))
    return events


# ---- X -----------------------------------------------------------------------------------------


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
    user_id = _id(payload.get("for_user_id"))
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
        author_id = _id(user.get("id_str") or user.get("id"))
        tweet_id = _id(tweet.get("id_str") or tweet.get("id"))
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
        comment = _comment(
            platform="x",
            external_id=tweet_id,
            brand=brand.brand,
            author={"id": author_id, "name": str(user.get("name") or screen_name or "X user")},
            text=_x_text(tweet),
            post_id=None,  # v1.1 payloads carry no conversation id
            parent_id=_id(tweet.get("in_reply_to_status_id_str")),
            url=f"https://x.com/{screen_name or 'i/web'}/status/{tweet_id}",
            created_at=_when(tweet.get("created_at")),
        )
        events.append(
            Skipped(comment.reason, user_id, comment.detail) if isinstance(comment, Skipped) else NewComment(comment)
        )
    for item in deletes:
        status = item.get("status") if isinstance(item, dict) else None
        tweet_id = _id(status.get("id")) if isinstance(status, dict) else None
        if tweet_id is None:
            events.append(Skipped("malformed_change", user_id, detail="delete without status id"))
            continue
        removed = _when(item.get("timestamp_ms"))
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


def parse_x_mentions(body: Any, *, brand: str, user_id: str) -> list[Event]:
    """Events from one page of `GET /2/users/:id/mentions` (expansions=author_id)."""
    if not isinstance(body, dict):
        raise MalformedPayload("the mentions response must be a JSON object")
    tweets = body.get("data") or []
    includes = to_obj(body.get("includes"))
    users = {str(u.get("id")): u for u in includes.get("users", []) if isinstance(u, dict)}
    if not isinstance(tweets, list):
        raise MalformedPayload("'data' must be a list")
    events: list[Event] = []
    for tweet in tweets:
        if not isinstance(tweet, dict):
            continue
        tweet_id, author_id = _id(tweet.get("id")), _id(tweet.get("author_id"))
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
                _id(r.get("id"))
                for r in tweet.get("referenced_tweets") or []
                if isinstance(r, dict) and r.get("type") == "replied_to"
            ),
            None,
        )
        comment = _comment(
            platform="x",
            external_id=tweet_id,
            brand=brand,
            author={"id": author_id, "name": str(user.get("name") or username or "X user")},
            text=tweet.get("text") if isinstance(tweet.get("text"), str) else "",
            post_id=_id(tweet.get("conversation_id")),
            parent_id=replied_to,
            url=f"https://x.com/{username or 'i/web'}/status/{tweet_id}",
            created_at=_when(tweet.get("created_at")),
        )
        events.append(
            Skipped(comment.reason, user_id, comment.detail) if isinstance(comment, Skipped) else NewComment(comment)
        )
    return events
