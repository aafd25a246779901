"""The FastAPI app factory: the composition root wiring settings, database, worker, outbox,
the Bolt app and the routes."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request, Response
from sqlalchemy.engine import Engine

from api import accesslog, errors
from api.brain import Brain, build_brain
from api.limits import BodySizeLimit
from api.metrics import Metrics
from api.platforms.brands import Brands, load_brands
from api.publishing import make_publisher_for
from api.routes import comments, dashboard, health, knowledge, personas, webhooks
from api.wiring import build_sender
from bot.comments.outbox import Outbox
from bot.comments.publisher import Publisher
from bot.comments.steps import draft_step, post_review_step, record_untriaged, triage_step
from bot.comments.worker import Step, Worker
from bot.db import make_engine
from bot.models import Comment, SlackOutgoing, State, utcnow
from bot.sac.cards import CaseSlack, ReviewAndCases
from bot.sac.keeper import CaseKeeper
from bot.settings import Settings, get_settings, reveal
from bot.sla import SlaPolicy
from bot.slack.review import SlackReview, make_web_client
from bot.slack.sender import SlackSender
from bot.slack.services import Approvers, BotServices

log = logging.getLogger(__name__)


def build_steps(
    settings: Settings,
    brain: Brain,
    review: SlackReview | None,
    engine: Engine,
    brands: Brands,
    sender: SlackSender | None = None,
) -> dict[State, Step]:
    """received → triaged → proposed → posted, each step only where its part is configured."""
    from bot.comments.casefile import channel_persona

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
        steps[post_from] = post_review_step(review.publish_review, channel_for, from_state=post_from, sender=sender)
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


def brand_cases(settings: Settings, brands: Brands) -> tuple[Callable[[str], SlaPolicy], Callable[[str], str | None]]:
    """(the SLA of a brand, the customer-service channel of a brand)."""
    from api.platforms.brands import sla_policy

    base = settings.sla_policy()
    # A brand's own time zone (brands file) is its clocks' zone unless its `sla:` names another.
    overrides = {b.brand: {"timezone": b.timezone, **b.sla} if b.timezone else b.sla for b in brands.items}
    policies = {brand: sla_policy(base, o) for brand, o in overrides.items() if o}

    def sla_for(brand: str) -> SlaPolicy:
        return policies.get(brand, base)

    def sac_channel_for(brand: str) -> str | None:
        found = brands.get(brand)
        return (found.sac_channel if found else None) or settings.sac_channel

    return sla_for, sac_channel_for


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
    clock: Callable[[], datetime] = utcnow,
) -> FastAPI:
    settings = settings or get_settings()
    accesslog.install()  # no token, code or state in any access-log line, whatever serves the app
    engine = engine or make_engine(settings.database_url)
    brain = brain if brain is not None else build_brain(settings, engine)
    metrics = Metrics(engine)
    if brain.drafter is not None:  # sowana_drafting_seconds
        brain = dataclasses.replace(brain, drafter=metrics.timed_drafter(brain.drafter))
    slack_ready = bool(settings.slack_bot_token and settings.slack_signing_secret)
    review = (
        SlackReview(
            make_web_client(reveal(settings.slack_bot_token), settings.slack_api_url),
            engine,
            lambda: [p.name for p in brain.personas()],
        )
        if slack_ready
        else None
    )
    brands = load_brands(settings)
    sla_for, sac_channel_for = brand_cases(settings, brands)
    cases: CaseSlack | None = None

    def render_job(job: SlackOutgoing) -> tuple[str, list[dict[str, Any]] | None]:
        """A queued message's content when it leaves: case cards and follow-ups, else review messages."""
        assert review is not None
        found = cases.render_job(job) if cases is not None else None
        return found if found is not None else review.render_job(job)

    sender = build_sender(settings, engine, render_job) if review is not None else None  # Slack's pace
    if review is not None:
        cases = CaseSlack(review.client, engine, sla_for, clock, review.refresh, sender)
    worker = Worker(
        engine,
        steps if steps is not None else build_steps(settings, brain, review, engine, brands, sender),
        poll_seconds=settings.worker_poll_seconds,
        lease_seconds=settings.lease_seconds,
    )
    close_publishers: Callable[[], None] = _nothing
    if publisher_for is None:
        publisher_for, close_publishers = make_publisher_for(settings, engine)
    keeper = CaseKeeper(
        engine,
        cases,
        sac_channel_for=sac_channel_for,
        sla_for=sla_for,
        now=clock,
        auto_escalate=settings.auto_escalate,
        lease_seconds=settings.lease_seconds,
        poll_seconds=settings.worker_poll_seconds,
    )
    outbox = Outbox(
        engine,
        publisher_for,
        ReviewAndCases(review, cases) if review is not None and cases is not None else None,
        poll_seconds=settings.worker_poll_seconds,
        lease_seconds=settings.lease_seconds,
    )
    poller = make_poller(settings, engine, wake=worker.wake) if run_worker else None
    insights, close_insights = (
        make_insights(settings, engine, brands, review, brain.store) if run_worker else (None, _nothing)
    )

    def wake() -> None:
        worker.wake()
        outbox.wake()
        if sender is not None:
            sender.wake()
        keeper.wake()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if run_worker:
            worker.start()
            outbox.start()
            if sender is not None:
                sender.start()
            keeper.start()
        if poller is not None:
            poller.start()
        if insights is not None:
            insights.start()
        try:
            yield
        finally:
            if poller is not None:
                poller.stop()
                poller.close()
            worker.stop()
            if sender is not None:
                sender.stop()
            outbox.stop()
            keeper.stop()
            if insights is not None:
                insights.stop()
            close_insights()
            close_publishers()

    app = FastAPI(title="Sowana", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.metrics = metrics
    app.state.worker = worker
    app.state.outbox = outbox
    app.state.sender = sender
    app.state.cases = keeper
    app.state.brain = brain
    if brain.store is not None:
        app.state.knowledge = brain.store
    app.state.wake_worker = wake if run_worker else None
    app.add_middleware(BodySizeLimit, on_refused=metrics.count_refused)
    errors.install(app)  # a 422 never echoes the input (nor fails to encode it)
    app.include_router(health.router)
    app.include_router(comments.router)
    app.include_router(knowledge.router)
    app.include_router(personas.router)
    app.include_router(webhooks.router)
    app.include_router(dashboard.router)
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
                sla_for=sla_for,
                now=clock,
                cases=cases,
            ),
        )
    return app


def _mount_slack(app: FastAPI, services: BotServices) -> None:
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler

    from bot.listeners.app import create_bolt_app

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
        bearer_token=reveal(settings.x_bearer_token),
        accounts=accounts,
        interval=settings.x_poll_seconds,
        on_created=lambda _ids: wake(),
    )


def make_insights(
    settings: Settings, engine: Engine, brands: Brands, review: SlackReview | None, store: Any | None
) -> tuple[Any, Callable[[], None]]:
    """Insights (#12): the daily digest and bad-buzz alerts in each brand's review channel (when Slack is
    configured), engagement polling of our replies (when a platform is) feeding the `viral` collections."""
    from api.platforms.engagement import make_reader
    from bot.blocks.text import as_text
    from bot.insights.buzz import BuzzParams, BuzzWatch
    from bot.insights.engagement import EngagementTracker, StoreSink, ViralRule
    from bot.insights.scheduler import InsightsLoop, dashboard_link, schedules

    def post(channel: str, text: str, blocks: list[dict[str, Any]]) -> str | None:
        assert review is not None
        return str(review.client.chat_postMessage(channel=channel, text=as_text(text), blocks=blocks)["ts"])

    def link(brand: str, topic: str, since: Any) -> str:
        return dashboard_link(settings, brand, topic=topic, since=since.isoformat(timespec="minutes"))

    plans = schedules(brands.items, settings)
    if review is None:  # nowhere to post: episodes and engagement are still recorded for the dashboard
        plans = [dataclasses.replace(p, channel=None) for p in plans]
    read, close = make_reader(settings)
    tracker = EngagementTracker(
        engine,
        read,
        StoreSink(store) if store is not None else None,
        rule=ViralRule.from_settings(settings),
        interval=timedelta(seconds=settings.engagement_poll_seconds),
        window=timedelta(hours=settings.engagement_window_hours),
    )
    loop = InsightsLoop(
        engine,
        settings,
        plans,
        post,
        engagement=tracker,
        buzz=BuzzWatch(engine, BuzzParams.from_settings(settings), post, link),
        poll_seconds=settings.insights_poll_seconds,
    )
    return loop, close
