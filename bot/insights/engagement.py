"""Engagement learning: likes, replies and shares of our published replies, and the replies that
outperform the brand's usual entering its `viral` collection, so the next drafts learn from them.

Rule (also in the README): a reply's score is likes + 2·replies + 3·shares (see `engagement_score`). It
becomes viral when score ≥ max(viral_min_score, viral_factor × the median score of the brand's other
replies measured in the last 30 days) — three times its usual and at least 20 by default. A reply enters
`viral` once: after the team removes the entry (`DELETE /api/knowledge/reply-<publication id>` or
`sowana kb delete`), it is not added again.

Counts are polled for replies published in the last `window` (72 h by default, when engagement happens),
every `interval`; each row is claimed with a compare-and-set on `next_check_at`, so several processes
share the work without asking the platform twice.
"""

from __future__ import annotations

import logging
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.db import session_scope
from bot.insights.digest import engagement_score
from bot.models import Comment, Engagement, Publication, TriageRecord
from bot.settings import Settings

log = logging.getLogger(__name__)

HISTORY = timedelta(days=30)
BATCH = 100


@dataclass(frozen=True)
class Counts:
    likes: int = 0
    replies: int = 0
    shares: int = 0

    @property
    def score(self) -> float:
        return engagement_score(self.likes, self.replies, self.shares)


# (platform, platform ids) -> counts by id (ids the platform no longer knows are left out)
ReadCounts = Callable[[str, Sequence[str]], dict[str, Counts]]


class ViralSink(Protocol):
    def add_viral(
        self, brand: str, entry_id: str, question: str, answer: str, lang: str | None, meta: dict[str, Any]
    ) -> None: ...


class StoreSink:
    """Writes viral entries to the knowledge store (knowledge.store.KnowledgeStore)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def add_viral(
        self, brand: str, entry_id: str, question: str, answer: str, lang: str | None, meta: dict[str, Any]
    ) -> None:
        from knowledge.store import Entry  # deferred: knowledge.store loads numpy and the embedder (~2 s)

        self.store.upsert(
            brand, [Entry(id=entry_id, question=question, answer=answer, lang=lang, kind="viral", meta=meta)]
        )


@dataclass(frozen=True)
class ViralRule:
    factor: float = 3.0
    min_score: float = 20.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ViralRule:
        return cls(
            factor=float(settings.viral_factor),
            min_score=float(settings.viral_min_score),
        )

    def bar(self, usual_scores: Sequence[float]) -> float:
        usual = statistics.median(usual_scores) if usual_scores else 0.0
        return max(self.min_score, self.factor * usual)


def viral_entry_id(publication_id: int) -> str:
    return f"reply-{publication_id}"


class EngagementTracker:
    def __init__(
        self,
        engine: Engine,
        read: ReadCounts,
        sink: ViralSink | None,
        *,
        rule: ViralRule = ViralRule(),
        interval: timedelta = timedelta(minutes=15),
        window: timedelta = timedelta(hours=72),
    ) -> None:
        self.engine = engine
        self.read = read
        self.sink = sink
        self.rule = rule
        self.interval = interval
        self.window = window

    def run(self, now: datetime) -> int:
        """Track new replies, poll the due ones, promote the outstanding; returns rows polled."""
        self.track_new(now)
        due = self.claim_due(now)
        by_platform: dict[str, list[Engagement]] = defaultdict(list)
        for row in due:
            by_platform[row.platform].append(row)
        for platform, rows in by_platform.items():
            try:
                counts = self.read(platform, [r.platform_id for r in rows])
            except Exception:
                log.warning("engagement of %d %s replies could not be read; next round", len(rows), platform)
                continue
            for row in rows:
                if row.platform_id in counts:
                    self.record(row.publication_id, counts[row.platform_id], now)
        self.promote(now)
        return len(due)

    def track_new(self, now: datetime) -> int:
        """An Engagement row for each public reply published in the window and not yet tracked."""
        with session_scope(self.engine, write=True) as s:
            tracked = select(Engagement.publication_id)
            pubs = s.exec(
                select(Publication, Comment)
                .join(Comment, col(Comment.id) == col(Publication.comment_id))
                .where(
                    col(Publication.target) == "public_reply",
                    col(Publication.status) == "published",
                    col(Publication.platform_id).is_not(None),
                    col(Publication.published_at) >= now - self.window,
                    col(Publication.id).not_in(tracked),
                )
                .limit(BATCH)
            ).all()
            for pub, comment in pubs:
                assert pub.id is not None and pub.platform_id is not None
                s.add(
                    Engagement(
                        publication_id=pub.id,
                        brand=pub.brand,
                        platform=comment.platform,
                        platform_id=pub.platform_id,
                        next_check_at=now,
                    )
                )
        return len(pubs)

    def claim_due(self, now: datetime) -> list[Engagement]:
        with session_scope(self.engine) as s:
            candidates = s.exec(
                select(Engagement)
                .join(Publication, col(Publication.id) == col(Engagement.publication_id))
                .where(col(Engagement.next_check_at) <= now, col(Publication.published_at) >= now - self.window)
                .order_by(col(Engagement.next_check_at))
                .limit(BATCH)
            ).all()
        mine = []
        for row in candidates:
            with session_scope(self.engine, write=True) as s:
                taken = s.execute(
                    update(Engagement)
                    .where(col(Engagement.publication_id) == row.publication_id, col(Engagement.next_check_at) <= now)
                    .values(next_check_at=now + self.interval)
                )
            if taken.rowcount:  # type: ignore[attr-defined]
                mine.append(row)
        return mine

    def record(self, publication_id: int, counts: Counts, now: datetime) -> None:
        with session_scope(self.engine, write=True) as s:
            s.execute(
                update(Engagement)
                .where(col(Engagement.publication_id) == publication_id)
                .values(
                    likes=counts.likes, replies=counts.replies, shares=counts.shares, score=counts.score, checked_at=now
                )
            )

    def promote(self, now: datetime) -> int:
        """Replies above the brand's bar enter `viral` (once; see the module's rule)."""
        if self.sink is None:
            return 0
        with session_scope(self.engine) as s:
            rows = s.exec(
                select(Engagement).where(
                    col(Engagement.checked_at) >= now - HISTORY, col(Engagement.checked_at).is_not(None)
                )
            ).all()
        by_brand: dict[str, list[Engagement]] = defaultdict(list)
        for r in rows:
            by_brand[r.brand].append(r)
        added = 0
        for items in by_brand.values():
            for row in items:
                if row.viral_at is not None or row.score <= 0:
                    continue
                others = [o.score for o in items if o.publication_id != row.publication_id]
                if row.score >= self.rule.bar(others):
                    added += self._add(row, now)
        return added

    def _add(self, row: Engagement, now: datetime) -> int:
        assert self.sink is not None
        with session_scope(self.engine, write=True) as s:
            taken = s.execute(
                update(Engagement)
                .where(col(Engagement.publication_id) == row.publication_id, col(Engagement.viral_at).is_(None))
                .values(viral_at=now, viral_entry_id=viral_entry_id(row.publication_id))
            )
            if not taken.rowcount:  # type: ignore[attr-defined]
                return 0
            pub = s.get(Publication, row.publication_id)
            assert pub is not None
            comment = s.get(Comment, pub.comment_id)
            triage = s.exec(select(TriageRecord).where(col(TriageRecord.comment_id) == pub.comment_id)).first()
        lang = (triage.result or {}).get("lang") if triage else None
        meta: dict[str, Any] = {
            "platform": row.platform,
            "date": (pub.published_at or now).date().isoformat(),
            "url": pub.url or "",
            "likes": row.likes,
            "replies": row.replies,
            "shares": row.shares,
            "score": row.score,
            "source": "engagement",
            "publication_id": row.publication_id,
        }
        try:
            self.sink.add_viral(
                row.brand,
                viral_entry_id(row.publication_id),
                comment.text if comment else "",
                pub.text,
                lang if isinstance(lang, str) else None,
                meta,
            )
        except Exception:
            log.exception("viral entry for publication %s could not be written; next round", row.publication_id)
            with session_scope(self.engine, write=True) as s:
                s.execute(
                    update(Engagement)
                    .where(col(Engagement.publication_id) == row.publication_id)
                    .values(viral_at=None, viral_entry_id=None)
                )
            return 0
        return 1
