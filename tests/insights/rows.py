"""Rows with controlled timestamps: what a day of comments leaves in the database."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.db import session_scope
from bot.models import Comment, Decision, Escalation, Publication, SlackOutgoing, State, TriageRecord

_ids = itertools.count(1)


def add_comment(
    engine: Engine,
    at: datetime,
    *,
    brand: str = "default",
    platform: str = "facebook",
    text: str = "Bonjour",
    author: str = "Julie Tremblay",
    intent: str | None = "question",
    sentiment: str = "neu",
    topics: tuple[str, ...] = (),
    state: str = State.posted,
    lang: str = "fr",
    private: bool = False,
) -> int:
    with session_scope(engine, write=True) as s:
        comment = Comment(
            brand=brand,
            platform=platform,
            external_id=f"ext-{next(_ids)}-{at.timestamp()}",
            author_id="a1",
            author_name=author,
            text=text,
            created_at=at,
            received_at=at,
            updated_at=at,
            state=state,
            url=None if private else f"https://www.facebook.com/{next(_ids)}",
            private=private,  # a direct message (#24)
        )
        s.add(comment)
        s.flush()
        assert comment.id is not None
        if intent is not None:
            result: dict[str, Any] = {
                "lang": lang,
                "intent": intent,
                "sentiment": sentiment,
                "topics": list(topics),
                "needs_sac": False,
                "humor_ok": False,
                "confidence": 0.9,
            }
            s.add(TriageRecord(brand=brand, comment_id=comment.id, status="triaged", result=result, created_at=at))
        return comment.id


def add_decision(engine: Engine, comment_id: int, action: str, at: datetime, brand: str = "default") -> None:
    with session_scope(engine, write=True) as s:
        s.add(Decision(brand=brand, comment_id=comment_id, actor="U0CM", action=action, created_at=at))


def add_reply(
    engine: Engine, comment_id: int, at: datetime, text: str = "Merci !", brand: str = "default", platform_id: str = ""
) -> int:
    with session_scope(engine, write=True) as s:
        pub = Publication(
            brand=brand,
            comment_id=comment_id,
            text=text,
            status="published",
            platform_id=platform_id or f"r{comment_id}",
            url=f"https://www.facebook.com/reply/{comment_id}",
            published_at=at,
            created_at=at,
        )
        s.add(pub)
        s.flush()
        assert pub.id is not None
        return pub.id


def add_case(engine: Engine, comment_id: int, created: datetime, brand: str = "default", **fields: Any) -> None:
    with session_scope(engine, write=True) as s:
        s.add(Escalation(brand=brand, comment_id=comment_id, requested_by="U0CM", created_at=created, **fields))


QUESTIONS = [
    ("Livrez-vous à Sherbrooke ?", ("livraison", "zones")),
    ("C'est combien le panier familial ?", ("prix",)),
    ("Do you deliver to Gatineau?", ("livraison", "zones")),
    ("Comment suspendre mon abonnement pendant les vacances ?", ("abonnement",)),
    ("Les carottes sont bio ?", ("qualité",)),
]
COMPLAINTS = [
    ("Mon panier est encore arrivé en retard, c'est la troisième fois", ("livraison", "retard")),
    ("Les fraises étaient moisies cette semaine 😡", ("qualité",)),
    ("On m'a facturé deux fois ce mois-ci", ("facturation",)),
    ("Livreur jamais venu, personne ne répond au téléphone", ("livraison", "retard")),
]
PRAISE = [("Meilleur panier de la saison, merci l'équipe ! 🥕", ("qualité",)), ("Love the new recipes!", ())]
AUTHORS = ["Julie Tremblay", "Marc Gagnon", "Sophie Roy", "Bernard H.", "Amélie Côté", "Kevin Morin", "Nadia Lefebvre"]


def replay_day(engine: Engine, end: datetime, seed: int = 12, spike_minutes_ago: int = 180) -> dict[str, Any]:
    """A day of a brand's life in the 24 h before `end`: daytime traffic on three platforms, replies,
    customer-service cases, engagement, and a late-afternoon spike of delivery complaints."""
    import random
    from datetime import timedelta

    from bot.models import Engagement

    rnd = random.Random(seed)
    start = end - timedelta(hours=24)
    counts: dict[str, Any] = {"received": 0, "neg": 0, "replies": 0}
    spike_at = end - timedelta(minutes=spike_minutes_ago)
    for h in range(24):
        hour = start + timedelta(hours=h)
        busy = 8 <= hour.hour < 22
        for _ in range(rnd.randint(3, 7) if busy else rnd.randint(0, 1)):
            at = hour + timedelta(minutes=rnd.randrange(60))
            if at >= end:
                continue
            kind = rnd.choices(["q", "c", "p"], weights=[6, 2, 2])[0]
            text, topics = rnd.choice({"q": QUESTIONS, "c": COMPLAINTS, "p": PRAISE}[kind])
            intent, sentiment = {"q": ("question", "neu"), "c": ("complaint", "neg"), "p": ("praise", "pos")}[kind]
            cid = add_comment(
                engine,
                at,
                platform=rnd.choice(["facebook", "facebook", "instagram", "x"]),
                text=text,
                author=rnd.choice(AUTHORS),
                intent=intent,
                sentiment=sentiment,
                topics=topics,
            )
            counts["received"] += 1
            counts["neg"] += sentiment == "neg"
            published = at + timedelta(minutes=rnd.randint(4, 80))
            if kind != "c" and published < end:
                pub = add_reply(engine, cid, published, text=f"Merci {text[:20]}…")
                counts["replies"] += 1
                if rnd.random() < 0.3:
                    with session_scope(engine, write=True) as s:
                        likes, replies = rnd.randint(1, 60), rnd.randint(0, 6)
                        s.add(
                            Engagement(
                                publication_id=pub,
                                brand="default",
                                platform="facebook",
                                platform_id=f"r{pub}",
                                likes=likes,
                                replies=replies,
                                score=likes + 2 * replies,
                            )
                        )
            elif kind == "c" and rnd.random() < 0.5:
                claimed = rnd.randint(10, 90)
                add_case(
                    engine,
                    cid,
                    at,
                    status="resolved" if claimed < 60 else "claimed",
                    claimed_at=at + timedelta(minutes=claimed),
                    first_response_seconds=claimed * 60.0,
                    resolved_at=at + timedelta(hours=3) if claimed < 60 else None,
                    resolution_seconds=3 * 3600.0 if claimed < 60 else None,
                    first_response_breached_at=at + timedelta(minutes=60) if claimed >= 60 else None,
                )
    for i in range(14):  # the spike: delivery complaints within 26 minutes
        if spike_at + timedelta(minutes=2 * i) >= end:
            break
        add_comment(
            engine,
            spike_at + timedelta(minutes=2 * i),
            platform="facebook" if i % 3 else "instagram",
            text=rnd.choice(
                [
                    "Toujours pas de livraison aujourd'hui, c'est quoi le problème ?",
                    "Livraison annulée sans prévenir, inacceptable",
                    "Where is my box? Nobody answers",
                    "3e retard cette semaine, je vais annuler",
                ]
            ),
            author=AUTHORS[i % len(AUTHORS)],
            intent="complaint",
            sentiment="neg",
            topics=("livraison", "retard"),
        )
        counts["received"] += 1
        counts["neg"] += 1
    return counts


def queued_messages(engine: Any) -> list[tuple[str, list[dict[str, Any]], str]]:
    """What the insights gave the Slack sender to post, in order: (text, blocks, channel)."""
    with session_scope(engine) as s:
        rows = s.exec(select(SlackOutgoing).order_by(col(SlackOutgoing.id))).all()
    return [(r.text or "", r.blocks or [], r.channel) for r in rows]
