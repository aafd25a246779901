"""The whole product with the local workspace's rate limit on and Sowana's sender told to go faster
than Slack allows: Slack answers 429s, yet every comment gets exactly one review message, and an
urgent comment that arrives last is shown before the ordinary ones still waiting."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from api.app import create_app
from api.emulators.slack import RateLimit, WorkspaceConfig
from api.emulators.slack.client import WorkspaceClient, run_workspace
from api.emulators.slack.serving import free_port, serve_in_thread
from bot.brain import Brain
from bot.db import session_scope
from bot.models import Comment, SlackPost
from bot.settings import load_settings
from tests.flows.conftest import PERSONAS, REVIEW, SAC, Flow, action_ids, simple_drafter


def classify(comment: Comment) -> tuple[dict[str, Any], str]:
    urgent = "malade" in comment.text
    return {"intent": "distress" if urgent else "question", "priority": "urgent" if urgent else "normal"}, "test"


@pytest.fixture
def limited(database_url: str, engine: Engine) -> Iterator[tuple[Flow, Any]]:
    import httpx

    port = free_port()
    ws_config = WorkspaceConfig(
        request_url=f"http://127.0.0.1:{port}/slack/events",
        rate_limit=RateLimit(enabled=True, per_second=2.0, burst=2),
    )
    with run_workspace(ws_config) as ws_url:
        settings = load_settings(
            database_url=database_url,
            **ws_config.app_settings(ws_url),
            review_channel=REVIEW,
            sac_channel=SAC,
            api_token="rl-token",
            worker_poll_seconds=0.05,
            slack_posts_per_second=20.0,  # faster than the workspace allows: 429s will come
            slack_post_burst=5,
            storm_threshold=0,  # one message per comment, however many wait
        )
        brain = Brain(classify=classify, drafter=simple_drafter, personas=lambda: PERSONAS)
        app = create_app(settings, engine=engine, brain=brain, publisher_for=lambda _b, _p: None)  # type: ignore[arg-type,return-value]
        with (
            serve_in_thread(app, port=port) as base,
            WorkspaceClient(ws_url) as ws,
            httpx.Client(base_url=base, headers={"Authorization": "Bearer rl-token"}, timeout=30) as api,
        ):
            yield Flow(ws=ws, api=api, publisher=None, engine=engine), app  # type: ignore[arg-type]


def test_429s_are_waited_out_and_each_comment_gets_one_message_urgent_first(limited: tuple[Flow, Any]) -> None:
    flow, app = limited
    ids = [flow.comment(f"Question numéro {i} sur la livraison ?", author=f"Client {i}") for i in range(16)]
    urgent = flow.comment("Je suis tombé malade après votre panier, aidez-moi", author="Alex Roy")
    ids.append(urgent)
    # (the urgent one may be escalated to customer service meanwhile: it is shown all the same)
    flow.ws.wait_for(
        lambda: (
            all(flow.case(i)["state"] in ("posted", "escalated") for i in ids)
            and len([m for m in flow.ws.messages(REVIEW) if "approve_reply" in action_ids(m)]) >= len(ids)
        ),
        timeout=180,
        interval=0.5,
        what="every comment shown",
    )
    assert app.state.context.sender.rate_limited > 0  # Slack did refuse some, and nothing was lost
    reviews = [m for m in flow.ws.messages(REVIEW) if "approve_reply" in action_ids(m)]
    shown = [next(i for i in ids if re.search(rf"cas #{i}\b", str(m["blocks"]))) for m in reviews]
    assert sorted(shown) == sorted(ids)  # exactly one message per comment
    with session_scope(flow.engine) as s:
        posts = s.exec(select(SlackPost).where(col(SlackPost.kind) == "review")).all()
    assert {p.comment_id: p.ts for p in posts} == {
        i: m["ts"] for i, m in zip(shown, reviews, strict=True)
    }  # each recorded where it is
    # The urgent one, queued after 16 others, overtook those still waiting at the pace of Slack.
    assert shown.index(urgent) < len(shown) - 1
