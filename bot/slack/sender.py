"""The Slack sender: every message Sowana posts waits in a queue per channel (`SlackOutgoing` rows)
and leaves at Slack's pace.

- Pace: about one `chat.postMessage` a second per channel, short bursts allowed (GCRA). The pace is
  kept in the database (`SlackChannelRate`, updated under a row lock in the same transaction that
  starts a send), so any number of processes sharing one database share each channel's rate.
  A 429 blocks the channel for its `Retry-After`, for every process.
- Order: urgent first, then high, normal, low; in order of arrival within a priority.
- Nothing waits on a busy channel: a channel whose next slot is later is skipped, each send runs in a
  small thread pool, and the worker (triage, drafting) only queues and moves on.
- Exactly once: the intent (`started_at`) is committed before `chat.postMessage`, which carries
  message metadata naming the job. A send found started but not finished (a crash, a timeout with no
  answer) is looked up in the channel with `include_all_metadata` before it is tried again.
- Never dropped: transient failures are retried with capped backoff for as long as it takes; what
  Slack refuses for good (`channel_not_found`, `invalid_blocks`…) is recorded as failed, and a review
  message's comment goes to `failed` with the reason (visible in the API, retry puts it back).

The queue itself (queueing, leasing, what a message's fate changes in the database) is queue.py.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine

from bot.blocks.text import as_text
from bot.db import session_scope
from bot.models import SlackOutgoing, StormGroup, utcnow
from bot.runtime.leases import default_owner
from bot.runtime.loop import PollingLoop
from bot.slack.pace import ChannelBusy, block_channel, gcra, rate_row, retry_after
from bot.slack.queue import (
    Cancelled,
    cancel,
    claim_next,
    due_channels,
    enqueue_in,
    fail,
    record_sent,
    release,
    release_own,
    retry_later,
    thread_ts_of,
    waiting_count,
)

log = logging.getLogger(__name__)

# Slack refusals that a retry cannot heal.
METADATA_EVENT = "sowana_message"
# Slack refusals that a retry cannot heal.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "missing_scope",
        "restricted_action",
        "thread_not_found",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
    }
)


def message_metadata(job: SlackOutgoing) -> dict[str, Any]:
    """Slack message metadata naming the job, so an unfinished send can be found again."""
    return {
        "event_type": METADATA_EVENT,
        "event_payload": {"job_id": job.id, "key": job.key, "comment_id": job.comment_id or 0},
    }


def is_our_message(message: dict[str, Any], job_id: int) -> bool:
    meta = message.get("metadata") or {}
    payload = meta.get("event_payload") or {}
    return bool(meta.get("event_type") == METADATA_EVENT and payload.get("job_id") == job_id)


class Renderer(Protocol):
    def __call__(self, job: SlackOutgoing) -> tuple[str, list[dict[str, Any]] | None]: ...


@dataclass(frozen=True)
class SenderConfig:
    per_second: float = 1.0  # chat.postMessage per channel
    burst: int = 3
    threads: int = 4  # channels sent to at the same time
    lease_seconds: float = 60.0
    poll_seconds: float = 0.1
    max_backoff: float = 60.0


# --- the sender ----------------------------------------------------------------------------------


class SlackSender(PollingLoop):
    name = "sowana-slack-sender"

    def __init__(
        self,
        engine: Engine,
        client: WebClient,
        render: Renderer,
        *,
        config: SenderConfig | None = None,
        owner: str | None = None,
        clock: Callable[[], float] = time.time,
        before_round: Callable[[], None] | None = None,
    ) -> None:
        self.config = config or SenderConfig()
        super().__init__(self.config.poll_seconds)
        self.engine = engine
        self.client = client
        self.render = render
        self.owner = owner or default_owner()
        self.clock = clock
        self.before_round = before_round  # storm upkeep, between rounds
        self._inflight: set[str] = set()
        self._waits: dict[str, float] = {}  # channel -> clock time before which we don't ask again
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self.sent = 0  # messages this process posted (figures for benches)
        self.rate_limited = 0  # 429s Slack answered

    # -- public API --------------------------------------------------------------------------------

    def enqueue(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        *,
        brand: str = "default",
        thread_ts: str | None = None,
        thread_of: int | None = None,
        priority: str | int = "normal",
        key: str | None = None,
        comment_id: int | None = None,
        post_kind: str | None = None,
    ) -> int:
        """Queue a message (SAC cards, thread notices…); returns the job id. `thread_of` = a comment
        whose review thread receives it once that review message exists. `post_kind` + `comment_id`
        record the sent message as that comment's SlackPost (e.g. "sac")."""
        with session_scope(self.engine, write=True) as s:
            job = enqueue_in(
                s,
                brand=brand,
                channel=channel,
                kind="message",
                key=key or f"message:{channel}:{time.time_ns()}:{id(text)}",
                text=text,
                blocks=blocks,
                thread_ts=thread_ts,
                thread_of=thread_of,
                priority=priority,
                comment_id=comment_id,
                post_kind=post_kind,
            )
            assert job.id is not None
            job_id = job.id
        self.wake()
        return job_id

    def backlog(self, channel: str) -> int:
        return waiting_count(self.engine, channel)

    def pending(self) -> int:
        return waiting_count(self.engine)

    def start(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=self.config.threads, thread_name_prefix="slack-send")
        super().start()

    def stop(self, timeout: float = 10.0) -> None:
        super().stop(timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def on_start(self) -> None:
        release_own(self.engine, self.owner)

    def run_once(self) -> int:
        if self.before_round is not None:
            try:
                self.before_round()
            except Exception:  # storm upkeep must never stop messages from leaving
                log.exception("sender: round preparation failed")
        dispatched = 0
        for channel in self.ready_channels():
            job_id = self.claim(channel)
            if job_id is None:
                continue
            with self._lock:
                self._inflight.add(channel)
            if self._pool is None:  # not started: send inline (tests, benches)
                self._run(channel, job_id)
            else:
                self._pool.submit(self._run, channel, job_id)
            dispatched += 1
        return dispatched

    def drain(self, timeout: float = 60.0) -> None:
        """Send inline until nothing is queued (tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.run_once() == 0:
                if self.pending() == 0:
                    return
                time.sleep(0.02)
        raise TimeoutError("Slack messages still queued")

    def ready_channels(self) -> list[str]:
        """Channels with a message due, not being sent to by us, not known to be waiting."""
        rows = due_channels(self.engine)
        clock = self.clock()
        with self._lock:
            return [c for c in rows if c not in self._inflight and self._waits.get(c, 0.0) <= clock]

    def claim(self, channel: str) -> int | None:
        """Lease the channel's most urgent due message (oldest first within a priority)."""
        return claim_next(self.engine, channel, self.owner, self.config.lease_seconds)

    def _run(self, channel: str, job_id: int) -> None:
        try:
            self.send(job_id)
        except ChannelBusy as busy:
            with self._lock:
                self._waits[channel] = self.clock() + busy.wait
        except Exception:  # the job stays leased and comes back when the lease ends
            log.exception("sender: job %s failed unexpectedly", job_id)
        finally:
            with self._lock:
                self._inflight.discard(channel)
            self.wake()

    # -- one send ----------------------------------------------------------------------------------

    def send(self, job_id: int) -> None:
        """Send one leased job: take a slot of its channel, recover or post, record."""
        recovering, job = self._begin(job_id)
        if job is None:
            return
        if recovering:
            found = self._look_up(job)
            if found:
                log.info("sender: job %s was already in Slack (%s); recorded, not posted again", job_id, found)
                record_sent(self.engine, job, found)
                return
        try:
            text, blocks = self.render(job)
        except Cancelled as why:
            cancel(self.engine, job_id, str(why))
            return
        if job.thread_of is not None and not job.thread_ts:
            job.thread_ts = thread_ts_of(self.engine, job.thread_of)
            if job.thread_ts is None:  # the review message is not there yet: try again a little later
                release(self.engine, job_id, delay=2.0, clear_started=True)
                return
        try:
            response = self.client.chat_postMessage(
                channel=job.channel,
                text=as_text(text),
                blocks=blocks,
                thread_ts=job.thread_ts,
                metadata=message_metadata(job),
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            self._refused(job, exc)
            return
        except Exception as exc:  # no answer: Slack may or may not have it; the next try looks first
            log.warning("sender: job %s got no answer (%s); will look it up", job_id, type(exc).__name__)
            retry_later(
                self.engine, job_id, f"{type(exc).__name__}", clear_started=False, max_backoff=self.config.max_backoff
            )
            return
        self.sent += 1
        record_sent(self.engine, job, str(response["ts"]))

    def _begin(self, job_id: int) -> tuple[bool, SlackOutgoing | None]:
        """In one transaction: take a slot of the channel's shared pace (or raise ChannelBusy) and
        record that the send starts. Returns (a previous send may have reached Slack, the job)."""
        wait = 0.0
        with session_scope(self.engine, write=True) as s:
            job = s.get(SlackOutgoing, job_id)
            if job is None or job.status != "pending" or job.lease_owner != self.owner:
                return False, None
            rate = rate_row(s, job.channel)
            now = self.clock()
            if rate.blocked_until > now:
                wait = rate.blocked_until - now
            else:
                wait, tat = gcra(rate.tat, now, self.config.per_second, self.config.burst)
            if wait > 0:  # not our turn: give the job back (committed), try the channel later
                job.lease_owner, job.lease_until = None, None
                s.add(job)
            else:
                rate.tat = tat
                s.add(rate)
                recovering = job.started_at is not None
                if not recovering:
                    job.started_at = utcnow()  # the intent, committed before the post
                if job.kind == "storm" and job.group_id is not None:
                    group = s.get(StormGroup, job.group_id, with_for_update=True)
                    if group is not None and not group.sealed:
                        group.sealed = True  # its members are final from here
                        s.add(group)
                s.add(job)
                s.flush()
                s.expunge(job)
        if wait > 0:
            raise ChannelBusy(wait)
        return recovering, job

    def _look_up(self, job: SlackOutgoing) -> str | None:
        """Find the job's message posted by an earlier try (metadata names it); its ts, or None."""
        assert job.id is not None and job.started_at is not None
        oldest = f"{job.started_at.timestamp() - 5.0:.6f}"  # a little slack for clocks between machines
        cursor: str | None = None
        for _ in range(50):
            if job.thread_ts:
                page = self.client.conversations_replies(
                    channel=job.channel,
                    ts=job.thread_ts,
                    oldest=oldest,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            else:
                page = self.client.conversations_history(
                    channel=job.channel, oldest=oldest, include_all_metadata=True, limit=200, cursor=cursor
                )
            for message in page.get("messages") or []:
                if is_our_message(message, job.id):
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not page.get("has_more") or not cursor:
                return None
        return None

    def _refused(self, job: SlackOutgoing, exc: SlackApiError) -> None:
        assert job.id is not None
        status = exc.response.status_code
        error = str(exc.response.get("error") or "")
        if status == 429 or error == "ratelimited":
            wait = retry_after(exc.response.headers)
            self.rate_limited += 1
            log.info("sender: channel %s rate limited for %ss", job.channel, wait)
            until = self.clock() + wait
            block_channel(self.engine, job.id, job.channel, until)
            with self._lock:
                self._waits[job.channel] = until
            return
        if status < 500 and error in PERMANENT_ERRORS:
            fail(self.engine, job, error)
            return
        # 5xx and Slack's own trouble: maybe posted, maybe not.
        retry_later(
            self.engine,
            job.id,
            f"{status} {error}".strip(),
            clear_started=status < 500,
            max_backoff=self.config.max_backoff,
        )


def make_sender_client(token: str | None, base_url: str, timeout: float = 10.0) -> WebClient:
    """A client with no retry handlers: a blind retry of chat.postMessage could post twice; the
    sender retries itself, looking the message up first when an answer was lost."""
    client = WebClient(token=token, base_url=base_url, timeout=int(timeout))
    client.retry_handlers.clear()
    return client
