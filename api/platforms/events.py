"""Pure parsers: a platform's webhook JSON → typed inbound events (no database, no HTTP).

Meta sends Page `feed` changes (`item: comment`, `verb: add|edited|remove`) and Instagram
`comments` changes, several entries per delivery; X sends Account Activity payloads
(`for_user_id`, `tweet_create_events`, `tweet_delete_events`) and answers mentions polling with
API v2 tweets (the parsers: meta_events.py and x_events.py; this module holds the events and helpers
both share). Each becomes a `NewComment`, `EditedComment`, `RemovedComment`, `NewMessage` (a direct
message: Messenger, Instagram Direct, X DMs polled), or a `Skipped` with a reason (the brand's own
comment or message, an unknown page, a kind Sowana does not handle). A well-signed event of a kind
Sowana does not handle (message reads, deliveries, reactions, mentions, ratings, follows, likes,
another webhook `object`…) is a `Skipped("not_handled", kind=…)`: the route
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

from bot.comments.ingest import CommentIn, MessageIn


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
class NewMessage:
    """A direct message from a person (Messenger, Instagram Direct, X DM; #24). Stored once per
    (brand, platform, external id): a delivery seen before is a duplicate."""

    message: MessageIn


@dataclass(frozen=True)
class Skipped:
    # own_comment | own_message (an echo of the brand's own message) | unknown_account | not_handled |
    # no_text | malformed_change | author_blocked
    reason: str
    account_id: str | None = None
    detail: str | None = None  # for not_handled: the kind (`messaging.reaction`, `feed.like`, `favorite_events`…)


Event = NewComment | EditedComment | RemovedComment | NewMessage | Skipped


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


def when(value: Any, fallback: datetime | None = None) -> datetime:
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


def id_of(value: Any) -> str | None:
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


def comment_in(**kw: Any) -> CommentIn | Skipped:
    try:
        return CommentIn.model_validate(kw)
    except ValidationError as exc:
        fields = ",".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}))
        reason = "no_text" if fields == "text" else "malformed_change"
        return Skipped(reason, detail=f"invalid {fields or 'comment'}")
