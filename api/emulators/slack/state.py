"""In-memory state of the local workspace: messages, threads, reactions, views, triggers, deliveries.

One lock guards everything (the dev process is one process; the uvicorn loop and test threads share it).
Every change bumps `version` so the page can poll cheaply for updates.
"""

from __future__ import annotations

import collections
import copy
import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

Message = dict[str, Any]


def format_ts(micros: int) -> str:
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def ts_key(ts: str) -> int:
    """Slack ts strings compare as numbers; keep them exact as integers of microseconds."""
    whole, _, frac = ts.partition(".")
    return int(whole) * 1_000_000 + int((frac + "000000")[:6])


@dataclass
class Trigger:
    user_id: str
    issued: float  # time.monotonic()
    exchanged: bool = False


@dataclass
class ResponseUrl:
    channel_id: str | None
    user_id: str
    message_ts: str | None  # the message the interaction came from, for replace/delete_original
    is_ephemeral: bool
    thread_ts: str | None
    created: float
    uses: int = 0


@dataclass
class Ephemeral:
    channel_id: str
    user_id: str
    message: Message


@dataclass
class DeliveryAttempt:
    retry_num: int
    status: int | None  # HTTP status, None when no answer (timeout, refused)
    duration_ms: float
    acked_in_time: bool
    error: str | None = None


@dataclass
class Delivery:
    id: int
    kind: str  # event_callback | block_actions | view_submission | view_closed | slash_command | url_verification
    summary: str  # e.g. "reaction_added", "approve_reply" or "/persona" (never message text)
    user_id: str | None
    event_id: str | None = None
    attempts: list[DeliveryAttempt] = field(default_factory=list)
    done: bool = False
    response_body: Any = None  # parsed JSON of the final answer, if any

    @property
    def acked(self) -> bool:
        return any(a.acked_in_time for a in self.attempts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "summary": self.summary,
            "user_id": self.user_id,
            "event_id": self.event_id,
            "done": self.done,
            "acked": self.acked,
            "attempts": [a.__dict__.copy() for a in self.attempts],
        }


class WorkspaceState:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.version = 0
        self._last_micros = 0
        self.messages: dict[str, dict[str, Message]] = {}  # channel -> ts -> message (top-level and replies)
        self.ephemerals: list[Ephemeral] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.view_stacks: dict[str, list[str]] = {}  # user -> open view ids, top last
        self.view_errors: dict[str, dict[str, str]] = {}  # view id -> block_id -> error (response_action)
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.deliveries: list[Delivery] = []
        # What the app sent: every Web API call (method, arguments; never the token) and response_url post,
        # oldest first, so a test can read everything that reached "Slack" (tests/flows/test_hostile_text.py).
        self.calls: collections.deque[dict[str, Any]] = collections.deque(maxlen=20_000)
        self._ids = itertools.count(1)

    # --- identifiers -------------------------------------------------------------------------
    def new_ts(self) -> str:
        """Unique, strictly increasing ts like Slack's "1700000000.000100"."""
        with self.lock:
            now = int(time.time() * 1_000_000)
            self._last_micros = max(now, self._last_micros + 1)
            return format_ts(self._last_micros)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):04d}{secrets.token_hex(4).upper()}"

    def bump(self) -> None:
        with self.lock:
            self.version += 1

    def record_call(self, method: str, params: dict[str, Any]) -> None:
        with self.lock:
            self.calls.append({"method": method, "params": copy.deepcopy(params)})

    # --- messages ----------------------------------------------------------------------------
    def add_message(self, channel_id: str, message: Message) -> Message:
        with self.lock:
            self.messages.setdefault(channel_id, {})[message["ts"]] = message
            parent_ts = message.get("thread_ts")
            if parent_ts and parent_ts != message["ts"]:
                self._touch_parent(channel_id, parent_ts, message)
            self.version += 1
            return message

    def _touch_parent(self, channel_id: str, parent_ts: str, reply: Message) -> None:
        parent = self.messages.get(channel_id, {}).get(parent_ts)
        if parent is None:
            return
        parent["thread_ts"] = parent_ts
        parent["reply_count"] = parent.get("reply_count", 0) + 1
        users = parent.setdefault("reply_users", [])
        if reply.get("user") and reply["user"] not in users:
            users.append(reply["user"])
        parent["reply_users_count"] = len(users)
        parent["latest_reply"] = reply["ts"]

    def get_message(self, channel_id: str, ts: str) -> Message | None:
        with self.lock:
            return self.messages.get(channel_id, {}).get(ts)

    def delete_message(self, channel_id: str, ts: str) -> bool:
        with self.lock:
            removed = self.messages.get(channel_id, {}).pop(ts, None)
            self.version += 1
            return removed is not None

    def channel_messages(self, channel_id: str) -> list[Message]:
        """Top-level messages (and broadcast replies), oldest first, as deep copies."""
        with self.lock:
            msgs = self.messages.get(channel_id, {}).values()
            top = [m for m in msgs if m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"]
            return copy.deepcopy(sorted(top, key=lambda m: ts_key(m["ts"])))

    def thread_messages(self, channel_id: str, thread_ts: str) -> list[Message]:
        """The parent then its replies, oldest first (conversations.replies order)."""
        with self.lock:
            msgs = self.messages.get(channel_id, {})
            parent = msgs.get(thread_ts)
            if parent is None:
                return []
            replies = [m for m in msgs.values() if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts]
            return copy.deepcopy([parent, *sorted(replies, key=lambda m: ts_key(m["ts"]))])

    # --- ephemerals --------------------------------------------------------------------------
    def add_ephemeral(self, channel_id: str, user_id: str, message: Message) -> None:
        with self.lock:
            self.ephemerals.append(Ephemeral(channel_id, user_id, message))
            self.version += 1

    def ephemerals_for(self, user_id: str, channel_id: str | None = None) -> list[Message]:
        with self.lock:
            return copy.deepcopy(
                [
                    {**e.message, "channel": e.channel_id}
                    for e in self.ephemerals
                    if e.user_id == user_id and (channel_id is None or e.channel_id == channel_id)
                ]
            )

    def find_ephemeral(self, user_id: str, ts: str) -> Ephemeral | None:
        with self.lock:
            return next((e for e in self.ephemerals if e.user_id == user_id and e.message["ts"] == ts), None)

    # --- triggers ----------------------------------------------------------------------------
    def new_trigger(self, user_id: str) -> str:
        trigger_id = f"{int(time.time())}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"
        with self.lock:
            self.triggers[trigger_id] = Trigger(user_id, time.monotonic())
        return trigger_id

    # --- deliveries --------------------------------------------------------------------------
    def new_delivery(self, kind: str, summary: str, user_id: str | None, event_id: str | None = None) -> Delivery:
        with self.lock:
            delivery = Delivery(len(self.deliveries) + 1, kind, summary, user_id, event_id)
            self.deliveries.append(delivery)
            self.version += 1
            return delivery


# --- Sign in with Slack (api/emulators/slack/openid.py) ---------------------------------------------


@dataclass(frozen=True)
class Grant:
    user_id: str
    client_id: str
    redirect_uri: str
    nonce: str | None
    scopes: frozenset[str]
    issued: float
    auth_time: int


class OpenIdStore:
    """Codes waiting to be exchanged and the access tokens handed out (in memory, like the rest)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.codes: dict[str, Grant] = {}
        self.tokens: dict[str, Grant] = {}

    def issue_code(self, grant: Grant) -> str:
        code = f"{secrets.randbelow(10**10)}.{secrets.randbelow(10**13)}.{secrets.token_hex(32)}"
        with self.lock:
            self.codes[code] = grant
        return code

    def take_code(self, code: str, ttl: float) -> Grant | None:
        """A code works once, within `ttl` seconds."""
        with self.lock:
            grant = self.codes.pop(code, None)
        if grant is None or time.monotonic() - grant.issued > ttl:
            return None
        return grant
