"""Prometheus metrics, one registry per app (so several apps in one process don't collide)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import col

from bot.db import session_scope
from bot.models import Comment, State


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
        self.registry.register(CommentStates(engine))
