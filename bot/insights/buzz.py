"""Bad-buzz early warning: per brand and topic, negative comments against the topic's own recent baseline.

Method (documented in the README too):
- A comment is *negative* when its triage says sentiment `neg`, or intent `complaint` or `toxic`. It counts
  for each of its topics (a comment without a topic counts for `general`).
- Time is cut in buckets of `bucket` (default 60 min) *ending now*: the current bucket is (now − bucket, now],
  the history is the `history` buckets before it (default 168: a week of hours).
- The baseline is an exponentially weighted moving average and variance of the history counts, oldest
  first (alpha 0.05: about the last 40 buckets weigh most). σ is floored at √mean (Poisson noise of a count)
  and at 1, so a topic that is usually silent does not alert on its second complaint.
- An episode *opens* when the current count ≥ max(mean + k·σ, min_count) (k 3, min_count 5), at most one
  open episode per brand and topic (a unique key in the database). The baseline is frozen in the episode
  when it opens: the spike must not raise its own bar.
- It *closes* when the current count ≤ max(frozen mean + σ, min_count / 2): back within one σ of normal
  (the gap between the opening and closing bars keeps a borderline count from flapping).
- Direct messages (#24, `Comment.private`) are not counted nor shown: a bad buzz is what is said in
  public, and a private message is never an example in a channel (nor in the list the alert links to).
- One alert when it opens (a few example comments, a link to all of them), one "back to normal" when it
  closes; each queued for the Slack sender in the transaction that opens or closes the episode (under a
  key naming the episode), so it is queued once whichever process gets there first, and posted once.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.blocks.alerts import Example, back_to_normal_message, buzz_alert_message
from bot.db import session_scope
from bot.models import BuzzEpisode, Comment, TriageRecord
from bot.settings import Settings
from bot.slack.queue import enqueue_in

log = logging.getLogger(__name__)

NEGATIVE_INTENTS = ("complaint", "toxic")
NO_TOPIC = "general"
ALPHA = 0.05


@dataclass(frozen=True)
class BuzzParams:
    bucket: timedelta = timedelta(minutes=60)
    history: int = 168
    k: float = 3.0
    min_count: int = 5
    alpha: float = ALPHA

    @classmethod
    def from_settings(cls, settings: Settings) -> BuzzParams:
        return cls(
            bucket=timedelta(minutes=settings.buzz_bucket_minutes),
            history=settings.buzz_history_buckets,
            k=settings.buzz_k,
            min_count=settings.buzz_min_count,
        )


@dataclass(frozen=True)
class Baseline:
    mean: float
    sigma: float


def is_negative(result: dict[str, Any] | None) -> bool:
    if not isinstance(result, dict):
        return False
    return result.get("sentiment") == "neg" or result.get("intent") in NEGATIVE_INTENTS


def topics_of(result: dict[str, Any]) -> list[str]:
    topics = result.get("topics")
    found = [str(t) for t in topics if t] if isinstance(topics, list) else []
    return sorted(set(found)) or [NO_TOPIC]


def bucket_counts(times: Iterable[datetime], now: datetime, params: BuzzParams) -> tuple[int, list[int]]:
    """(count in the current bucket, history counts oldest first) for buckets ending at `now`."""
    history = [0] * params.history
    current = 0
    for at in times:
        age = now - at
        if age < timedelta(0):
            continue  # from the future (clock skew): not counted
        index = max(0, math.ceil(age / params.bucket) - 1)  # (now − bucket, now] is bucket 0
        if index == 0:
            current += 1
        elif index <= params.history:
            history[params.history - index] += 1
    return current, history


def baseline(history: Sequence[int], alpha: float = ALPHA) -> Baseline:
    """EWMA mean and variance (West's incremental form), σ floored at √mean and 1."""
    mean, var = (float(history[0]), 0.0) if history else (0.0, 0.0)
    for x in history[1:]:
        diff = x - mean
        incr = alpha * diff
        mean += incr
        var = (1 - alpha) * (var + diff * incr)
    return Baseline(mean=mean, sigma=max(math.sqrt(var), math.sqrt(mean), 1.0))


def opening_bar(base: Baseline, params: BuzzParams) -> float:
    return max(base.mean + params.k * base.sigma, float(params.min_count))


def closing_bar(mean: float, sigma: float, params: BuzzParams) -> float:
    return max(mean + sigma, params.min_count / 2)


@dataclass(frozen=True)
class Negative:
    id: int
    at: datetime
    topics: tuple[str, ...]
    text: str
    author: str
    platform: str


def load_negatives(engine: Engine, brand: str, since: datetime, until: datetime) -> list[Negative]:
    with session_scope(engine) as s:
        rows = s.exec(
            select(Comment, TriageRecord)
            .join(TriageRecord, col(TriageRecord.comment_id) == col(Comment.id))
            .where(
                col(Comment.brand) == brand,
                col(Comment.received_at) > since,
                col(Comment.received_at) <= until,
                col(Comment.private).is_(False),
            )
        ).all()
    out = []
    for comment, triage in rows:
        if comment.id is not None and is_negative(triage.result):
            assert triage.result is not None
            out.append(
                Negative(
                    id=comment.id,
                    at=comment.received_at,
                    topics=tuple(topics_of(triage.result)),
                    text=comment.text,
                    author=comment.author_name,
                    platform=comment.platform,
                )
            )
    return out


Link = Callable[[str, str, datetime], str]  # (brand, topic, since) -> where to see every comment
QUEUED = "queued"  # alert_ts / closed_ts once the message is in the sender's queue (key: buzz_key)
Message = tuple[str, list[dict[str, Any]]]


def buzz_key(episode_id: int, which: str) -> str:
    """The sender's key of an episode's alert ("alert") or back-to-normal message ("closed")."""
    return f"buzz:{episode_id}:{which}"


class BuzzWatch:
    """Runs the method above for each brand every round, opening and closing episodes in the database."""

    def __init__(self, engine: Engine, params: BuzzParams, link: Link) -> None:
        self.engine = engine
        self.params = params
        self.link = link

    def run(self, sched: Any, now: datetime) -> int:
        """One assessment of `sched.brand` at `now`; returns how many messages were queued."""
        p = self.params
        since = now - p.bucket * (p.history + 1)
        negatives = load_negatives(self.engine, sched.brand, since, now)
        by_topic: dict[str, list[Negative]] = defaultdict(list)
        for n in negatives:
            for topic in n.topics:
                by_topic[topic].append(n)
        with session_scope(self.engine) as s:
            open_eps = {
                e.topic: e
                for e in s.exec(
                    select(BuzzEpisode).where(col(BuzzEpisode.brand) == sched.brand, col(BuzzEpisode.status) == "open")
                ).all()
            }
        queued = 0
        for topic in sorted(set(by_topic) | set(open_eps)):
            items = by_topic.get(topic, [])
            current, history = bucket_counts((n.at for n in items), now, p)
            episode = open_eps.get(topic)
            if episode is None:
                base = baseline(history, p.alpha)
                if current >= opening_bar(base, p):
                    recent = sorted((n for n in items if now - n.at < p.bucket), key=lambda n: n.at, reverse=True)
                    queued += self._open(sched, topic, now, current, base, recent)
            else:
                if current > episode.peak:
                    self._peak(episode, current)
                if episode.alert_ts is None:  # opened while no channel was set
                    queued += self._alert(sched, episode)
                if current <= closing_bar(episode.baseline, episode.sigma, p):
                    queued += self._close(sched, episode, now, current)
        return queued

    # -- episode transitions (compare-and-set: another process may be doing the same) --------------

    def _open(
        self, sched: Any, topic: str, now: datetime, current: int, base: Baseline, recent: Sequence[Negative]
    ) -> int:
        episode = BuzzEpisode(
            brand=sched.brand,
            topic=topic,
            open_key=f"{sched.brand}/{topic}",
            opened_at=now,
            baseline=base.mean,
            sigma=base.sigma,
            threshold=opening_bar(base, self.params),
            count=current,
            peak=current,
            example_ids=[n.id for n in recent[:3]],
            channel=sched.channel,
            alert_ts=QUEUED if sched.channel else None,
        )
        message = self._alert_message(episode) if sched.channel else None
        try:
            with session_scope(self.engine, write=True) as s:
                s.add(episode)
                s.flush()
                if message is not None:
                    assert episode.id is not None
                    self._queue(s, episode.brand, buzz_key(episode.id, "alert"), sched.channel, message, "high")
        except IntegrityError:
            return 0  # another process opened it first
        return 1 if message is not None else 0

    def _peak(self, episode: BuzzEpisode, current: int) -> None:
        with session_scope(self.engine, write=True) as s:
            s.execute(
                update(BuzzEpisode)
                .where(col(BuzzEpisode.id) == episode.id, col(BuzzEpisode.peak) < current)
                .values(peak=current)
            )
        episode.peak = current

    def _alert(self, sched: Any, episode: BuzzEpisode) -> int:
        if not sched.channel:
            return 0
        assert episode.id is not None
        message = self._alert_message(episode)
        with session_scope(self.engine, write=True) as s:
            if not self._claim(s, episode, "alert_ts"):
                return 0
            self._queue(s, episode.brand, buzz_key(episode.id, "alert"), sched.channel, message, "high")
        episode.alert_ts = QUEUED
        return 1

    def _close(self, sched: Any, episode: BuzzEpisode, now: datetime, current: int) -> int:
        """Close the episode and queue its "back to normal" in one transaction."""
        assert episode.id is not None
        text, blocks = back_to_normal_message(
            brand=episode.brand,
            topic=episode.topic,
            opened_at=episode.opened_at,
            closed_at=now,
            peak=max(episode.peak, episode.count),
            current=current,
            window_minutes=int(self.params.bucket / timedelta(minutes=1)),
        )
        with session_scope(self.engine, write=True) as s:
            closed = s.execute(
                update(BuzzEpisode)
                .where(col(BuzzEpisode.id) == episode.id, col(BuzzEpisode.status) == "open")
                .values(status="closed", open_key=None, closed_at=now)
            )
            if not closed.rowcount or not sched.channel:  # type: ignore[attr-defined]
                return 0
            if not self._claim(s, episode, "closed_ts"):
                return 0
            self._queue(s, episode.brand, buzz_key(episode.id, "closed"), sched.channel, (text, blocks), "normal")
        episode.closed_ts = QUEUED
        return 1

    def _alert_message(self, episode: BuzzEpisode) -> Message:
        since = episode.opened_at - self.params.bucket
        return buzz_alert_message(
            brand=episode.brand,
            topic=episode.topic,
            count=episode.count,
            window_minutes=int(self.params.bucket / timedelta(minutes=1)),
            baseline=episode.baseline,
            examples=self._example_rows(episode.example_ids),
            link=self.link(episode.brand, episode.topic, since),
        )

    @staticmethod
    def _claim(s: Session, episode: BuzzEpisode, column: str) -> bool:
        field = getattr(BuzzEpisode, column)
        taken = s.execute(
            update(BuzzEpisode).where(col(BuzzEpisode.id) == episode.id, col(field).is_(None)).values({column: QUEUED})
        )
        return bool(taken.rowcount)  # type: ignore[attr-defined]

    @staticmethod
    def _queue(s: Session, brand: str, key: str, channel: str, message: Message, priority: str) -> None:
        text, blocks = message
        enqueue_in(
            s, brand=brand, channel=channel, kind="message", key=key, text=text, blocks=blocks, priority=priority
        )

    def _example_rows(self, ids: Sequence[int]) -> list[Example]:
        if not ids:
            return []
        with session_scope(self.engine) as s:
            found = {c.id: c for c in s.exec(select(Comment).where(col(Comment.id).in_(list(ids)))).all()}
        return [
            Example(text=found[i].text, author=found[i].author_name, platform=found[i].platform, url=found[i].url)
            for i in ids
            if i in found and not found[i].private  # never quote a direct message in a channel
        ]
