"""Today's figures for `/sowana stats` (pure computation over rows read once)."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.db import session_scope
from bot.models import Comment, Escalation, Publication
from bot.sla import human_duration


@dataclass
class DayStats:
    received: int = 0
    by_state: Counter[str] = field(default_factory=Counter)
    by_platform: Counter[str] = field(default_factory=Counter)
    published: int = 0
    response_minutes_median: float | None = None
    response_minutes_p90: float | None = None
    # Customer-service cases: open now (any day), escalated today, and today's clocks.
    cases_open: int = 0
    cases_today: int = 0
    first_response_median_s: float | None = None
    resolution_median_s: float | None = None
    breaches: int = 0


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
        cases = s.exec(select(Escalation).where(*([col(Escalation.brand) == brand] if brand else []))).all()
    stats = DayStats(received=len(comments))
    today = [e for e in cases if e.created_at >= start]
    stats.cases_open = sum(e.status in ("open", "claimed") for e in cases)
    stats.cases_today = len(today)
    stats.breaches = sum(
        bool(e.first_response_breached_at and e.first_response_breached_at >= start)
        + bool(e.resolution_breached_at and e.resolution_breached_at >= start)
        for e in cases
    )
    firsts = [e.first_response_seconds for e in today if e.first_response_seconds is not None]
    resolutions = [e.resolution_seconds for e in today if e.resolution_seconds is not None]
    stats.first_response_median_s = statistics.median(firsts) if firsts else None
    stats.resolution_median_s = statistics.median(resolutions) if resolutions else None
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
    if not stats.received and not stats.cases_open:
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
    if stats.cases_open or stats.cases_today:
        line = (
            f"SAC · customer service : {stats.cases_open} cas ouverts · open cases, "
            f"{stats.cases_today} aujourd'hui · today"
        )
        if stats.first_response_median_s is not None:
            line += f", 1re réponse médiane · median first response {human_duration(stats.first_response_median_s)}"
        if stats.resolution_median_s is not None:
            line += f", résolution médiane · median resolution {human_duration(stats.resolution_median_s)}"
        lines.append(line + (f", :rotating_light: {stats.breaches} SLA dépassés · breached" if stats.breaches else ""))
    return "\n".join(lines)
