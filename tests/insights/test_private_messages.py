"""Direct messages (#24) are never public: the bad-buzz alert never quotes one (nor counts one: a bad
buzz is what is said in public), and the daily digest counts them apart, labelled in both languages,
never among the comments."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.blocks.digest import digest_message
from bot.insights.digest import build_digest
from bot.settings import load_settings
from tests.insights.rows import add_comment, add_reply
from tests.insights.test_buzz import DAY, START, Channel, ordinary_traffic, run_every, watch
from tests.insights.test_digest import at

SECRET = "Mon adresse : 12 rue des Érables, code porte 4471"


def _spike(engine: Any, start: datetime, n: int, *, private: bool, text: str) -> None:
    for i in range(n):
        add_comment(
            engine,
            start + timedelta(minutes=2 * i),
            intent="complaint",
            sentiment="neg",
            topics=("livraison",),
            text=f"{text} #{i}",
            author=f"{'Cliente en privé' if private else 'Client'} {i}",
            private=private,
        )


def test_a_flood_of_angry_direct_messages_raises_no_bad_buzz_alert(engine: Any) -> None:
    ordinary_traffic(engine, START, 7 * 24 + 10)
    _spike(engine, DAY + timedelta(hours=10), 14, private=True, text=SECRET)
    channel = Channel(engine)
    run_every(watch(engine), DAY + timedelta(hours=9), DAY + timedelta(hours=13), timedelta(minutes=5))
    assert channel.messages == []


def test_the_bad_buzz_alert_quotes_public_complaints_never_a_direct_message(engine: Any) -> None:
    ordinary_traffic(engine, START, 7 * 24 + 10)
    spike = DAY + timedelta(hours=10)
    _spike(engine, spike, 10, private=False, text="Panier arrivé tout chaud, légumes cuits")
    # The same minutes, later each time: the newest negatives are private, the ones an example would take.
    _spike(engine, spike + timedelta(minutes=1), 10, private=True, text=SECRET)
    channel = Channel(engine)
    run_every(watch(engine), DAY + timedelta(hours=9), spike + timedelta(minutes=40), timedelta(minutes=5))
    alerts = [(t, b) for t, b in channel.messages if t.startswith("Bad buzz possible")]
    assert len(alerts) == 1
    body = str(alerts[0])
    assert "légumes cuits" in body  # public examples
    assert "Érables" not in body and "4471" not in body and "Cliente en privé" not in body


def test_the_digest_counts_direct_messages_apart_and_never_among_the_comments(engine: Any, database_url: str) -> None:
    public = add_comment(engine, at(9), intent="question", topics=("livraison",), text="Livrez-vous à Lévis ?")
    add_reply(engine, public, at(9, 20), text="Oui, le jeudi !")
    for hour in (10, 11):
        add_comment(
            engine, at(hour), intent="complaint", sentiment="neg", topics=("adresse",), text=SECRET, private=True
        )
    digest = build_digest(engine, load_settings(database_url=database_url), "default", "UTC", at(23))
    assert digest.received == 1 and digest.by_platform == {"facebook": 1}
    assert dict(digest.top_topics) == {"livraison": 1}  # the messages' topics are theirs too
    assert digest.private_messages == 2
    fallback, blocks = digest_message(digest)
    shown = str(fallback) + str(blocks)
    assert "1* commentaires reçus · comments received" in shown
    assert "2 messages privés reçus" in shown and "private messages received (not in the figures above)" in shown
    assert "Érables" not in shown and "adresse" not in shown
    # A day with no direct message says nothing about them.
    quiet = build_digest(engine, load_settings(database_url=database_url), "default", "UTC", at(23) + timedelta(days=1))
    assert quiet.private_messages == 0 and "messages privés" not in str(digest_message(quiet))
