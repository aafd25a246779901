"""Each channel's pace, shared by every process through the database (`SlackChannelRate`): about
one message a second with short bursts (GCRA), and a channel blocked for Slack's `Retry-After`.

The pace's times are the database's (`DatabaseClock`): a host whose clock runs ahead would otherwise
see every slot as free and post past the pace, one running behind would wait for nothing."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.db import session_scope
from bot.models import SlackChannelRate, SlackOutgoing

log = logging.getLogger(__name__)


class DatabaseClock:
    """Epoch seconds by the database's clock: this host's clock plus its offset to the database's,
    measured every `refresh` seconds (one query; a clock call costs nothing). SQLite lives on this
    host: its offset is 0. While the database is away the last offset is kept."""

    def __init__(self, engine: Engine, refresh: float = 10.0, host: Any = time.time) -> None:
        self.engine, self.refresh, self.host = engine, refresh, host
        self.offset = 0.0
        self._measured = float("-inf")
        self._lock = threading.Lock()

    def measure(self) -> float:
        """The database's clock minus this host's, in seconds (half the round trip is allowed for)."""
        if self.engine.dialect.name != "postgresql":
            return 0.0
        with self.engine.connect() as conn:
            before = self.host()
            db = float(conn.execute(text("SELECT extract(epoch from clock_timestamp())")).scalar_one())
            after = self.host()
        return db - (before + after) / 2

    def __call__(self) -> float:
        now = time.monotonic()
        if now - self._measured >= self.refresh:
            with self._lock:
                if now - self._measured >= self.refresh:
                    try:
                        self.offset = self.measure()
                    except Exception as exc:  # the database is away: keep the last offset
                        log.warning("database clock not measured: %s", type(exc).__name__)
                    self._measured = now
        return float(self.host()) + self.offset


class ChannelBusy(Exception):
    def __init__(self, wait: float) -> None:
        super().__init__(f"channel busy for {wait:.2f}s")
        self.wait = wait


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


def rate_row(s: Session, channel: str) -> SlackChannelRate:
    """The channel's pace row, locked for this transaction (made on its first message)."""
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


def retry_after(headers: Any) -> float:
    """Seconds Slack asked to wait (at least one; one when it did not say)."""
    try:
        value = (headers or {}).get("Retry-After") or (headers or {}).get("retry-after")
        return max(1.0, float(str(value)))
    except (TypeError, ValueError):
        return 1.0


def block_channel(engine: Engine, job_id: int, channel: str, until: float) -> None:
    """Slack answered 429: nobody posts to the channel before `until`, and the job waits its turn."""
    with session_scope(engine, write=True) as s:
        rate = rate_row(s, channel)
        rate.blocked_until = max(rate.blocked_until, until)
        rate.tat = max(rate.tat, until)
        s.add(rate)
        row = s.get(SlackOutgoing, job_id)
        assert row is not None
        # Refused: nothing was posted, no need to look before the next try.
        row.started_at, row.lease_owner, row.lease_until = None, None, None
        s.add(row)
