"""A comment storm into one review channel, the local Slack workspace's rate limit on, the Graph API
emulator as Facebook: nobody is lost, low-value comments are grouped, bulk hide and one reply to
many publish exactly once per comment."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, func, select

from api.app import create_app
from api.devserver import DEV_IG_ID, DEV_PAGE_ID, DEV_SECRETS, start_platform_emulators
from api.emulators.slack import RateLimit, WorkspaceConfig
from api.emulators.slack.client import WorkspaceClient, WorkspaceClientError, run_workspace
from api.emulators.slack.serving import free_port, serve_in_thread
from bot.blocks.storm import HIDE_ALL, REPLY_ALL
from bot.brain import Brain
from bot.db import session_scope
from bot.models import Comment, SlackPost
from bot.settings import load_settings
from bot.storm.bulk import hide_all, reply_all
from tests.flows.conftest import CM, GUEST, PERSONAS, REVIEW, SAC, action_ids, button_value, simple_drafter

API_TOKEN = "storm-token"
SPAM = "Gagnez un iPhone gratuit, cliquez ici www.promo-{i}.biz"
COMPLAINT = "Encore une livraison en retard, c'est inadmissible ! Commande {i}"
PRAISE = ["Merci, super service !", "Bravo à toute l'équipe", "J'adore vos paniers", "Top, merci beaucoup"]
DISTINCT = "Avez-vous des paniers sans gluten pour Noël ?"
QUESTIONS = [
    "Livrez-vous à Sherbrooke le samedi ?",
    "Comment changer l'adresse de ma commande ?",
    "Est-ce que les paniers sont bios ?",
    "Puis-je suspendre mon abonnement pendant l'été ?",
    "Acceptez-vous les cartes cadeaux ?",
    "Quel est le prix du grand panier ?",
]


def classify(comment: Comment) -> tuple[dict[str, Any], str]:
    """Stands in for triage (tested on its own): labels the storm's kinds of comments."""
    text = comment.text
    intent = (
        "spam"
        if "promo" in text
        else "complaint"
        if "retard" in text
        else "praise"
        if any(text.startswith(p[:10]) for p in PRAISE)
        else "question"
    )
    return {"intent": intent, "sentiment": "neu", "lang": "fr", "priority": "normal"}, "test"


@dataclass
class Storm:
    ws: WorkspaceClient
    api: httpx.Client
    graph: httpx.Client
    engine: Engine

    def fire(self, texts: Sequence[str]) -> None:
        for start in range(0, len(texts), 25):
            events = [
                {
                    "platform": "facebook",
                    "page_id": DEV_PAGE_ID,
                    "text": t,
                    "from": {"id": f"u{start + n}", "name": f"Fan {start + n}"},
                }
                for n, t in enumerate(texts[start : start + 25])
            ]
            r = self.graph.post("/_emulator/fire", json={"events": events})
            assert r.status_code == 200 and r.json()["status"] == 200, r.text

    def states(self) -> dict[str, int]:
        with session_scope(self.engine) as s:
            rows = s.exec(select(Comment.state, func.count()).group_by(col(Comment.state))).all()
        return {str(state): int(n) for state, n in rows}

    def published(self, kind: str) -> list[dict[str, Any]]:
        return [p for p in self.graph.get("/_emulator/published").json() if p["kind"] == kind]


@contextmanager
def run_storm(database_url: str, engine: Engine, tmp: Any) -> Iterator[Storm]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with ExitStack() as stack:
        graph, _x = start_platform_emulators(stack, base)
        ws_config = WorkspaceConfig(
            request_url=f"{base}/slack/events",
            rate_limit=RateLimit(enabled=True, per_second=2.0, burst=3),
            event_retry_delays_s=(0.3, 1.0, 2.0),
        )
        ws_url = stack.enter_context(run_workspace(ws_config))
        settings = load_settings(
            database_url=database_url,
            chroma_path=str(tmp / "chroma"),
            api_token=API_TOKEN,
            **ws_config.app_settings(ws_url),
            review_channel=REVIEW,
            sac_channel=SAC,
            approvers=["S0APPROVERS"],
            meta_graph_url=f"{graph}/v21.0",
            meta_page_ids=[DEV_PAGE_ID, DEV_IG_ID],
            worker_poll_seconds=0.05,
            slack_posts_per_second=2.0,
            slack_post_burst=3,
            storm_threshold=20,
            **DEV_SECRETS,
        )
        brain = Brain(classify=classify, drafter=simple_drafter, personas=lambda: PERSONAS)
        app = create_app(settings, engine=engine, brain=brain)
        stack.enter_context(serve_in_thread(app, port=port))
        yield Storm(
            ws=stack.enter_context(WorkspaceClient(ws_url)),
            api=stack.enter_context(
                httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {API_TOKEN}"})
            ),
            graph=stack.enter_context(httpx.Client(base_url=graph, timeout=30)),
            engine=engine,
        )


@pytest.fixture
def storm(database_url: str, engine: Engine, tmp_path: Any) -> Iterator[Storm]:
    with run_storm(database_url, engine, tmp_path) as running:
        yield running


def summaries(storm: Storm, action: str) -> list[dict[str, Any]]:
    return [m for m in storm.ws.messages(REVIEW) if action in action_ids(m)]


def members(storm: Storm, ts: str) -> list[int]:
    with session_scope(storm.engine) as s:
        return list(
            s.exec(select(SlackPost.comment_id).where(col(SlackPost.kind) == "storm", col(SlackPost.ts) == ts)).all()
        )


def click_again(storm: Storm, summary: dict[str, Any], action: str) -> None:
    """A second click (or a second person) on the same bulk action publishes nothing more: the
    button is gone once done, and the group refuses a second run whatever the timing."""
    try:
        storm.ws.click(CM, REVIEW, summary["ts"], action, value=button_value(summary, action))
    except WorkspaceClientError as exc:
        assert exc.error == "action_not_found"  # already replaced by "done"
    group = int(button_value(summary, action))
    again = (hide_all if action == HIDE_ALL else reply_all)(storm.engine, group, "U0SAC")
    assert not again.ok


def test_a_storm_is_grouped_nobody_is_lost_and_bulk_actions_publish_once(storm: Storm) -> None:
    texts = (
        [SPAM.format(i=i) for i in range(60)]
        + [COMPLAINT.format(i=i) for i in range(80)]
        + [PRAISE[i % len(PRAISE)] + "!" * (i // len(PRAISE)) for i in range(40)]
        + [QUESTIONS[i % len(QUESTIONS)] + f" ({i})" * (i >= len(QUESTIONS)) for i in range(19)]
        + [DISTINCT]
    )
    storm.fire(texts)
    # Nobody is lost: every comment ends in front of the team, in its own message or in a summary.
    storm.ws.wait_for(lambda: storm.states().get("posted") == 200, timeout=240, interval=0.5, what="200 posted")
    messages = storm.ws.messages(REVIEW)
    notices = [m for m in messages if "Storm mode on" in m["text"]]
    assert len(notices) == 1 and "20" in notices[0]["text"]  # told once, and why (the threshold)
    assert len(messages) < 100  # grouped: far fewer messages than comments
    with session_scope(storm.engine) as s:
        kinds = dict(s.exec(select(SlackPost.kind, func.count()).group_by(col(SlackPost.kind))).all())
    assert kinds.get("storm", 0) >= 100 and kinds.get("storm", 0) + kinds.get("review", 0) == 200
    own = [m for m in messages if "approve_reply" in action_ids(m)]
    assert any("sans gluten" in str(m["blocks"]) for m in own)  # a distinctive one keeps its own message

    # Bulk hide of the spam: each spam comment hidden on Facebook exactly once.
    spam = summaries(storm, HIDE_ALL)
    assert spam
    refused = storm.ws.click(GUEST, REVIEW, spam[0]["ts"], HIDE_ALL, value=button_value(spam[0], HIDE_ALL))
    assert refused["acked"]
    hidden_ids: list[int] = []
    for summary in spam:
        ids = members(storm, summary["ts"])
        hidden_ids += ids
        storm.ws.click(CM, REVIEW, summary["ts"], HIDE_ALL, value=button_value(summary, HIDE_ALL))
        click_again(storm, summary, HIDE_ALL)
    for cid in hidden_ids:
        case = storm.api.get(f"/api/comments/{cid}").json()
        assert case["state"] == "hidden" and "promo" in case["text"]
    storm.ws.wait_for(lambda: len(storm.published("hide")) >= len(hidden_ids), timeout=60, what="hides published")

    # One reply to many: the complaints' group, each comment answered exactly once.
    groups = [m for m in summaries(storm, REPLY_ALL) if "retard" in str(m["blocks"])]
    assert groups
    replied: list[int] = []
    for summary in groups:
        replied += members(storm, summary["ts"])
        storm.ws.click(CM, REVIEW, summary["ts"], REPLY_ALL, value=button_value(summary, REPLY_ALL))
        click_again(storm, summary, REPLY_ALL)
    storm.ws.wait_for(
        lambda: all(storm.api.get(f"/api/comments/{cid}").json()["state"] == "published" for cid in replied),
        timeout=90,
        interval=0.5,
        what="every grouped complaint published",
    )
    time.sleep(0.5)  # anything extra would show now
    replies = storm.published("reply")
    targets = [r["target"] for r in replies]
    assert len(targets) == len(set(targets)) == len(replied)  # once per comment
    hides = [h["target"] for h in storm.published("hide")]
    assert len(hides) == len(set(hides)) == len(hidden_ids)
    done = next(m for m in storm.ws.messages(REVIEW) if m["ts"] == groups[0]["ts"])
    assert REPLY_ALL not in action_ids(done) and "approved for all" in str(done["blocks"])
