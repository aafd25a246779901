"""The daily digest: its numbers are the rows', it is posted once per brand and local day, at the
brand's time, and it reads in both languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import select

from bot.blocks.digest import digest_message
from bot.db import session_scope
from bot.insights.digest import build_digest, local_day
from bot.insights.scheduler import BrandSchedule, InsightsLoop
from bot.models import DigestRun, Engagement, SlackOutgoing
from bot.settings import load_settings
from tests.insights.rows import add_case, add_comment, add_decision, add_reply, queued_messages

DAY = datetime(2026, 3, 10, tzinfo=UTC)


def at(hour: int, minute: int = 0, day: datetime = DAY) -> datetime:
    return day.replace(hour=hour, minute=minute)


def seed_day(engine: Any) -> dict[str, int]:
    """A small day: 6 comments (2 the day before, 1 of another brand), replies, decisions, cases."""
    add_comment(engine, at(9) - timedelta(days=1), intent="complaint", sentiment="neg", topics=("livraison",))
    ids = {
        "q1": add_comment(engine, at(9), intent="question", topics=("livraison", "zones")),
        "q2": add_comment(engine, at(10), platform="instagram", intent="question", topics=("livraison",)),
        "c1": add_comment(engine, at(11), intent="complaint", sentiment="neg", topics=("retard",)),
        "c2": add_comment(engine, at(12), platform="x", intent="complaint", sentiment="neg", topics=("retard",)),
        "p1": add_comment(engine, at(13), intent="praise", sentiment="pos"),
        "s1": add_comment(engine, at(14), intent="spam", sentiment="neu"),
    }
    add_comment(engine, at(10), brand="other", intent="complaint", sentiment="neg", topics=("retard",))
    add_decision(engine, ids["q1"], "approve", at(9, 10))
    add_decision(engine, ids["q2"], "edit", at(10, 30))
    add_decision(engine, ids["p1"], "approve", at(13, 5))
    add_decision(engine, ids["s1"], "hide", at(14, 1))
    add_decision(engine, ids["q1"], "redraft", at(9, 5))  # not a decision the rates count
    r1 = add_reply(engine, ids["q1"], at(9, 12), text="Oui, on livre à Sherbrooke !")
    r2 = add_reply(engine, ids["q2"], at(10, 40), text="Bonne nouvelle : c'est réglé.")
    add_reply(engine, ids["p1"], at(13, 6), text="Merci beaucoup 🥕")
    with session_scope(engine, write=True) as s:
        s.add(Engagement(publication_id=r1, brand="default", platform="facebook", platform_id="a", likes=40, replies=3))
        s.add(Engagement(publication_id=r2, brand="default", platform="instagram", platform_id="b", likes=2))
    # c1: claimed in 30 business minutes, resolved in 5 h; c2: open, first response breached at 13:00.
    add_case(
        engine,
        ids["c1"],
        at(11),
        status="resolved",
        claimed_at=at(11, 30),
        resolved_at=at(16),
        first_response_seconds=1800,
        resolution_seconds=5 * 3600,
    )
    add_case(engine, ids["c2"], at(12), status="open", first_response_breached_at=at(13))
    return ids


def test_the_digest_numbers_are_the_rows_numbers(engine):
    seed_day(engine)
    settings = load_settings(sla_first_response_minutes=60, sla_resolution_minutes=480)
    d = build_digest(engine, settings, "default", "UTC", now=at(18))
    assert d.day == "2026-03-10"
    assert d.received == 6
    assert dict(d.by_platform) == {"facebook": 4, "instagram": 1, "x": 1}
    assert dict(d.by_intent) == {"question": 2, "complaint": 2, "praise": 1, "spam": 1}
    assert dict(d.by_sentiment) == {"neu": 3, "neg": 2, "pos": 1}
    assert d.top_topics == [("livraison", 2), ("retard", 2), ("zones", 1)]
    assert d.replies_published == 3
    assert d.reply_median_minutes == 12  # 12, 40 and 6 minutes after arrival
    assert d.reply_p90_minutes == 40
    # Handled: q1, q2, p1, s1 (decisions) + c1, c2 (escalated) = 6 comments.
    assert d.handled == 6
    assert dict(d.decisions) == {"approve": 2, "edit": 1, "hide": 1, "escalate": 2}
    assert d.rate("approve") == 2 / 6 and d.rate("escalate") == 2 / 6
    assert (d.first_response.count, d.first_response.median_minutes, d.first_response.within_target) == (1, 30, 1)
    assert d.first_response.breaches == 1
    assert (d.resolution.count, d.resolution.median_minutes, d.resolution.within_target) == (1, 300, 1)
    assert (d.open_cases, d.open_breached) == (1, 1)
    assert [r.text for r in d.best] == ["Oui, on livre à Sherbrooke !", "Bonne nouvelle : c'est réglé."]
    assert d.best[0].score == 46  # 40 likes + 2 × 3 replies


def test_the_local_day_follows_the_brand_time_zone():
    # 03:00 UTC on the 11th is still the 10th in Montréal.
    day, start, end = local_day(datetime(2026, 3, 11, 3, tzinfo=UTC), "America/Montreal")
    assert day == "2026-03-10"
    assert start.astimezone(UTC) == datetime(2026, 3, 10, 4, tzinfo=UTC)  # EDT began on March 8
    assert end - start == timedelta(days=1)


def test_the_digest_message_is_bilingual_and_shows_the_figures(engine):
    seed_day(engine)
    d = build_digest(engine, load_settings(), "default", "UTC", now=at(18))
    text, blocks = digest_message(d, "http://sowana.local/dashboard?brand=default")
    body = str(blocks)
    assert "Bilan du jour · Daily digest" in text
    for expected in (
        "*6* commentaires reçus · comments received",
        "plaintes · complaints *2*",
        "`livraison` 2",
        "approuvées · approved 33 %",
        "Première réponse · first response",
        "1 dépassement(s) · breach(es)",
        "Meilleures réponses du jour · best replies of the day",
        "Oui, on livre à Sherbrooke",
        "tableau de bord · dashboard",
    ):
        assert expected in body, expected
    assert len(blocks) <= 50


def test_the_digest_is_queued_once_per_brand_and_day_at_the_brands_time(engine):
    seed_day(engine)
    now = [at(16, 59)]
    woken: list[int] = []
    brands = [BrandSchedule("default", "C0REVIEW", "UTC", "17:00")]
    # Two processes running the loop on the same database; the Slack sender posts what they queue.
    loops = [
        InsightsLoop(engine, load_settings(), brands, on_queued=lambda: woken.append(1), clock=lambda: now[0])
        for _ in range(2)
    ]
    for loop in loops:
        loop.run_once()
    assert queued_messages(engine) == [] and woken == []  # not yet 17:00
    now[0] = at(17, 0)
    for loop in loops:
        loop.run_once()
        loop.run_once()
    posted = queued_messages(engine)
    assert [c for _t, _b, c in posted] == ["C0REVIEW"] and woken == [1]
    assert "2026-03-10" in posted[0][0]
    with session_scope(engine) as s:
        run = s.exec(select(DigestRun)).one()
        assert (run.status, run.day) == ("queued", "2026-03-10")
        job = s.exec(select(SlackOutgoing)).one()
        assert (job.key, job.status) == ("digest:default:2026-03-10", "pending")
    now[0] = at(17, 0, DAY + timedelta(days=1))
    loops[1].run_once()
    posted = queued_messages(engine)
    assert len(posted) == 2 and "2026-03-11" in posted[1][0]


def test_a_digest_whose_release_failed_is_queued_again(engine):
    """A run left `failed` (by a release that posted directly) is taken over: its digest goes out."""
    with session_scope(engine, write=True) as s:
        s.add(DigestRun(brand="default", day="2026-03-10", status="failed"))
    loop = InsightsLoop(engine, load_settings(), [BrandSchedule("default", "C0REVIEW")], clock=lambda: at(18))
    loop.run_once()
    loop.run_once()
    assert len(queued_messages(engine)) == 1
    with session_scope(engine) as s:
        assert s.exec(select(DigestRun)).one().status == "queued"
