"""The insights loop: posts each brand's daily digest at its local time, runs the bad-buzz detector and
polls the engagement of our published replies. Time comes from an injectable clock (tests drive it).

Digests and alerts leave through the Slack sender (bot/slack/sender.py) like every other message: each
is queued under a key in the same transaction that records it (`DigestRun`, `BuzzEpisode`), so several
processes running this loop, or a restart, queue it once, and the sender paces it and posts it exactly
once (intent committed before `chat.postMessage`, read back after a crash or a lost answer)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from bot.blocks.digest import digest_message
from bot.brands import BrandConfig
from bot.db import session_scope
from bot.insights.digest import build_digest, local_day
from bot.models import DigestRun
from bot.runtime.loop import PollingLoop
from bot.settings import Settings
from bot.slack.queue import enqueue_in

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class BrandSchedule:
    brand: str
    channel: str | None
    timezone: str = "UTC"
    digest_time: str = "17:00"


def schedules(brands: Sequence[BrandConfig], settings: Settings) -> list[BrandSchedule]:
    """Each brand's channel, zone and digest time (the brand's own, else the settings')."""
    out = []
    for b in brands:
        out.append(
            BrandSchedule(
                brand=b.brand,
                channel=b.review_channel or settings.review_channel,
                timezone=b.timezone or settings.timezone or "UTC",
                digest_time=str(b.digest_time or settings.digest_time),
            )
        )
    return out


def digest_due(now: datetime, sched: BrandSchedule) -> bool:
    """True once the brand's local clock has passed its digest time today."""
    local = now.astimezone(ZoneInfo(sched.timezone))
    hour, minute = (int(p) for p in sched.digest_time.split(":"))
    return (local.hour, local.minute) >= (hour, minute)


def digest_key(brand: str, day: str) -> str:
    """The sender's key of one brand's digest of one day (its `SlackOutgoing` row)."""
    return f"digest:{brand}:{day}"


def digest_queued(engine: Engine, brand: str, day: str) -> bool:
    with session_scope(engine) as s:
        run = s.execute(
            select(DigestRun).where(col(DigestRun.brand) == brand, col(DigestRun.day) == day)
        ).scalar_one_or_none()
    return run is not None and run.status != "failed"


def queue_digest(
    engine: Engine, brand: str, day: str, channel: str, text: str, blocks: list[dict[str, Any]], now: datetime
) -> bool:
    """Record (brand, day) and queue its message in one transaction; False when another process (or an
    earlier round) did. A run left `failed` by an earlier release is taken over."""
    try:
        with session_scope(engine, write=True) as s:
            run = s.execute(
                select(DigestRun).where(col(DigestRun.brand) == brand, col(DigestRun.day) == day).with_for_update()
            ).scalar_one_or_none()
            if run is not None and run.status != "failed":
                return False
            run = run or DigestRun(brand=brand, day=day)
            run.status, run.channel, run.claimed_at = "queued", channel, now
            s.add(run)
            s.flush()
            enqueue_in(
                s, brand=brand, channel=channel, kind="message", key=digest_key(brand, day), text=text, blocks=blocks
            )
    except IntegrityError:
        return False  # another process queued it at the same moment
    return True


def send_digest(
    engine: Engine,
    settings: Settings,
    sched: BrandSchedule,
    now: datetime,
    dashboard_url: str | None = None,
) -> bool:
    """Queue today's digest of one brand for the sender if it is due and nobody queued it yet; True when
    queued by this call."""
    if not sched.channel or not digest_due(now, sched):
        return False
    day, _start, _end = local_day(now, sched.timezone)
    if digest_queued(engine, sched.brand, day):
        return False
    digest = build_digest(engine, settings, sched.brand, sched.timezone, now)
    text, blocks = digest_message(digest, dashboard_url)
    return queue_digest(engine, sched.brand, day, sched.channel, text, blocks, now)


def dashboard_link(settings: Settings, brand: str, **params: str) -> str:
    base = settings.public_url.rstrip("/")
    return f"{base}/dashboard?{urlencode({'brand': brand, **params})}"


class InsightsLoop(PollingLoop):
    """Digest, bad buzz and engagement, one round a `poll_seconds` (each part decides if it is due)."""

    name = "sowana-insights"

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        brands: Sequence[BrandSchedule],
        *,
        on_queued: Callable[[], None] | None = None,
        clock: Clock = utc_now,
        engagement: Any | None = None,
        buzz: Any | None = None,
        poll_seconds: float = 60.0,
    ) -> None:
        super().__init__(poll_seconds)
        self.engine = engine
        self.settings = settings
        self.brands = list(brands)
        self.on_queued = on_queued  # wakes the Slack sender when a message was queued
        self.clock = clock
        self.engagement = engagement
        self.buzz = buzz

    def on_start(self) -> None:
        # The first round waits one period: a process that starts and stops at once (a test, a deploy
        # check) posts nothing, and processes started together do not all query at the same instant.
        self._stop.wait(self.poll_seconds)

    def run_once(self) -> int:
        now = self.clock()
        done = 0
        for sched in self.brands:
            try:
                done += send_digest(self.engine, self.settings, sched, now, dashboard_link(self.settings, sched.brand))
            except Exception:
                log.exception("digest round failed for %s", sched.brand)
            if self.buzz is not None:
                try:
                    done += self.buzz.run(sched, now)
                except Exception:
                    log.exception("bad-buzz round failed for %s", sched.brand)
        if self.engagement is not None:
            try:
                self.engagement.run(now)
            except Exception:
                log.exception("engagement round failed")
        if done and self.on_queued is not None:
            self.on_queued()
        return 0  # never "busy": the next round waits poll_seconds
