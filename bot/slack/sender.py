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
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from bot.blocks.text import as_text
from bot.comments.lifecycle import IllegalTransition, transition_in
from bot.db import session_scope
from bot.models import Comment, SlackChannelRate, SlackOutgoing, SlackPost, State, StormGroup, TriageRecord, utcnow
from bot.runtime.leases import default_owner
from bot.runtime.loop import PollingLoop
from bot.runtime.retry import backoff

log = logging.getLogger(__name__)

PRIORITIES = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
METADATA_EVENT = "sowana_message"
# A review job parks its comment under this lease owner: the worker leaves it alone until it is posted.
PARKED = "slack-sender"
PARK_SECONDS = 3600.0
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


def priority_rank(priority: str | int | None) -> int:
    """urgent|high|normal|low → 0..3; anything unknown or missing is normal."""
    if isinstance(priority, int):
        return max(0, min(3, priority))
    return PRIORITIES.get((priority or "normal").lower(), PRIORITIES["normal"])


def gcra(tat: float, now: float, per_second: float, burst: int) -> tuple[float, float]:
    """Generic cell rate algorithm: (seconds to wait, new theoretical arrival time).

    A wait of 0 means the message may go now and `new tat` must be stored. `burst` messages may go
    back to back after a quiet spell, then one every 1/per_second seconds."""
    interval = 1.0 / per_second
    tolerance = (max(1, burst) - 1) * interval
    start = max(tat, now)
    allowed_at = start - tolerance
    if allowed_at > now:
        return allowed_at - now, tat
    return 0.0, start + interval


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


# --- queueing (usable inside the caller's transaction) ------------------------------------------------


def enqueue_in(
    session: Session,
    *,
    brand: str,
    channel: str,
    kind: str,
    key: str,
    text: str | None = None,
    blocks: list[dict[str, Any]] | None = None,
    thread_ts: str | None = None,
    thread_of: int | None = None,
    priority: str | int = "normal",
    comment_id: int | None = None,
    post_kind: str | None = None,
    group_id: int | None = None,
) -> SlackOutgoing:
    """Queue a message in the caller's transaction; the same `key` twice queues it once (the row
    already there is returned; a failed or cancelled one is put back in the queue). The text is stored
    fit for Slack (bot/blocks/text.py: a plain str is escaped), so what is read back is sent as it is."""
    existing = session.execute(select(SlackOutgoing).where(col(SlackOutgoing.key) == key)).scalar_one_or_none()
    if existing is not None:
        if existing.status in ("failed", "cancelled"):
            existing.status, existing.attempts, existing.last_error = "pending", 0, None
            existing.lease_owner, existing.lease_until = None, None
            existing.channel, existing.priority = channel, priority_rank(priority)
            session.add(existing)
        return existing
    job = SlackOutgoing(
        brand=brand,
        channel=channel,
        kind=kind,
        key=key,
        text=as_text(text) if text is not None else None,
        blocks=blocks,
        thread_ts=thread_ts,
        thread_of=thread_of,
        priority=priority_rank(priority),
        comment_id=comment_id,
        post_kind=post_kind,
        group_id=group_id,
    )
    with session.begin_nested():
        session.add(job)
        try:
            session.flush()
        except IntegrityError:  # another process queued the same key at the same moment
            pass
        else:
            return job
    found = session.execute(select(SlackOutgoing).where(col(SlackOutgoing.key) == key)).scalar_one()
    return found


def queue_review(session: Session, comment: Comment, channel: str) -> SlackOutgoing:
    """Queue a comment's review message (at its triage priority) and park the comment until it is sent."""
    assert comment.id is not None
    priority = session.execute(
        select(col(TriageRecord.priority)).where(col(TriageRecord.comment_id) == comment.id)
    ).scalar_one_or_none()
    job = enqueue_in(
        session,
        brand=comment.brand,
        channel=channel,
        kind="review",
        key=f"review:{comment.id}",
        priority=priority or "normal",
        comment_id=comment.id,
    )
    if job.status == "sent":  # sent once, yet the comment is back before a review (its message is gone)
        job.status, job.ts, job.group_id, job.started_at, job.attempts = "pending", None, None, None, 0
        job.lease_owner, job.lease_until, job.channel = None, None, channel
        session.add(job)
    park_comment(session, comment.id)
    return job


def park_comment(session: Session, comment_id: int) -> None:
    """The comment waits for its review message: the sender moves it on, the worker leaves it be."""
    session.execute(
        update(Comment)
        .where(col(Comment.id) == comment_id)
        .values(lease_owner=PARKED, lease_until=utcnow() + timedelta(seconds=PARK_SECONDS))
    )


def _unpark(session: Session, comment_ids: list[int]) -> None:
    if comment_ids:
        session.execute(
            update(Comment)
            .where(col(Comment.id).in_(comment_ids), col(Comment.lease_owner) == PARKED)
            .values(lease_owner=None, lease_until=None, attempts=0)
        )


def _record_post(session: Session, brand: str, comment_id: int, kind: str, channel: str, ts: str) -> None:
    row = session.execute(
        select(SlackPost).where(col(SlackPost.comment_id) == comment_id, col(SlackPost.kind) == kind)
    ).scalar_one_or_none()
    if row is None:
        row = SlackPost(brand=brand, comment_id=comment_id, kind=kind, channel=channel)
    row.channel, row.ts = channel, ts
    session.add(row)


def _to_posted(session: Session, comment_id: int, detail: dict[str, Any]) -> None:
    comment = session.get(Comment, comment_id)
    if comment is None or comment.state not in (State.proposed, State.triaged):
        return
    try:
        with session.begin_nested():
            transition_in(session, comment_id, State.posted, actor="slack-sender", detail=detail)
    except IllegalTransition:
        log.info("comment %s moved on before its review message was recorded", comment_id)


# --- the sender ----------------------------------------------------------------------------------


class ChannelBusy(Exception):
    def __init__(self, wait: float) -> None:
        super().__init__(f"channel busy for {wait:.2f}s")
        self.wait = wait


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
        with session_scope(self.engine) as s:
            return int(
                s.execute(
                    select(func.count())
                    .select_from(SlackOutgoing)
                    .where(col(SlackOutgoing.channel) == channel, col(SlackOutgoing.status).in_(["pending", "grouped"]))
                ).scalar_one()
            )

    def pending(self) -> int:
        with session_scope(self.engine) as s:
            return int(
                s.execute(
                    select(func.count())
                    .select_from(SlackOutgoing)
                    .where(col(SlackOutgoing.status).in_(["pending", "grouped"]))
                ).scalar_one()
            )

    # -- the loop ----------------------------------------------------------------------------------

    def start(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=self.config.threads, thread_name_prefix="slack-send")
        super().start()

    def stop(self, timeout: float = 10.0) -> None:
        super().stop(timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def on_start(self) -> None:
        # A lease held under our own name belongs to a previous life of this process.
        with session_scope(self.engine, write=True) as s:
            s.execute(
                update(SlackOutgoing)
                .where(col(SlackOutgoing.lease_owner) == self.owner)
                .values(lease_owner=None, lease_until=None)
            )

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
        now = utcnow()
        with session_scope(self.engine) as s:
            rows = s.execute(
                select(col(SlackOutgoing.channel))
                .where(
                    col(SlackOutgoing.status) == "pending",
                    or_(col(SlackOutgoing.lease_until).is_(None), col(SlackOutgoing.lease_until) < now),
                )
                .group_by(col(SlackOutgoing.channel))
            ).all()
        clock = self.clock()
        with self._lock:
            return [r[0] for r in rows if r[0] not in self._inflight and self._waits.get(r[0], 0.0) <= clock]

    def claim(self, channel: str) -> int | None:
        """Lease the channel's most urgent due message (oldest first within a priority)."""
        now = utcnow()
        candidate = (
            select(col(SlackOutgoing.id))
            .where(
                col(SlackOutgoing.channel) == channel,
                col(SlackOutgoing.status) == "pending",
                or_(col(SlackOutgoing.lease_until).is_(None), col(SlackOutgoing.lease_until) < now),
            )
            .order_by(col(SlackOutgoing.priority), col(SlackOutgoing.id))
            .limit(1)
        )
        if self.engine.dialect.name == "postgresql":
            candidate = candidate.with_for_update(skip_locked=True)
        stmt = (
            update(SlackOutgoing)
            .where(col(SlackOutgoing.id).in_(candidate.scalar_subquery()))
            .values(lease_owner=self.owner, lease_until=now + timedelta(seconds=self.config.lease_seconds))
            .returning(col(SlackOutgoing.id))
        )
        with session_scope(self.engine, write=True) as s:
            found = s.execute(stmt).scalars().first()
        return int(found) if found is not None else None

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
                self._finish(job, found)
                return
        try:
            text, blocks = self.render(job)
        except Cancelled as why:
            self._cancel(job_id, str(why))
            return
        if job.thread_of is not None and not job.thread_ts:
            job.thread_ts = self._thread_ts(job.thread_of)
            if job.thread_ts is None:  # the review message is not there yet: try again a little later
                self._release(job_id, delay=2.0, clear_started=True)
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
            self._retry(job_id, f"{type(exc).__name__}", clear_started=False)
            return
        self.sent += 1
        self._finish(job, str(response["ts"]))

    def _begin(self, job_id: int) -> tuple[bool, SlackOutgoing | None]:
        """In one transaction: take a slot of the channel's shared pace (or raise ChannelBusy) and
        record that the send starts. Returns (a previous send may have reached Slack, the job)."""
        wait = 0.0
        with session_scope(self.engine, write=True) as s:
            job = s.get(SlackOutgoing, job_id)
            if job is None or job.status != "pending" or job.lease_owner != self.owner:
                return False, None
            rate = self._rate_row(s, job.channel)
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

    def _rate_row(self, s: Session, channel: str) -> SlackChannelRate:
        rate = s.get(SlackChannelRate, channel, with_for_update=True)
        if rate is not None:
            return rate
        try:
            with s.begin_nested():
                s.add(SlackChannelRate(channel=channel, tat=0.0, blocked_until=0.0))
        except IntegrityError:
            pass  # another process made it first
        rate = s.get(SlackChannelRate, channel, with_for_update=True, populate_existing=True)
        assert rate is not None
        return rate

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

    def _thread_ts(self, comment_id: int) -> str | None:
        with session_scope(self.engine) as s:
            post = s.execute(
                select(SlackPost).where(col(SlackPost.comment_id) == comment_id, col(SlackPost.kind) == "review")
            ).scalar_one_or_none()
            if post is not None and post.ts:
                return post.ts
            storm = s.execute(
                select(SlackPost).where(col(SlackPost.comment_id) == comment_id, col(SlackPost.kind) == "storm")
            ).scalar_one_or_none()
            return storm.ts if storm is not None else None

    def _finish(self, job: SlackOutgoing, ts: str) -> None:
        """The message is in Slack: record where, and move what waited on it, in one transaction."""
        assert job.id is not None
        with session_scope(self.engine, write=True) as s:
            row = s.get(SlackOutgoing, job.id)
            assert row is not None
            if row.status == "sent":
                return
            row.status, row.ts, row.sent_at, row.lease_owner, row.lease_until = "sent", ts, utcnow(), None, None
            row.thread_ts = job.thread_ts
            s.add(row)
            if row.kind == "review" and row.comment_id is not None:
                _record_post(s, row.brand, row.comment_id, "review", row.channel, ts)
                _to_posted(s, row.comment_id, {"channel": row.channel, "ts": ts})
                _unpark(s, [row.comment_id])
            elif row.kind == "storm" and row.group_id is not None:
                finish_group(s, row.group_id, row.channel, ts)
            elif row.post_kind and row.comment_id is not None:
                _record_post(s, row.brand, row.comment_id, row.post_kind, row.channel, ts)

    def _refused(self, job: SlackOutgoing, exc: SlackApiError) -> None:
        assert job.id is not None
        status = exc.response.status_code
        error = str(exc.response.get("error") or "")
        if status == 429 or error == "ratelimited":
            retry_after = _retry_after(exc.response.headers)
            self.rate_limited += 1
            log.info("sender: channel %s rate limited for %ss", job.channel, retry_after)
            until = self.clock() + retry_after
            with session_scope(self.engine, write=True) as s:
                rate = self._rate_row(s, job.channel)
                rate.blocked_until = max(rate.blocked_until, until)
                rate.tat = max(rate.tat, until)
                s.add(rate)
                row = s.get(SlackOutgoing, job.id)
                assert row is not None
                # Refused: nothing was posted, no need to look before the next try.
                row.started_at, row.lease_owner, row.lease_until = None, None, None
                s.add(row)
            with self._lock:
                self._waits[job.channel] = until
            return
        if status < 500 and error in PERMANENT_ERRORS:
            self._fail(job, error)
            return
        # 5xx and Slack's own trouble: maybe posted, maybe not.
        self._retry(job.id, f"{status} {error}".strip(), clear_started=status < 500)

    def _retry(self, job_id: int, reason: str, *, clear_started: bool) -> None:
        with session_scope(self.engine, write=True) as s:
            row = s.get(SlackOutgoing, job_id)
            assert row is not None
            row.attempts += 1
            row.last_error = reason[:500]
            if clear_started:
                row.started_at = None
            row.lease_owner = None
            row.lease_until = utcnow() + timedelta(seconds=backoff(row.attempts, 1.0, self.config.max_backoff))
            s.add(row)

    def _release(self, job_id: int, *, delay: float, clear_started: bool) -> None:
        with session_scope(self.engine, write=True) as s:
            row = s.get(SlackOutgoing, job_id)
            assert row is not None
            if clear_started:
                row.started_at = None
            row.lease_owner, row.lease_until = None, utcnow() + timedelta(seconds=delay)
            s.add(row)

    def _cancel(self, job_id: int, why: str) -> None:
        with session_scope(self.engine, write=True) as s:
            row = s.get(SlackOutgoing, job_id)
            assert row is not None
            row.status, row.last_error, row.lease_owner, row.lease_until = "cancelled", why[:500], None, None
            row.started_at = None
            s.add(row)
            if row.comment_id is not None and row.kind == "review":
                _unpark(s, [row.comment_id])

    def _fail(self, job: SlackOutgoing, error: str) -> None:
        assert job.id is not None
        log.warning("sender: Slack refused job %s for good: %s", job.id, error)
        reason = f"Slack a refusé le message · Slack refused the message: {error}"
        with session_scope(self.engine, write=True) as s:
            row = s.get(SlackOutgoing, job.id)
            assert row is not None
            row.status, row.last_error, row.lease_owner, row.lease_until = "failed", error, None, None
            row.started_at = None
            s.add(row)
            waiting: list[int] = []
            if row.kind == "review" and row.comment_id is not None:
                waiting = [row.comment_id]
            elif row.kind == "storm" and row.group_id is not None:
                waiting = [
                    m.comment_id
                    for m in s.execute(select(SlackOutgoing).where(col(SlackOutgoing.group_id) == row.group_id))
                    .scalars()
                    .all()
                    if m.comment_id is not None and m.kind == "review"
                ]
                s.execute(
                    update(SlackOutgoing)
                    .where(col(SlackOutgoing.group_id) == row.group_id, col(SlackOutgoing.kind) == "review")
                    .values(status="failed", last_error=error)
                )
            for comment_id in waiting:
                comment = s.get(Comment, comment_id)
                if comment is not None and comment.state in (State.proposed, State.triaged):
                    with s.begin_nested():
                        transition_in(s, comment_id, State.failed, actor="slack-sender", reason=reason)
            _unpark(s, waiting)


class Cancelled(Exception):
    """The message has no reason to be sent any more (its comment moved on)."""


def finish_group(s: Session, group_id: int, channel: str, ts: str) -> None:
    """A storm summary is in Slack: each member comment is now in front of the team (posted)."""
    group = s.get(StormGroup, group_id)
    if group is None:
        return
    group.ts = ts
    s.add(group)
    members = (
        s.execute(
            select(SlackOutgoing).where(
                col(SlackOutgoing.group_id) == group_id,
                col(SlackOutgoing.kind) == "review",
                col(SlackOutgoing.status) == "grouped",
            )
        )
        .scalars()
        .all()
    )
    ids: list[int] = []
    for member in members:
        member.status, member.ts, member.sent_at = "sent", ts, utcnow()
        s.add(member)
        if member.comment_id is None:
            continue
        ids.append(member.comment_id)
        _record_post(s, member.brand, member.comment_id, "storm", channel, ts)
        _to_posted(s, member.comment_id, {"channel": channel, "ts": ts, "storm_group": group_id})
    _unpark(s, ids)


def _retry_after(headers: Any) -> float:
    try:
        value = (headers or {}).get("Retry-After") or (headers or {}).get("retry-after")
        return max(1.0, float(str(value)))
    except (TypeError, ValueError):
        return 1.0


def make_sender_client(token: str | None, base_url: str, timeout: float = 10.0) -> WebClient:
    """A client with no retry handlers: a blind retry of chat.postMessage could post twice; the
    sender retries itself, looking the message up first when an answer was lost."""
    client = WebClient(token=token, base_url=base_url, timeout=int(timeout))
    client.retry_handlers.clear()
    return client
