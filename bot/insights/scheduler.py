"""The insights loop: posts each brand's daily digest at its local time, runs the bad-buzz detector and
polls the engagement of our published replies. Time comes from an injectable clock (tests drive it).

Every outcome is recorded in the database before or as it is posted, so several processes running this
loop, or a restart, never post a digest or an alert twice."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import update
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

log = logging.getLogger(__name__)

Post = Callable[[str, str, list[dict[str, Any]]], str | None]  # (channel, text, blocks) -> message ts
Clock = Callable[[], datetime]
STALE_CLAIM = timedelta(minutes=10)  # a process that claimed a digest and died: another takes over


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


def claim_digest(engine: Engine, brand: str, day: str, now: datetime) -> bool:
    """Take the right to post (brand, day): a new row, or a failed / abandoned claim taken over."""
    try:
        with session_scope(engine, write=True) as s:
            s.add(DigestRun(brand=brand, day=day, status="sending", claimed_at=now))
        return True
    except IntegrityError:
        pass
    with session_scope(engine, write=True) as s:
        taken = s.execute(
            update(DigestRun)
            .where(
                col(DigestRun.brand) == brand,
                col(DigestRun.day) == day,
                (col(DigestRun.status) == "failed")
                | ((col(DigestRun.status) == "sending") & (col(DigestRun.claimed_at) < now - STALE_CLAIM)),
            )
            .values(status="sending", claimed_at=now)
        )
        return bool(taken.rowcount)  # type: ignore[attr-defined]


def finish_digest(
    engine: Engine, brand: str, day: str, *, channel: str, ts: str | None, ok: bool, now: datetime
) -> None:
    with session_scope(engine, write=True) as s:
        s.execute(
            update(DigestRun)
            .where(col(DigestRun.brand) == brand, col(DigestRun.day) == day)
            .values(status="sent" if ok else "failed", channel=channel, ts=ts, sent_at=now if ok else None)
        )


def send_digest(
    engine: Engine,
    settings: Settings,
    sched: BrandSchedule,
    now: datetime,
    post: Post,
    dashboard_url: str | None = None,
) -> bool:
    """Post today's digest of one brand if it is due and nobody posted it yet; True when posted."""
    if not sched.channel or not digest_due(now, sched):
        return False
    day, _start, _end = local_day(now, sched.timezone)
    if not claim_digest(engine, sched.brand, day, now):
        return False
    digest = build_digest(engine, settings, sched.brand, sched.timezone, now)
    text, blocks = digest_message(digest, dashboard_url)
    try:
        ts = post(sched.channel, text, blocks)
    except Exception:
        log.exception("digest of %s for %s could not be posted; retrying next round", sched.brand, day)
        finish_digest(engine, sched.brand, day, channel=sched.channel, ts=None, ok=False, now=now)
        return False
    finish_digest(engine, sched.brand, day, channel=sched.channel, ts=ts, ok=True, now=now)
    return True


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
        post: Post,
        *,
        clock: Clock = utc_now,
        engagement: Any | None = None,
        buzz: Any | None = None,
        poll_seconds: float = 60.0,
    ) -> None:
        super().__init__(poll_seconds)
        self.engine = engine
        self.settings = settings
        self.brands = list(brands)
        self.post = post
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
                done += send_digest(
                    self.engine, self.settings, sched, now, self.post, dashboard_link(self.settings, sched.brand)
                )
            except Exception:
                log.exception("digest round failed for %s", sched.brand)
            if self.buzz is not None:
                try:
                    self.buzz.run(sched, now)
                except Exception:
                    log.exception("bad-buzz round failed for %s", sched.brand)
        if self.engagement is not None:
            try:
                self.engagement.run(now)
            except Exception:
                log.exception("engagement round failed")
        return 0  # never "busy": the next round waits poll_seconds
