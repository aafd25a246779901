"""The FastAPI app factory: the composition root that wires settings, database, worker and routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from api.limits import BodySizeLimit
from api.metrics import Metrics
from api.routes import comments, health
from bot.blocks.review import review_message
from bot.db import make_engine
from bot.models import Comment, State
from bot.pipeline import post_review_step, record_untriaged
from bot.settings import Settings, get_settings
from bot.worker import Step, Worker

log = logging.getLogger(__name__)


def slack_poster(settings: Settings) -> Any:
    """A `(channel, text, blocks) -> ts` function over the real Slack Web API client."""
    from slack_sdk import WebClient
    from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=5))

    def post(channel: str, text: str, blocks: list[dict[str, Any]]) -> str:
        response = client.chat_postMessage(channel=channel, text=text, blocks=blocks, unfurl_links=False)
        return str(response["ts"])

    return post


def build_steps(settings: Settings) -> dict[State, Step]:
    steps: dict[State, Step] = {State.received: record_untriaged}
    if settings.slack_bot_token and settings.review_channel:
        review_channel = settings.review_channel

        def channel_for(_comment: Comment) -> str | None:
            return review_channel

        steps[State.triaged] = post_review_step(slack_poster(settings), channel_for, review_message)
    return steps


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    run_worker: bool = True,
    steps: Mapping[State, Step] | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url)
    worker = Worker(
        engine,
        steps if steps is not None else build_steps(settings),
        poll_seconds=settings.worker_poll_seconds,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if run_worker:
            worker.start()
        try:
            yield
        finally:
            worker.stop()

    app = FastAPI(title="Sowana", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.metrics = Metrics(engine)
    app.state.worker = worker
    app.state.wake_worker = worker.wake if run_worker else None
    app.add_middleware(BodySizeLimit)
    app.include_router(health.router)
    app.include_router(comments.router)
    return app
