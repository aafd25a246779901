"""The dashboard's figures over a period (pure, from the digest's rows plus bad-buzz episodes).

Direct messages (#24, `Comment.private`) never appear in it: not in the volumes, topics, best replies
nor the list of negative comments; only their number, as `kpis.private_messages`, which the page shows
labelled "messages privés · private messages"."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, or_, select

from bot.db import session_scope
from bot.insights.buzz import is_negative, topics_of
from bot.insights.digest import DigestRows, load_rows, quantile
from bot.models import BuzzEpisode, Comment, TriageRecord

SENTIMENTS = ("pos", "neu", "neg", "untriaged")


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    step: timedelta  # one hour for a day or two, one day beyond


def period(end: datetime, days: int) -> Period:
    """The `days` before `end`, in whole steps (the first and the current one included whole)."""
    days = max(1, min(days, 90))
    if days <= 2:
        step = timedelta(hours=1)
        start = (end - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    else:
        step = timedelta(days=1)
        start = (end - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    steps = -(-(end - start) // step)  # ceil: the current step, whole
    if start + steps * step == end:
        steps += 1  # `end` itself belongs to a new step
    return Period(start=start, end=start + steps * step, step=step)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def overview(rows: DigestRows, episodes: list[BuzzEpisode], p: Period, targets: tuple[float, float]) -> dict[str, Any]:
    """JSON-ready: KPIs, volume by sentiment per step, reply delays per step, topics, alerts, best replies."""
    n_steps = int((p.end - p.start) / p.step)
    series = [{"t": (p.start + i * p.step).isoformat(), **dict.fromkeys(SENTIMENTS, 0)} for i in range(n_steps)]
    delays_by_step: dict[int, list[float]] = defaultdict(list)
    topics: Counter[str] = Counter()
    negative_topics: Counter[str] = Counter()
    platforms: Counter[str] = Counter()
    negatives = 0
    for c in rows.comments:
        if not p.start <= c.received_at < p.end:
            continue
        i = int((c.received_at - p.start) / p.step)
        sentiment = c.sentiment if c.sentiment in SENTIMENTS else "untriaged"
        series[i][sentiment] += 1  # type: ignore[operator]
        platforms[c.platform] += 1
        topics.update(set(c.topics))
        if is_negative({"sentiment": c.sentiment, "intent": c.intent}):
            negatives += 1
            negative_topics.update(set(c.topics))
    delays = []
    for r in rows.replies:
        if r.comment_id in rows.received and p.start <= r.published_at < p.end:
            minutes = (r.published_at - rows.received[r.comment_id]) / timedelta(minutes=1)
            delays.append(minutes)
            delays_by_step[int((r.published_at - p.start) / p.step)].append(minutes)
    first = [c.first_response_seconds / 60 for c in rows.cases if c.first_response_seconds is not None]
    resolution = [c.resolution_seconds / 60 for c in rows.cases if c.resolution_seconds is not None]
    received = sum(platforms.values())
    best = sorted((r for r in rows.replies if r.score > 0), key=lambda r: -r.score)[:5]
    return {
        "start": p.start.isoformat(),
        "end": p.end.isoformat(),
        "step": "hour" if p.step == timedelta(hours=1) else "day",
        "kpis": {
            "received": received,
            "negative_share": negatives / received if received else None,
            "replies": len(delays),
            "reply_median_minutes": _median(delays),
            "reply_p90_minutes": quantile(delays, 0.9),
            "first_response_median_minutes": _median(first),
            "first_response_target_minutes": targets[0],
            "resolution_median_minutes": _median(resolution),
            "resolution_target_minutes": targets[1],
            "open_cases": sum(1 for c in rows.cases if c.status in ("open", "claimed")),
            "breaches": sum(1 for c in rows.cases if c.first_response_breached_at or c.resolution_breached_at),
            "open_alerts": sum(1 for e in episodes if e.status == "open"),
            "private_messages": sum(1 for at in rows.private if p.start <= at < p.end),
        },
        "platforms": dict(platforms.most_common()),
        "volume": series,
        "reply_minutes": [
            {"t": series[i]["t"], "median": _median(delays_by_step.get(i, [])), "n": len(delays_by_step.get(i, []))}
            for i in range(n_steps)
        ],
        "topics": [{"topic": t, "n": n, "neg": negative_topics[t]} for t, n in topics.most_common(10)],
        "alerts": [
            {
                "topic": e.topic,
                "status": e.status,
                "opened_at": e.opened_at.isoformat(),
                "closed_at": e.closed_at.isoformat() if e.closed_at else None,
                "count": e.count,
                "peak": e.peak,
                "baseline": round(e.baseline, 2),
            }
            for e in sorted(episodes, key=lambda e: e.opened_at, reverse=True)
        ],
        "best": [
            {
                "text": r.text,
                "platform": r.platform,
                "url": r.url,
                "likes": r.likes,
                "replies": r.replies,
                "shares": r.shares,
                "score": r.score,
            }
            for r in best
        ],
    }


def load_episodes(engine: Engine, brand: str, start: datetime) -> list[BuzzEpisode]:
    with session_scope(engine) as s:
        return list(
            s.exec(
                select(BuzzEpisode).where(
                    col(BuzzEpisode.brand) == brand,
                    or_(col(BuzzEpisode.status) == "open", col(BuzzEpisode.opened_at) >= start),
                )
            ).all()
        )


def negative_comments(
    engine: Engine, brand: str, since: datetime, until: datetime, topic: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """The negative comments of a period, newest first (what a bad-buzz alert links to)."""

    with session_scope(engine) as s:
        rows = s.exec(
            select(Comment, TriageRecord)
            .join(TriageRecord, col(TriageRecord.comment_id) == col(Comment.id))
            .where(
                col(Comment.brand) == brand,
                col(Comment.received_at) >= since,
                col(Comment.received_at) < until,
                col(Comment.private).is_(False),  # a direct message is never listed
            )
            .order_by(col(Comment.received_at).desc())
        ).all()
    out = []
    for c, t in rows:
        if not is_negative(t.result):
            continue
        assert t.result is not None
        if topic and topic not in topics_of(t.result):
            continue
        out.append(
            {
                "id": c.id,
                "at": c.received_at.isoformat(),
                "author": c.author_name,
                "platform": c.platform,
                "text": c.text,
                "url": c.url,
                "intent": t.result.get("intent"),
                "topics": topics_of(t.result),
                "state": c.state,
            }
        )
        if len(out) >= limit:
            break
    return out


def build_overview(engine: Engine, brand: str, p: Period, targets: tuple[float, float]) -> dict[str, Any]:
    return overview(load_rows(engine, brand, p.start, p.end), load_episodes(engine, brand, p.start), p, targets)
