"""X mentions polling: `GET /2/users/:id/mentions` with `since_id`, for brands without Account
Activity webhooks (an enterprise product). The newest id seen is kept in `PlatformCursor`, written
only after the mentions are stored, so a restart resumes where it stopped and a crash re-reads
(ingest is idempotent) rather than skips.

Several processes run a poller each, but only the holder of the `x-mentions` lease polls (one X quota,
one `since_id`); the others ask for the lease every round and take it over when its holder dies.

X direct messages (#24) are polled the same way by `DmPoller`: `GET /2/dm_events` under its own lease
(`x-dms`), resuming from the newest DM event id seen (cursor platform `x-dm`). That endpoint has no
`since_id`: pages are read newest first until an event at or below the cursor.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import col

from api.platforms.events import Event, MalformedPayload, NewMessage, to_obj
from api.platforms.http import RetryPolicy, json_or_empty, make_client, send
from api.platforms.inbound import ApplyReport, apply_events
from api.platforms.x import explain
from api.platforms.x_events import parse_x_dm_events, parse_x_mentions
from bot.comments.publisher import PublishError
from bot.db import session_scope
from bot.logs import new_request_id, request_context
from bot.models import PlatformCursor, utcnow
from bot.runtime.leases import default_owner, hold_lease, release_lease

log = logging.getLogger(__name__)

TWEET_FIELDS = "conversation_id,in_reply_to_user_id,created_at,referenced_tweets,author_id"
MAX_PAGES = 10  # a burst larger than 1,000 mentions is read over the next rounds
LEASE = "x-mentions"
DM_LEASE = "x-dms"
DM_CURSOR = "x-dm"  # PlatformCursor.platform of the DM cursor (the mentions' is "x")
DM_FIELDS = "id,text,event_type,dm_conversation_id,created_at,sender_id,attachments,participant_ids"


@dataclass
class PollResult:
    brand: str
    user_id: str
    fetched: int = 0
    since_id: str | None = None
    error: str | None = None
    messages: int = 0  # direct messages read from people (DmPoller), before storing
    report: ApplyReport = field(default_factory=ApplyReport)


def load_cursor(engine: Engine, brand: str, user_id: str, platform: str = "x") -> str | None:
    with session_scope(engine) as session:
        return session.execute(
            select(col(PlatformCursor.since_id)).where(
                col(PlatformCursor.brand) == brand,
                col(PlatformCursor.platform) == platform,
                col(PlatformCursor.account_id) == user_id,
            )
        ).scalar_one_or_none()


def save_cursor(engine: Engine, brand: str, user_id: str, since_id: str, platform: str = "x") -> None:
    with session_scope(engine, write=True) as session:
        row = session.execute(
            select(PlatformCursor).where(
                col(PlatformCursor.brand) == brand,
                col(PlatformCursor.platform) == platform,
                col(PlatformCursor.account_id) == user_id,
            )
        ).scalar_one_or_none()
        if row is None:
            row = PlatformCursor(brand=brand, platform=platform, account_id=user_id)
        # Tweet ids are increasing integers: never move the cursor backwards.
        if row.since_id is None or int(since_id) > int(row.since_id):
            row.since_id = since_id
            row.updated_at = utcnow()
            session.add(row)


class MentionsPoller:
    """Polls each (brand, X user id) in turn. `poll_once()` does one round; `start()` runs rounds
    every `interval` seconds in a daemon thread until `stop()`, while this process holds the lease.

    The lease lasts `interval + lease_seconds` and is renewed each round: its holder keeps it from one
    round to the next, and when the holder dies another process takes over at least one interval
    after the last poll (never two polls in one interval)."""

    lease = LEASE
    what = "X mentions"

    def __init__(
        self,
        engine: Engine,
        *,
        api_url: str,
        bearer_token: str | None,
        accounts: list[tuple[str, str]],
        interval: float = 60.0,
        client: httpx.Client | None = None,
        policy: RetryPolicy | None = None,
        on_created: Callable[[list[int]], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        lease_seconds: float = 60.0,
    ) -> None:
        self.engine = engine
        self.lease_seconds = interval + lease_seconds
        self.owner = f"{default_owner()}:{uuid.uuid4().hex[:8]}"
        self.bearer_token = bearer_token
        self.accounts = list(accounts)
        self.interval = interval
        self.client = client or make_client(api_url)
        self.policy = policy or RetryPolicy(attempts=2, max_wait=5.0)
        self.on_created = on_created
        self.sleep = sleep
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _page(self, user_id: str, since_id: str | None, token: str | None) -> dict[str, Any]:
        params = {
            "max_results": "100",
            "expansions": "author_id",
            "tweet.fields": TWEET_FIELDS,
            "user.fields": "username,name",
        }
        if since_id:
            params["since_id"] = since_id
        if token:
            params["pagination_token"] = token
        return self._get(f"users/{user_id}/mentions", params)

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        """One page from X, or the PublishError explaining its refusal."""
        response = send(
            self.client,
            "GET",
            path,
            service="X",
            policy=self.policy,
            sleep=self.sleep,
            params=params,
            headers={"Authorization": f"Bearer {self.bearer_token}"},
        )
        if response.status_code >= 400:
            raise explain(response)
        return json_or_empty(response)

    def poll_account(self, brand: str, user_id: str) -> PollResult:
        # A poll is a delivery like a webhook's: its mentions share one request id, in every later log line.
        with request_context(new_request_id()):
            return self._poll_account(brand, user_id)

    def _poll_account(self, brand: str, user_id: str) -> PollResult:
        result = PollResult(brand, user_id)
        since = load_cursor(self.engine, brand, user_id)
        events: list[Event] = []
        newest: str | None = None
        token: str | None = None
        try:
            for _ in range(MAX_PAGES):
                body = self._page(user_id, since, token)
                meta = to_obj(body.get("meta"))
                newest = newest or meta.get("newest_id")  # the first page holds the newest
                events += parse_x_mentions(body, brand=brand, user_id=user_id)
                result.fetched += len(body.get("data") or [])
                token = meta.get("next_token")
                # Without a cursor, take the latest page only: a first start is not a history import.
                if not token or since is None:
                    break
        except (PublishError, MalformedPayload) as exc:
            result.error = str(exc)
            log.warning("X mentions for brand %s: %s", brand, exc)
            if not events:
                return result
            newest = None  # partial read: store what came, keep the cursor where it was
        result.report = apply_events(self.engine, events, actor="x:mentions")
        if newest:
            save_cursor(self.engine, brand, user_id, str(newest))
        result.since_id = load_cursor(self.engine, brand, user_id)
        if result.report.created and self.on_created:
            self.on_created(result.report.created)
        return result

    def poll_once(self) -> list[PollResult]:
        if not self.bearer_token:
            log.warning("%s polling: X_BEARER_TOKEN is not set", self.what)
            return []
        return [self.poll_account(brand, user_id) for brand, user_id in self.accounts]

    def poll_if_leader(self) -> list[PollResult] | None:
        """One round when this process holds (or takes) the lease; None when another process does."""
        if not hold_lease(self.engine, self.lease, owner=self.owner, lease_seconds=self.lease_seconds):
            return None
        return self.poll_once()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_if_leader()
            except Exception:  # noqa: BLE001 - a bad round must not end polling (database down, ...)
                log.exception("%s polling round failed", self.what)
            self._stop.wait(self.interval)
        try:
            release_lease(self.engine, self.lease, owner=self.owner)
        except Exception as exc:  # the database is away: the lease expires instead
            log.warning("%s lease not released: %s", self.what, type(exc).__name__)

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=f"{self.lease}-poller", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def close(self) -> None:
        self.stop()
        self.client.close()


class DmPoller(MentionsPoller):
    """Polls the direct messages of each (brand, X user id) with `GET /2/dm_events` (#24), under the
    `x-dms` lease; same loop, lease and error handling as the mentions poller."""

    lease = DM_LEASE
    what = "X direct messages"

    def _page(self, user_id: str, since_id: str | None, token: str | None) -> dict[str, Any]:
        params = {
            "dm_event.fields": DM_FIELDS,
            "event_types": "MessageCreate",
            "max_results": "100",
            "expansions": "sender_id",  # the people's names (includes.users)
            "user.fields": "name,username",
        }
        if token:
            params["pagination_token"] = token
        return self._get("dm_events", params)  # the authenticated account's: the token says whose

    def _poll_account(self, brand: str, user_id: str) -> PollResult:
        result = PollResult(brand, user_id)
        since = load_cursor(self.engine, brand, user_id, DM_CURSOR)
        fresh: list[dict[str, Any]] = []  # events newer than the cursor, newest first
        users: dict[str, Any] = {}  # includes.users of every page read
        token: str | None = None
        reached = False
        try:
            for _ in range(MAX_PAGES):
                body = self._page(user_id, since, token)
                items = [i for i in body.get("data") or [] if isinstance(i, dict)]
                result.fetched += len(items)
                for user in to_obj(body.get("includes")).get("users") or []:
                    if isinstance(user, dict):
                        users[str(user.get("id"))] = user
                for item in items:
                    if since is not None and _id_at_or_below(item.get("id"), since):
                        reached = True
                        break
                    fresh.append(item)
                token = to_obj(body.get("meta")).get("next_token")
                # No cursor yet (a new install): the latest page only, not years of DMs.
                if reached or not token or since is None:
                    break
            else:
                log.warning("X DMs for brand %s: more than %d new events; older ones were not read", brand, len(fresh))
        except (PublishError, MalformedPayload) as exc:
            result.error = str(exc)  # X's words (rate limit, missing DM permission), never a message's text
            log.warning("X direct messages for brand %s: %s", brand, exc)
            if not fresh:
                return result  # partial read below: store what came (idempotent), keep the cursor
        newest = max((str(i["id"]) for i in fresh if _numeric(i.get("id"))), key=int, default=None)
        # Oldest first, as the conversation happened.
        page = {"data": list(reversed(fresh)), "includes": {"users": list(users.values())}}
        events: list[Event] = parse_x_dm_events(page, brand=brand, user_id=user_id)
        result.messages = sum(isinstance(ev, NewMessage) for ev in events)
        result.report = apply_events(self.engine, events, actor="x:dms")
        if newest and result.error is None:
            save_cursor(self.engine, brand, user_id, newest, DM_CURSOR)
        result.since_id = load_cursor(self.engine, brand, user_id, DM_CURSOR)
        if result.report.created and self.on_created:
            self.on_created(result.report.created)
        return result


def _numeric(value: Any) -> bool:
    return isinstance(value, str | int) and str(value).isdigit()


def _id_at_or_below(value: Any, cursor: str) -> bool:
    return _numeric(value) and cursor.isdigit() and int(str(value)) <= int(cursor)
