"""Meta's webhook JSON (Page `feed` changes, Instagram `comments` changes, messaging) → inbound events."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from api.platforms.events import (
    EditedComment,
    Event,
    MalformedPayload,
    NewComment,
    NewMessage,
    RemovedComment,
    Skipped,
    comment_in,
    event_key,
    id_of,
    kind,
    not_handled,
    text_digest,
    to_obj,
    when,
)
from bot.brands import BrandConfig, Brands
from bot.comments.ingest import MessageIn


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
    comment_id = id_of(value.get("comment_id"))
    if comment_id is None:
        return Skipped("malformed_change", page_id, detail="comment without comment_id")
    author = to_obj(value.get("from"))
    author_id = id_of(author.get("id"))
    if author_id is not None and (author_id == page_id or author_id in brand.meta_page_ids):
        return Skipped("own_comment", page_id)  # our own replies come back as webhooks: no loops
    verb = value.get("verb")
    created = when(value.get("created_time"), entry_time)
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
    post_id = id_of(value.get("post_id"))
    parent_id = id_of(value.get("parent_id"))
    comment = comment_in(
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
    comment_id = id_of(value.get("id"))
    if comment_id is None:
        return Skipped("malformed_change", account_id, detail="comment without id")
    author = to_obj(value.get("from"))
    author_id = id_of(author.get("id"))
    if author_id is not None and (author_id == account_id or author_id in brand.meta_page_ids):
        return Skipped("own_comment", account_id)
    media = to_obj(value.get("media"))
    comment = comment_in(
        platform="instagram",
        external_id=comment_id,
        brand=brand.brand,
        author={"id": author_id or "unknown", "name": str(author.get("username") or "Instagram user")},
        text=value.get("text") if isinstance(value.get("text"), str) else "",
        post_id=id_of(media.get("id")),
        parent_id=id_of(value.get("parent_id")),
        created_at=when(value.get("timestamp"), entry_time),
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


_HTTP_URL = re.compile(r"^https?://[^\s\x00\ud800-\udfff]+$")  # what Attachment accepts
MAX_ATTACHMENTS = 20  # MessageIn keeps at most 20 links


def message_in(**kw: Any) -> MessageIn | Skipped:
    """A `MessageIn`, or why not: `no_text` (neither text nor an attachment), else `malformed_change`."""
    try:
        return MessageIn.model_validate(kw)
    except ValidationError as exc:
        fields = ",".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}))
        if not fields:  # the model check: a message needs text or an attachment
            return Skipped("no_text", detail="message without text or attachment")
        return Skipped("malformed_change", detail=f"invalid {fields}")


def _attachments(raw: Any) -> list[dict[str, Any]]:
    """Meta's `[{"type", "payload": {"url"}}]` as links: only http(s) URLs are kept (Slack shows the link,
    Sowana never fetches the file); one without a usable URL (a template, a fallback) keeps its type."""
    found: list[dict[str, Any]] = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        url = to_obj(item.get("payload")).get("url")
        ok = isinstance(url, str) and len(url) <= 2048 and _HTTP_URL.match(url) is not None
        kind_name = kind(item.get("type") or "file")[:32]
        found.append({"type": kind_name, "url": url if ok else None})
    return found[:MAX_ATTACHMENTS]


def _message(obj: str, item: dict[str, Any], brand: BrandConfig, account_id: str) -> Event:
    """One `messaging[]` item holding a `message` (Messenger when `obj` is page, else Instagram Direct)."""
    message = item["message"]
    sender_id = id_of(to_obj(item.get("sender")).get("id"))
    mid = id_of(message.get("mid"))
    if sender_id is None or mid is None:
        return Skipped("malformed_change", account_id, detail="message without sender id or mid")
    # Meta echoes what the page sends (ours, or the team's from Meta's inbox): never the customer speaking.
    if message.get("is_echo") is True or sender_id == account_id or sender_id in brand.meta_page_ids:
        return Skipped("own_message", account_id)
    if message.get("is_deleted") is True:  # Instagram: the person unsent a message
        return not_handled(account_id, obj, "messaging.message_deleted")
    instagram = obj == "instagram"
    text = message.get("text")
    parsed = message_in(
        platform="instagram" if instagram else "facebook",
        external_id=mid,
        brand=brand.brand,
        account_id=account_id,
        # Webhooks carry no name: the person is named by the platform until the team knows better.
        author={"id": sender_id, "name": "Instagram user" if instagram else "Messenger user"},
        text=text if isinstance(text, str) else "",
        attachments=_attachments(message.get("attachments")),
        created_at=when(item.get("timestamp")),
    )
    if isinstance(parsed, Skipped):
        return Skipped(parsed.reason, account_id, parsed.detail)
    return NewMessage(parsed)


def _messaging(obj: str, source: str, item: Any, brand: BrandConfig, account_id: str) -> Event:
    # `standby` is a thread another app controls (handover protocol): not ours to answer.
    if source == "messaging" and isinstance(item, dict) and isinstance(item.get("message"), dict):
        return _message(obj, item, brand, account_id)
    return not_handled(account_id, obj, _messaging_kind(source, item))


def parse_meta(payload: Any, brands: Brands) -> list[Event]:
    """Events of one Meta delivery (`object` `page` or `instagram`), in order: Page `feed` and Instagram
    `comments` changes, and messages (`messaging[].message`). Every other messaging event (read, delivery,
    reaction, postback, edit, standby…) and field is `not_handled`, one per event."""
    entries = _entries(payload)
    obj = payload.get("object")
    if obj not in ("page", "instagram"):
        return [not_handled(None, "object", obj if isinstance(obj, str) else "unknown")]
    events: list[Event] = []
    for entry in entries:
        account_id = id_of(entry.get("id"))
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
                events.append(_messaging(obj, source, item, brand, account_id))
        if not changes:
            continue
        entry_time = when(entry.get("time"))
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
