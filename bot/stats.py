"""Today's figures for `/sowana stats` (pure computation over rows read once)."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.db import session_scope
from bot.models import Comment, Publication


@dataclass
class DayStats:
    received: int = 0
    by_state: Counter[str] = field(default_factory=Counter)
    by_platform: Counter[str] = field(default_factory=Counter)
    published: int = 0
    response_minutes_median: float | None = None
    response_minutes_p90: float | None = None


def day_stats(engine: Engine, brand: str | None = None, now: datetime | None = None) -> DayStats:
    now = now or datetime.now(UTC)
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    with session_scope(engine) as s:
        query = select(Comment).where(col(Comment.received_at) >= start)
        if brand:
            query = query.where(col(Comment.brand) == brand)
        comments = s.exec(query).all()
        ids = [c.id for c in comments]
        pubs = (
            s.exec(
                select(Publication).where(
                    col(Publication.comment_id).in_(ids),
                    col(Publication.target) == "public_reply",
                    col(Publication.status) == "published",
                )
            ).all()
            if ids
            else []
        )
    stats = DayStats(received=len(comments))
    received_at = {c.id: c.received_at for c in comments}
    for c in comments:
        stats.by_state[c.state] += 1
        stats.by_platform[c.platform] += 1
    delays = [(p.published_at - received_at[p.comment_id]) / timedelta(minutes=1) for p in pubs if p.published_at]
    stats.published = len(delays)
    if delays:
        delays.sort()
        stats.response_minutes_median = statistics.median(delays)
        stats.response_minutes_p90 = delays[min(len(delays) - 1, int(0.9 * len(delays)))]
    return stats


def render_stats(stats: DayStats) -> str:
    if not stats.received:
        return "Aucun commentaire aujourd'hui · no comment today."
    states = ", ".join(f"{k} {v}" for k, v in stats.by_state.most_common())
    platforms = ", ".join(f"{k} {v}" for k, v in stats.by_platform.most_common())
    lines = [
        f"*Aujourd'hui · today* : {stats.received} commentaires · comments ({platforms})",
        f"États · states : {states}",
        f"Réponses publiées · replies published : {stats.published}",
    ]
    if stats.response_minutes_median is not None:
        lines.append(
            f"Délai de réponse · response time : médiane {stats.response_minutes_median:.1f} min, "
            f"p90 {stats.response_minutes_p90:.1f} min"
        )
    return "\n".join(lines)
