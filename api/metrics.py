"""Prometheus metrics, one registry per app (so several apps in one process don't collide).

Counts that describe the work (comments by state, triage classes, the Slack send queue, publication
errors, SLA breaches, open bad-buzz episodes) are read from the database at scrape time: it is the
source of truth, shared by every process, so any one of them reports the same figures."""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from bot.db import session_scope
from bot.models import AuditLog, BuzzEpisode, Comment, Escalation, Publication, State, TriageRecord

# Triage classes are counted over this recent window (the JSON is read row by row: keep it bounded).
TRIAGE_WINDOW = timedelta(hours=24)
# Distinct `kind` labels of sowana_webhook_unhandled_total before the rest are counted as `other`: kinds
# come from signed deliveries only, but a label set must stay bounded whatever the platforms send.
MAX_UNHANDLED_KINDS = 100


class CommentStates(Collector):
    """`sowana_comments{state=…}` read from the database at scrape time (the source of truth)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily("sowana_comments", "Comments by lifecycle state", labels=["state"])
        counts = dict.fromkeys((s.value for s in State), 0)
        try:
            with session_scope(self.engine) as session:
                rows = session.execute(select(col(Comment.state), func.count()).group_by(col(Comment.state))).all()
            counts.update({state: n for state, n in rows})
        except Exception:  # a scrape must not fail because the database blinked
            return
        for state, n in counts.items():
            gauge.add_metric([state], n)
        yield gauge


def _grouped(session: Session, *columns: Any, where: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    query = select(*columns, func.count()).group_by(*columns)
    for clause in where:
        query = query.where(clause)
    return [tuple(row) for row in session.execute(query).all()]


class WorkGauges(Collector):
    """Triage classes, Slack send queue, publications and their errors, SLA breaches, bad-buzz episodes."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.engine = engine
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        since = self.clock() - TRIAGE_WINDOW
        try:
            with session_scope(self.engine) as s:
                results = s.execute(
                    select(col(TriageRecord.result)).where(
                        col(TriageRecord.created_at) >= since, col(TriageRecord.status) == "triaged"
                    )
                ).all()
                queue = _grouped(s, col(Comment.brand), where=[col(Comment.state) == State.proposed])
                pubs = _grouped(s, col(Publication.target), col(Publication.status))
                retrying = s.execute(
                    select(func.count()).where(
                        col(Publication.status) == "pending", col(Publication.last_error).is_not(None)
                    )
                ).scalar_one()
                first = s.execute(
                    select(func.count()).where(col(Escalation.first_response_breached_at).is_not(None))
                ).scalar_one()
                resolution = s.execute(
                    select(func.count()).where(col(Escalation.resolution_breached_at).is_not(None))
                ).scalar_one()
                cases = _grouped(s, col(Escalation.status))
                buzz = _grouped(s, col(BuzzEpisode.brand), where=[col(BuzzEpisode.status) == "open"])
        except Exception:  # a scrape must not fail because the database blinked
            return
        classes: Tally[tuple[str, str]] = Tally()
        for (result,) in results:
            if isinstance(result, dict):
                classes[(str(result.get("intent", "other")), str(result.get("sentiment", "neu")))] += 1
        gauge = GaugeMetricFamily(
            "sowana_triage_classes",
            "Comments triaged in the last 24 h, by intent and sentiment",
            labels=["intent", "sentiment"],
        )
        for (intent, sentiment), n in sorted(classes.items()):
            gauge.add_metric([intent, sentiment], n)
        yield gauge
        gauge = GaugeMetricFamily(
            "sowana_slack_queue", "Comments drafted and waiting to be posted to Slack", labels=["brand"]
        )
        for brand, n in queue:
            gauge.add_metric([brand], n)
        yield gauge
        gauge = GaugeMetricFamily(
            "sowana_publications", "Publication jobs by target and status", labels=["target", "status"]
        )
        for target, status, n in pubs:
            gauge.add_metric([target, status], n)
        yield gauge
        gauge = GaugeMetricFamily(
            "sowana_publication_errors",
            "Publications that failed for good, or are retrying after an error",
            labels=["kind"],
        )
        gauge.add_metric(["failed"], sum(n for _t, status, n in pubs if status == "failed"))
        gauge.add_metric(["retrying"], retrying)
        yield gauge
        gauge = GaugeMetricFamily(
            "sowana_sla_breaches", "Customer-service cases that missed a target", labels=["clock"]
        )
        gauge.add_metric(["first_response"], first)
        gauge.add_metric(["resolution"], resolution)
        yield gauge
        gauge = GaugeMetricFamily("sowana_sac_cases", "Customer-service cases by status", labels=["status"])
        for status, n in cases:
            gauge.add_metric([status], n)
        yield gauge
        gauge = GaugeMetricFamily("sowana_buzz_open", "Bad-buzz episodes under way", labels=["brand"])
        for brand, n in buzz:
            gauge.add_metric([brand], n)
        yield gauge


F = TypeVar("F", bound=Callable[..., Any])


class PrivacyCounts(Collector):
    """`sowana_privacy_redacted_comments_total{reason=erase|retention}`: comments emptied by erasure
    requests and by the retention pass, summed from the audit log (shared by every process)."""

    ACTIONS = {"privacy_erase": "erase", "privacy_retention": "retention"}

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[CounterMetricFamily]:
        counts = dict.fromkeys(self.ACTIONS.values(), 0)
        try:
            with session_scope(self.engine) as session:
                rows = session.execute(
                    select(col(AuditLog.action), col(AuditLog.detail)).where(col(AuditLog.action).in_(self.ACTIONS))
                ).all()
        except Exception:  # a scrape must not fail because the database blinked
            return
        for action, detail in rows:
            counts[self.ACTIONS[action]] += int(((detail or {}).get("counts") or {}).get("comments", 0))
        counter = CounterMetricFamily(
            "sowana_privacy_redacted_comments", "Comments erased on request or past retention", labels=["reason"]
        )
        for reason, n in counts.items():
            counter.add_metric([reason], n)
        yield counter


class Metrics:
    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self.ingested = Counter(
            "sowana_comments_ingested",
            "Comments received, by platform and outcome",
            ["platform", "outcome"],
            registry=self.registry,
        )
        self.ingest_latency = Histogram(
            "sowana_ingest_seconds", "Time to store an incoming comment", registry=self.registry
        )
        self.drafting = Histogram(
            "sowana_drafting_seconds",
            "Time to draft a comment's proposals (retrieval included)",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 60),
            registry=self.registry,
        )
        self.body_refused = Counter(
            "sowana_request_body_refused",
            "Requests refused with 413 because their body passed the route's limit (api/limits.py), by route",
            ["route"],
            registry=self.registry,
        )
        self.unhandled = Counter(
            "sowana_webhook_unhandled",
            "Signed webhook events of a kind Sowana does not handle (answered 200, not stored), by platform and kind",
            ["platform", "kind"],
            registry=self.registry,
        )
        self._kinds: set[tuple[str, str]] = set()
        self.registry.register(CommentStates(engine))
        self.registry.register(WorkGauges(engine))
        self.registry.register(PrivacyCounts(engine))

    def count_refused(self, route: str) -> None:
        self.body_refused.labels(route).inc()

    def count_unhandled(self, platform: str, kinds: Mapping[str, int]) -> None:
        for kind, n in kinds.items():
            if (platform, kind) not in self._kinds:
                if len(self._kinds) >= MAX_UNHANDLED_KINDS:
                    kind = "other"
                else:
                    self._kinds.add((platform, kind))
            self.unhandled.labels(platform, kind).inc(n)

    def timed_drafter(self, drafter: F) -> F:
        """The drafter, observed by `sowana_drafting_seconds` (failures too: they cost the same wait)."""

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return drafter(*args, **kwargs)
            finally:
                self.drafting.observe(time.perf_counter() - start)

        return timed  # type: ignore[return-value]
