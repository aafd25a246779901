"""The FastAPI app factory: puts the composition (wiring.py) behind HTTP — the routes, the Bolt
app at `/slack/events`, and the background loops run for the app's lifetime."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI, Request, Response
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from sqlalchemy.engine import Engine

from api import accesslog, errors
from api.deps import AppContext, install
from api.limits import BodySizeLimit
from api.requestid import RequestId
from api.routes import comments, dashboard, health, knowledge, personas, privacy, webhooks
from api.wiring import wire
from bot.brain import Brain
from bot.comments.publisher import Publisher
from bot.comments.worker import Step
from bot.db import make_engine
from bot.listeners.app import create_bolt_app
from bot.models import State, utcnow
from bot.settings import Settings, get_settings
from bot.slack.services import BotServices

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    run_worker: bool = True,
    steps: Mapping[State, Step] | None = None,
    brain: Brain | None = None,
    publisher_for: Callable[[str, str], Publisher] | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> FastAPI:
    settings = settings or get_settings()
    accesslog.install()  # no token, code or state in any access-log line, whatever serves the app
    engine = engine or make_engine(settings.database_url)
    w = wire(
        settings, engine, run_worker=run_worker, steps=steps, brain=brain, publisher_for=publisher_for, clock=clock
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        w.start()
        try:
            yield
        finally:
            w.stop()

    app = FastAPI(title="Sowana", version="0.1.0", lifespan=lifespan)
    context = install(
        app,
        AppContext(
            settings=settings,
            engine=engine,
            metrics=w.metrics,
            brands=w.brands.brands,
            knowledge=w.brain.store,
            wake_worker=w.wake if run_worker else None,
            worker=w.worker,
            outbox=w.outbox,
            sender=w.sender,
            cases=w.keeper,
            loops=w.loops(),
            eraser=w.eraser,
        ),
    )
    app.add_middleware(BodySizeLimit, on_refused=w.metrics.count_refused)
    app.add_middleware(RequestId)  # outermost: even a refused body's answer and log lines carry the id
    errors.install(app)  # a 422 never echoes the input (nor fails to encode it)
    app.include_router(health.router)
    app.include_router(comments.router)
    app.include_router(privacy.router)
    app.include_router(knowledge.router)
    app.include_router(personas.router)
    app.include_router(webhooks.router)
    app.include_router(dashboard.router)
    review = w.review
    if review is not None:
        context.on_comment_changed = lambda comment_id, _what: review.refresh(comment_id)
    services = w.bot_services()
    if services is not None:
        _mount_slack(app, services)
    return app


def _mount_slack(app: FastAPI, services: BotServices) -> None:
    handler = AsyncSlackRequestHandler(create_bolt_app(services))

    @app.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        return await handler.handle(request)
