"""Engagement learning, over real HTTP against the Graph and X emulators: counts of our published replies
are polled, the reply that outperforms the brand's usual enters its `viral` collection (once, and not again
after the team removed it), and it is retrieved for a similar comment."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import select

from api.emulators.graph import create_graph_emulator
from api.emulators.x import create_x_emulator
from api.platforms.engagement import EngagementReader
from bot.db import session_scope
from bot.insights.engagement import EngagementTracker, StoreSink, ViralRule, viral_entry_id
from bot.models import Engagement
from bot.settings import load_settings
from knowledge.embeddings import get_embedder
from knowledge.retrieval import Retriever
from knowledge.store import open_store
from tests.insights.rows import add_comment, add_reply
from tests.servers import serve

PAGE_TOKEN, X_TOKEN, X_BRAND = "EAAG-page-token", "x-user-token", "2244994945"
NOW = datetime(2026, 3, 10, 18, tzinfo=UTC)
BERNARD = (
    "Il paraît que votre service est tellement lent qu'on aurait le temps de cultiver les légumes avant que le"
    " livreur arrive"
)
ROCKET = "On a essayé d'envoyer nos légumes par fusée, mais les patates arrivaient déjà épluchées 🚀"


@pytest.fixture
def platforms() -> Iterator[tuple[str, str]]:
    graph = create_graph_emulator(app_secret="s", page_token=PAGE_TOKEN, webhook_url=None)
    x = create_x_emulator(consumer_secret="s", bearer_token=X_TOKEN, user_id=X_BRAND, username="panierboreal")
    with serve(graph) as graph_url, serve(x) as x_url:
        yield graph_url, x_url


def fb_reply(graph: httpx.Client, text: str) -> str:
    """A comment on the page, and the page's reply to it (as the publisher does); the reply's id."""
    fired = graph.post("/_emulator/fire", json={"text": "?", "from": {"id": "9", "name": "Bernard H."}}).json()
    r = graph.post(f"/v21.0/{fired['comment_ids'][0]}/comments", json={"message": text}, headers=_page())
    return str(r.json()["id"])


def _page() -> dict[str, str]:
    return {"Authorization": f"Bearer {PAGE_TOKEN}"}


def test_a_reply_that_outperforms_the_usual_becomes_viral_and_inspires_the_next(engine, platforms, tmp_path):
    graph_url, x_url = platforms
    settings = load_settings(
        meta_page_token=PAGE_TOKEN, meta_graph_url=f"{graph_url}/v21.0", x_bearer_token=X_TOKEN, x_api_url=f"{x_url}/2"
    )
    with httpx.Client(base_url=graph_url) as graph, httpx.Client(base_url=x_url) as x:
        # Five ordinary Facebook replies (a few likes each) and the witty one everybody shared.
        ordinary = []
        for i in range(5):
            rid = fb_reply(graph, f"Merci, c'est noté ({i}) !")
            graph.post("/_emulator/engagement", json={"id": rid, "likes": 2 + i, "replies": i % 2})
            cid = add_comment(engine, NOW - timedelta(hours=5), text=f"Question {i}", intent="question")
            ordinary.append(add_reply(engine, cid, NOW - timedelta(hours=4), text=f"Merci ({i})", platform_id=rid))
        rocket_id = fb_reply(graph, ROCKET)
        graph.post("/_emulator/engagement", json={"id": rocket_id, "likes": 240, "replies": 31, "shares": 0})
        bernard = add_comment(engine, NOW - timedelta(hours=3), text=BERNARD, intent="banter", author="Bernard H.")
        viral_pub = add_reply(engine, bernard, NOW - timedelta(hours=2), text=ROCKET, platform_id=rocket_id)
        # An X reply, read through public_metrics (shares = retweets + quotes).
        tweet = x.post("/2/tweets", json={"text": "Merci !"}, headers={"Authorization": f"Bearer {X_TOKEN}"}).json()
        x.post("/_emulator/engagement", json={"id": tweet["data"]["id"], "likes": 3, "retweets": 1, "quotes": 1})
        xc = add_comment(engine, NOW - timedelta(hours=1), platform="x", text="@panierboreal merci", intent="praise")
        x_pub = add_reply(engine, xc, NOW - timedelta(minutes=30), text="Merci !", platform_id=tweet["data"]["id"])

        store = open_store(str(tmp_path / "chroma"), None, get_embedder())
        reader = EngagementReader(settings)
        tracker = EngagementTracker(engine, reader, StoreSink(store), rule=ViralRule(factor=3, min_score=20))
        assert tracker.run(NOW) == 7
        with session_scope(engine) as s:
            rows = {e.publication_id: e for e in s.exec(select(Engagement)).all()}
        assert (rows[viral_pub].likes, rows[viral_pub].replies, rows[viral_pub].score) == (240, 31, 302)
        assert (rows[x_pub].likes, rows[x_pub].shares) == (3, 2)
        assert rows[viral_pub].viral_at is not None
        assert all(rows[p].viral_at is None for p in ordinary) and rows[x_pub].viral_at is None

        entry = store.get("default", viral_entry_id(viral_pub), kind="viral")
        assert entry is not None and entry.answer == ROCKET and entry.question == BERNARD
        assert entry.meta["platform"] == "facebook" and entry.meta["likes"] == 240
        assert entry.meta["date"] == "2026-03-10" and str(entry.meta["url"]).startswith("https://")

        # A similar comment, worded differently, finds it among the brand's viral answers.
        found = Retriever(store).search(
            "default", "Votre livraison est si lente que mes légumes ont le temps de pousser", k=3, kinds=("viral",)
        )
        assert found.passages and found.passages[0].id == viral_entry_id(viral_pub)

        # Polled again later: nothing is added twice; removed by the team: never added again.
        graph.post("/_emulator/engagement", json={"id": rocket_id, "likes": 400, "replies": 40})
        tracker.run(NOW + timedelta(minutes=16))
        assert store.count("default", "viral") == 1
        assert store.delete("default", viral_entry_id(viral_pub), kind="viral")
        tracker.run(NOW + timedelta(minutes=32))
        assert store.count("default", "viral") == 0
        with session_scope(engine) as s:
            assert s.get(Engagement, viral_pub).likes == 400  # type: ignore[union-attr]
        reader.close()


def test_replies_are_polled_only_when_due_and_within_the_window(engine, platforms):
    graph_url, _ = platforms
    settings = load_settings(meta_page_token=PAGE_TOKEN, meta_graph_url=f"{graph_url}/v21.0")
    calls: list[tuple[str, list[str]]] = []
    reader = EngagementReader(settings)

    def counting(platform: str, ids: Any) -> Any:
        calls.append((platform, list(ids)))
        return reader(platform, ids)

    with httpx.Client(base_url=graph_url) as graph:
        rid = fb_reply(graph, "Merci !")
        old = fb_reply(graph, "Une vieille réponse")
    add_reply(engine, add_comment(engine, NOW - timedelta(hours=1)), NOW - timedelta(minutes=50), platform_id=rid)
    add_reply(engine, add_comment(engine, NOW - timedelta(days=5)), NOW - timedelta(days=5), platform_id=old)
    trackers = [EngagementTracker(engine, counting, None, interval=timedelta(minutes=15)) for _ in range(2)]
    for t in trackers:  # two processes, one round each: the reply is read once
        t.run(NOW)
    assert calls == [("facebook", [rid])]
    trackers[1].run(NOW + timedelta(minutes=10))
    assert len(calls) == 1  # not due yet
    trackers[0].run(NOW + timedelta(minutes=16))
    assert len(calls) == 2
    reader.close()


def test_the_wire_formats_are_read_as_the_platforms_send_them():
    from api.platforms.engagement import parse_graph, parse_x
    from bot.insights.engagement import Counts

    assert parse_graph("facebook", {"id": "1_2", "like_count": 12, "comment_count": 3}) == Counts(12, 3, 0)
    ig = {"id": "17", "like_count": 5, "replies": {"data": [{"id": "a"}, {"id": "b"}]}}
    assert parse_graph("instagram", ig) == Counts(5, 2, 0)
    x = {
        "data": [
            {
                "id": "9",
                "text": "t",
                "public_metrics": {"retweet_count": 2, "reply_count": 1, "like_count": 7, "quote_count": 1},
            }
        ],
        "errors": [{"value": "8", "title": "Not Found Error", "resource_type": "tweet"}],
    }
    assert parse_x(x) == {"9": Counts(7, 1, 3)}
