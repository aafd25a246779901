"""Bad-buzz early warning with a controlled clock: a normal day raises nothing, a spike of complaints
raises one alert (however often and by however many processes the detector runs), and the episode
closes with a "back to normal"."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import select

from bot.db import session_scope
from bot.insights.buzz import BuzzParams, BuzzWatch, baseline, bucket_counts, is_negative
from bot.insights.scheduler import BrandSchedule
from bot.models import BuzzEpisode
from tests.insights.rows import add_comment, queued_messages

START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a week of history before the day under test
DAY = START + timedelta(days=7)
SCHED = BrandSchedule("default", "C0REVIEW")


class Channel:
    """The review channel as the Slack sender will fill it: the messages queued for it, in order."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    @property
    def messages(self) -> list[tuple[str, list[dict[str, Any]]]]:
        return [(text, blocks) for text, blocks, channel in queued_messages(self.engine) if channel == SCHED.channel]


def watch(engine: Any) -> BuzzWatch:
    return BuzzWatch(engine, BuzzParams(), lambda b, t, since: f"http://sowana.local/dashboard?topic={t}")


def ordinary_traffic(engine: Any, start: datetime, hours: int, seed: int = 7) -> None:
    """A brand's usual life: 0–2 complaints an hour about delivery, daytime only, plus neutral questions."""
    rnd = random.Random(seed)
    for h in range(hours):
        hour = start + timedelta(hours=h)
        if not 8 <= hour.hour < 22:
            continue
        for _ in range(rnd.choice((0, 0, 1, 1, 2))):
            at = hour + timedelta(minutes=rnd.randrange(60))
            add_comment(engine, at, intent="complaint", sentiment="neg", topics=("livraison",), text="Encore en retard")
        add_comment(engine, hour + timedelta(minutes=rnd.randrange(60)), intent="question", topics=("livraison",))


def run_every(w: BuzzWatch, start: datetime, end: datetime, step: timedelta = timedelta(minutes=10)) -> None:
    now = start
    while now <= end:
        w.run(SCHED, now)
        now += step


def test_negative_means_neg_sentiment_or_complaint():
    assert is_negative({"intent": "complaint", "sentiment": "neu"})
    assert is_negative({"intent": "question", "sentiment": "neg"})
    assert not is_negative({"intent": "praise", "sentiment": "pos"})
    assert not is_negative(None)


def test_buckets_end_now_and_the_baseline_follows_the_history():
    now = DAY
    p = BuzzParams(history=3)
    times = [
        now,
        now - timedelta(minutes=59),
        now - timedelta(minutes=60),
        now - timedelta(minutes=61),
        now - timedelta(hours=5),
    ]
    current, history = bucket_counts(times, now, p)
    assert current == 3  # (now − 60 min, now]
    assert history == [0, 0, 1]  # oldest first; 5 h ago is beyond the history
    steady = baseline([4] * 50)
    assert abs(steady.mean - 4) < 1e-9 and steady.sigma == 2.0  # σ floored at √mean
    assert baseline([0] * 50).sigma == 1.0


def test_a_normal_day_raises_no_alert(engine):
    ordinary_traffic(engine, START, 8 * 24)
    channel = Channel(engine)
    run_every(watch(engine), DAY, DAY + timedelta(hours=23))
    assert channel.messages == []
    with session_scope(engine) as s:
        assert s.exec(select(BuzzEpisode)).all() == []


def test_a_spike_of_complaints_fires_one_alert_then_back_to_normal(engine):
    ordinary_traffic(engine, START, 7 * 24 + 10)
    spike = DAY + timedelta(hours=10)
    for i in range(12):
        add_comment(
            engine,
            spike + timedelta(minutes=2 * i),
            intent="complaint",
            sentiment="neg",
            topics=("livraison", "froid"),
            text=f"Mon panier est arrivé tout chaud, les légumes sont cuits #{i}",
            author=f"Client {i}",
        )
    channel = Channel(engine)
    watchers = [watch(engine), watch(engine)]  # two processes
    now = DAY + timedelta(hours=9)
    while now <= spike + timedelta(hours=3):
        for w in watchers:
            w.run(SCHED, now)
        now += timedelta(minutes=5)
    texts = [t for t, _ in channel.messages]
    alerts = [t for t in texts if t.startswith("Bad buzz possible")]
    normals = [t for t in texts if t.startswith("Retour à la normale")]
    # One episode per topic the spike is about: livraison (above its usual) and froid (usually silent).
    # It fires while the spike is still growing (an early warning), not once it is over.
    assert sorted(a.split(")")[0] for a in alerts) == [
        "Bad buzz possible (default, froid",
        "Bad buzz possible (default, livraison",
    ]
    assert len(normals) == 2
    first_alert = next(b for t, b in channel.messages if "livraison" in t and t.startswith("Bad buzz"))
    body = str(first_alert)
    assert "légumes sont cuits" in body and "Client" in body  # example comments
    assert "dashboard?topic=livraison" in body  # the link to all of them
    assert "negative comments about *livraison*" in body
    with session_scope(engine) as s:
        episodes = s.exec(select(BuzzEpisode).order_by(BuzzEpisode.topic)).all()
    assert [(e.topic, e.status, e.open_key) for e in episodes] == [
        ("froid", "closed", None),
        ("livraison", "closed", None),
    ]
    livraison = episodes[1]
    assert livraison.opened_at <= spike + timedelta(minutes=30)  # raised while the spike was still growing
    assert livraison.closed_at is not None and livraison.closed_at > spike + timedelta(minutes=22)
    assert livraison.peak >= livraison.count >= 5
    assert livraison.baseline < 2 and livraison.alert_ts and livraison.closed_ts
    # Later rounds post nothing more.
    before = len(channel.messages)
    run_every(watchers[0], spike + timedelta(hours=3), spike + timedelta(hours=5))
    assert len(channel.messages) == before
