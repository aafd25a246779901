"""The daily digest's figures: read a brand's rows for one local day once, then pure arithmetic.

What counts where (all in the brand's local day [start, end)):
- volumes: comments *received* in the window, by platform, intent, sentiment and topic (from triage);
- reply time: public replies published in the window, minutes from the comment's arrival;
- customer-service clocks: cases *claimed* in the window (first response) and *resolved* in the window
  (resolution), in the business seconds the case keeper stored, against the SLA targets; breaches are
  the ones whose breach time falls in the window;
- decisions: approve / edit / hide recorded in the window and cases escalated in the window (by the
  team or by Sowana), each as a share of the comments handled in the window;
- open cases: open or claimed at the time of the digest;
- best replies: public replies published in the window with the highest engagement score.

Direct messages (#24, `Comment.private`) are personal data, never public: they are not comments in any
of the figures above nor among the examples; they are counted on their own (`private_messages`), which a
screen shows only labelled "messages privés · private messages".
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import col, or_, select

from bot.db import session_scope
from bot.models import Comment, Decision, Engagement, Escalation, Publication, TriageRecord
from bot.settings import Settings

DECIDED = ("approve", "edit", "hide")


def engagement_score(likes: int, replies: int, shares: int) -> float:
    """One number to rank replies: a reply or a share is worth more than a like (it spreads further)."""
    return likes + 2 * replies + 3 * shares


def local_day(now: datetime, tz: str, day: date | None = None) -> tuple[str, datetime, datetime]:
    """(YYYY-MM-DD, start, end) of the brand's local day containing `now` (or `day`), as aware datetimes."""
    zone = ZoneInfo(tz)
    d = day or now.astimezone(zone).date()
    start = datetime.combine(d, time(0, 0), zone)
    end = datetime.combine(d + timedelta(days=1), time(0, 0), zone)
    return d.isoformat(), start, end


@dataclass(frozen=True)
class Row:
    """What the digest needs of one comment."""

    id: int
    platform: str
    received_at: datetime
    text: str
    author: str
    intent: str | None = None
    sentiment: str | None = None
    topics: tuple[str, ...] = ()
    lang: str | None = None


@dataclass(frozen=True)
class Reply:
    publication_id: int
    comment_id: int
    platform: str
    text: str
    url: str | None
    published_at: datetime
    likes: int = 0
    replies: int = 0
    shares: int = 0

    @property
    def score(self) -> float:
        return engagement_score(self.likes, self.replies, self.shares)


@dataclass(frozen=True)
class Case:
    comment_id: int
    status: str
    created_at: datetime
    claimed_at: datetime | None
    resolved_at: datetime | None
    first_response_seconds: float | None
    resolution_seconds: float | None
    first_response_breached_at: datetime | None
    resolution_breached_at: datetime | None


@dataclass(frozen=True)
class Act:
    comment_id: int
    action: str
    at: datetime


@dataclass
class DigestRows:
    brand: str
    comments: list[Row] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)  # public replies published in the window
    received: dict[int, datetime] = field(default_factory=dict)  # arrival of the replied comments
    cases: list[Case] = field(default_factory=list)  # every case touched in the window, or still open
    acts: list[Act] = field(default_factory=list)  # approve/edit/hide decisions in the window
    private: list[datetime] = field(default_factory=list)  # arrival of each direct message (no text kept)


@dataclass(frozen=True)
class Clock:
    """One customer-service clock over the day: how many, how fast, how many within the target."""

    count: int = 0
    median_minutes: float | None = None
    p90_minutes: float | None = None
    within_target: int = 0
    target_minutes: float = 0.0
    breaches: int = 0  # targets missed during the day (including cases not yet claimed/resolved)

    @property
    def met_rate(self) -> float | None:
        return self.within_target / self.count if self.count else None


@dataclass
class Digest:
    brand: str
    day: str
    start: datetime
    end: datetime
    received: int = 0
    by_platform: Counter[str] = field(default_factory=Counter)
    by_intent: Counter[str] = field(default_factory=Counter)
    by_sentiment: Counter[str] = field(default_factory=Counter)
    top_topics: list[tuple[str, int]] = field(default_factory=list)
    replies_published: int = 0
    reply_median_minutes: float | None = None
    reply_p90_minutes: float | None = None
    first_response: Clock = field(default_factory=Clock)
    resolution: Clock = field(default_factory=Clock)
    decisions: Counter[str] = field(default_factory=Counter)  # approve, edit, hide, escalate
    handled: int = 0  # distinct comments with one of those decisions
    open_cases: int = 0
    open_breached: int = 0
    best: list[Reply] = field(default_factory=list)
    redacted: int = 0  # comments the retention pass redacted that day (#23)
    private_messages: int = 0  # direct messages received (#24): never in `received` nor the examples

    def rate(self, action: str) -> float | None:
        return self.decisions[action] / self.handled if self.handled else None


def quantile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank quantile (what a person checking by hand would compute)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 1))  # ceil(n q), at least 1
    return ordered[int(rank) - 1]


def _within(at: datetime | None, start: datetime, end: datetime) -> bool:
    return at is not None and start <= at < end


def _clock(seconds: Iterable[float], target_minutes: float, breaches: int) -> Clock:
    minutes = [s / 60 for s in seconds]
    if not minutes:
        return Clock(target_minutes=target_minutes, breaches=breaches)
    return Clock(
        count=len(minutes),
        median_minutes=statistics.median(minutes),
        p90_minutes=quantile(minutes, 0.9),
        within_target=sum(1 for m in minutes if m <= target_minutes),
        target_minutes=target_minutes,
        breaches=breaches,
    )


def compute_digest(
    rows: DigestRows,
    day: str,
    start: datetime,
    end: datetime,
    *,
    first_response_minutes: float,
    resolution_minutes: float,
    now: datetime | None = None,
    top: int = 5,
    best: int = 3,
) -> Digest:
    """Pure: the digest of `rows` for the window [start, end)."""
    d = Digest(brand=rows.brand, day=day, start=start, end=end)
    topics: Counter[str] = Counter()
    for c in rows.comments:
        if not _within(c.received_at, start, end):
            continue
        d.received += 1
        d.by_platform[c.platform] += 1
        d.by_intent[c.intent or "untriaged"] += 1
        d.by_sentiment[c.sentiment or "untriaged"] += 1
        topics.update(set(c.topics))
    d.top_topics = sorted(topics.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    d.private_messages = sum(1 for at in rows.private if _within(at, start, end))

    published = [r for r in rows.replies if _within(r.published_at, start, end)]
    delays = [
        (r.published_at - rows.received[r.comment_id]) / timedelta(minutes=1)
        for r in published
        if r.comment_id in rows.received
    ]
    d.replies_published = len(published)
    if delays:
        d.reply_median_minutes = statistics.median(delays)
        d.reply_p90_minutes = quantile(delays, 0.9)
    d.best = sorted((r for r in published if r.score > 0), key=lambda r: (-r.score, r.publication_id))[:best]

    d.first_response = _clock(
        (
            c.first_response_seconds
            for c in rows.cases
            if _within(c.claimed_at, start, end) and c.first_response_seconds is not None
        ),
        first_response_minutes,
        sum(1 for c in rows.cases if _within(c.first_response_breached_at, start, end)),
    )
    d.resolution = _clock(
        (
            c.resolution_seconds
            for c in rows.cases
            if _within(c.resolved_at, start, end) and c.resolution_seconds is not None
        ),
        resolution_minutes,
        sum(1 for c in rows.cases if _within(c.resolution_breached_at, start, end)),
    )

    handled: set[int] = set()
    for act in rows.acts:
        if act.action in DECIDED and _within(act.at, start, end):
            d.decisions[act.action] += 1
            handled.add(act.comment_id)
    for case in rows.cases:
        if _within(case.created_at, start, end):
            d.decisions["escalate"] += 1
            handled.add(case.comment_id)
    d.handled = len(handled)
    at = min(now, end) if now is not None else end
    still_open = [c for c in rows.cases if c.status in ("open", "claimed") and c.created_at < at]
    d.open_cases = len(still_open)
    d.open_breached = sum(1 for c in still_open if c.first_response_breached_at or c.resolution_breached_at)
    return d


def triage_fields(result: dict[str, Any] | None) -> dict[str, Any]:
    if not isinstance(result, dict):
        return {}
    topics = result.get("topics") or []
    return {
        "intent": result.get("intent"),
        "sentiment": result.get("sentiment"),
        "topics": tuple(str(t) for t in topics if t) if isinstance(topics, list) else (),
        "lang": result.get("lang"),
    }


def load_rows(engine: Engine, brand: str, start: datetime, end: datetime) -> DigestRows:
    """Every row the digest of [start, end) needs, read in one transaction."""
    rows = DigestRows(brand=brand)
    with session_scope(engine) as s:
        comments = s.exec(
            select(Comment, TriageRecord)
            .join(TriageRecord, col(TriageRecord.comment_id) == col(Comment.id), isouter=True)
            .where(col(Comment.brand) == brand, col(Comment.received_at) >= start, col(Comment.received_at) < end)
        ).all()
        for comment, triage in comments:
            assert comment.id is not None
            if comment.private:  # a direct message: counted, never shown
                rows.private.append(comment.received_at)
                continue
            rows.comments.append(
                Row(
                    id=comment.id,
                    platform=comment.platform,
                    received_at=comment.received_at,
                    text=comment.text,
                    author=comment.author_name,
                    **triage_fields(triage.result if triage else None),
                )
            )
        pubs = s.exec(
            select(Publication, Engagement, Comment)
            .join(Engagement, col(Engagement.publication_id) == col(Publication.id), isouter=True)
            .join(Comment, col(Comment.id) == col(Publication.comment_id))
            .where(
                col(Publication.brand) == brand,
                col(Publication.target) == "public_reply",
                col(Publication.status) == "published",
                col(Comment.private).is_(False),  # a reply in a private conversation is never an example
                col(Publication.published_at) >= start,
                col(Publication.published_at) < end,
            )
        ).all()
        for pub, eng, comment in pubs:
            assert pub.id is not None and pub.published_at is not None
            rows.received[pub.comment_id] = comment.received_at
            rows.replies.append(
                Reply(
                    publication_id=pub.id,
                    comment_id=pub.comment_id,
                    platform=comment.platform,
                    text=pub.text,
                    url=pub.url,
                    published_at=pub.published_at,
                    likes=eng.likes if eng else 0,
                    replies=eng.replies if eng else 0,
                    shares=eng.shares if eng else 0,
                )
            )
        cases = s.exec(
            select(Escalation).where(
                col(Escalation.brand) == brand,
                or_(
                    col(Escalation.status).in_(("open", "claimed")),
                    col(Escalation.created_at) >= start,
                    col(Escalation.claimed_at) >= start,
                    col(Escalation.resolved_at) >= start,
                    col(Escalation.first_response_breached_at) >= start,
                    col(Escalation.resolution_breached_at) >= start,
                ),
            )
        ).all()
        rows.cases = [
            Case(
                comment_id=e.comment_id,
                status=e.status,
                created_at=e.created_at,
                claimed_at=e.claimed_at,
                resolved_at=e.resolved_at,
                first_response_seconds=e.first_response_seconds,
                resolution_seconds=e.resolution_seconds,
                first_response_breached_at=e.first_response_breached_at,
                resolution_breached_at=e.resolution_breached_at,
            )
            for e in cases
        ]
        acts = s.exec(
            select(Decision).where(
                col(Decision.brand) == brand,
                col(Decision.action).in_(DECIDED),
                col(Decision.created_at) >= start,
                col(Decision.created_at) < end,
            )
        ).all()
        rows.acts = [Act(comment_id=a.comment_id, action=a.action, at=a.created_at) for a in acts]
    return rows


def sla_targets(settings: Settings) -> tuple[float, float]:
    """(first response, resolution) targets in minutes."""
    return float(settings.sla_first_response_minutes), float(settings.sla_resolution_minutes)


def build_digest(
    engine: Engine, settings: Settings, brand: str, tz: str, now: datetime, day: date | None = None
) -> Digest:
    """The digest of the brand's local day containing `now` (or `day`), figures up to `now`."""
    day_key, start, end = local_day(now, tz, day)
    first, resolution = sla_targets(settings)
    from bot.privacy.retention import redacted_count  # deferred: keeps insights importable on its own

    rows = load_rows(engine, brand, start, end)
    digest = compute_digest(
        rows, day_key, start, end, first_response_minutes=first, resolution_minutes=resolution, now=now
    )
    digest.redacted = redacted_count(engine, brand, start, end)
    return digest
