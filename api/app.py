"""The FastAPI app factory: the composition root wiring settings, database, worker, outbox,
the Bolt app and the routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from sqlalchemy.engine import Engine

from api.brain import Brain, build_brain
from api.limits import BodySizeLimit
from api.metrics import Metrics
from api.platforms.brands import Brands, load_brands
from api.publishing import make_publisher_for
from api.routes import comments, health, knowledge, personas, webhooks
from bot.db import make_engine
from bot.models import Comment, State
from bot.outbox import Outbox
from bot.pipeline import draft_step, post_review_step, record_untriaged, triage_step
from bot.publisher import Publisher
from bot.services import Approvers, BotServices
from bot.settings import Settings, get_settings
from bot.slack_sync import SlackReview, make_web_client
from bot.worker import Step, Worker

log = logging.getLogger(__name__)


def build_steps(
    settings: Settings, brain: Brain, review: SlackReview | None, engine: Engine, brands: Brands
) -> dict[State, Step]:
    """received → triaged → proposed → posted, each step only where its part is configured."""
    from bot.case import channel_persona

    steps: dict[State, Step] = {State.received: triage_step(brain.classify) if brain.classify else record_untriaged}

    def channel_for(comment: Comment) -> str | None:
        brand = brands.get(comment.brand)
        return (brand.review_channel if brand else None) or settings.review_channel

    def persona_for(comment: Comment) -> str:
        channel = channel_for(comment)
        brand = brands.get(comment.brand)
        chosen = channel_persona(engine, channel) if channel else None
        return chosen or (brand.persona if brand else None) or brain.default_persona

    if brain.drafter is not None:
        steps[State.triaged] = draft_step(brain.drafter, persona_for)
    if review is not None and (settings.review_channel or any(b.review_channel for b in brands.items)):
        post_from = State.proposed if brain.drafter is not None else State.triaged
        steps[post_from] = post_review_step(review.publish_review, channel_for, from_state=post_from)
    return steps


def brand_rules(settings: Settings, brands: Brands) -> tuple[Callable[[str], str], Callable[[str], int]]:
    """(brand of a Slack channel, distinct approvers a brand's creative replies need)."""

    def brand_for_channel(channel: str) -> str:
        found = next((b for b in brands.items if channel in (b.review_channel, b.sac_channel)), None)
        return found.brand if found else "default"

    def creative_approvals(brand: str) -> int:
        found = brands.get(brand)
        return (found.creative_approvals if found else None) or settings.creative_approvals

    return brand_for_channel, creative_approvals


def _nothing() -> None:
    return None


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    run_worker: bool = True,
    steps: Mapping[State, Step] | None = None,
    brain: Brain | None = None,
    publisher_for: Callable[[str, str], Publisher] | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url)
    brain = brain if brain is not None else build_brain(settings, engine)
    slack_ready = bool(settings.slack_bot_token and settings.slack_signing_secret)
    review = (
        SlackReview(
            make_web_client(settings.slack_bot_token, settings.slack_api_url),
            engine,
            lambda: [p.name for p in brain.personas()],
        )
        if slack_ready
        else None
    )
    brands = load_brands(settings)
    worker = Worker(
        engine,
        steps if steps is not None else build_steps(settings, brain, review, engine, brands),
        poll_seconds=settings.worker_poll_seconds,
    )
    close_publishers: Callable[[], None] = _nothing
    if publisher_for is None:
        publisher_for, close_publishers = make_publisher_for(settings, engine)
    outbox = Outbox(engine, publisher_for, review, poll_seconds=settings.worker_poll_seconds)
    poller = make_poller(settings, engine, wake=worker.wake) if run_worker else None

    def wake() -> None:
        worker.wake()
        outbox.wake()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if run_worker:
            worker.start()
            outbox.start()
        if poller is not None:
            poller.start()
        try:
            yield
        finally:
            if poller is not None:
                poller.stop()
                poller.close()
            worker.stop()
            outbox.stop()
            close_publishers()

    app = FastAPI(title="Sowana", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.metrics = Metrics(engine)
    app.state.worker = worker
    app.state.outbox = outbox
    app.state.brain = brain
    if brain.store is not None:
        app.state.knowledge = brain.store
    app.state.wake_worker = wake if run_worker else None
    app.add_middleware(BodySizeLimit)
    app.include_router(health.router)
    app.include_router(comments.router)
    app.include_router(knowledge.router)
    app.include_router(personas.router)
    app.include_router(webhooks.router)
    if review is not None:
        app.state.on_comment_changed = lambda comment_id, _what: review.refresh(comment_id)
    if review is not None:
        brand_for_channel, creative_approvals = brand_rules(settings, brands)
        _mount_slack(
            app,
            BotServices(
                engine=engine,
                settings=settings,
                review=review,
                approvers=Approvers(settings.approvers),
                wake=wake,
                personas=brain.personas,
                default_persona=brain.default_persona,
                kb_search=brain.kb_search,
                on_correction=brain.on_correction,
                brand_for_channel=brand_for_channel,
                creative_approvals=creative_approvals,
            ),
        )
    return app


def _mount_slack(app: FastAPI, services: BotServices) -> None:
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler

    from bot.slack_app import create_bolt_app

    handler = AsyncSlackRequestHandler(create_bolt_app(services))
    app.state.bolt = handler.app

    @app.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        return await handler.handle(request)


def make_poller(settings: Settings, engine: Engine, *, wake: Callable[[], None]) -> Any:
    """The X mentions poller, when an X account and a token are configured (most brands' X intake)."""
    from api.platforms.brands import load_brands
    from api.platforms.polling import MentionsPoller

    accounts = load_brands(settings).x_accounts()
    if not settings.x_bearer_token or not accounts:
        return None
    return MentionsPoller(
        engine,
        api_url=settings.x_api_url,
        bearer_token=settings.x_bearer_token,
        accounts=accounts,
        interval=settings.x_poll_seconds,
        on_created=lambda _ids: wake(),
    )
