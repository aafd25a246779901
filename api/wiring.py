"""The composition: which bot pieces run in this process, built from Settings and joined together
(the worker's steps, the Slack sender and its renderers, the case keeper, the outbox, the pollers and
insights). `create_app` (app.py) only puts a `Wiring` behind HTTP."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from api.metrics import Metrics
from api.platforms.engagement import make_reader
from api.platforms.polling import DmPoller, MentionsPoller
from api.publishing import make_publisher_for
from bot.brain import Brain, build_brain
from bot.brands import BrandLookups, Brands, load_brands
from bot.comments.casefile import channel_persona
from bot.comments.outbox import Outbox
from bot.comments.publisher import Publisher
from bot.comments.steps import AlsoTell, draft_step, post_review_step, record_untriaged, triage_step
from bot.comments.worker import Step, Worker
from bot.insights.buzz import BuzzParams, BuzzWatch
from bot.insights.engagement import EngagementTracker, StoreSink, ViralRule
from bot.insights.scheduler import InsightsLoop, dashboard_link, schedules
from bot.models import Comment, SlackOutgoing, State, utcnow
from bot.privacy.erase import Eraser
from bot.privacy.retention import RetentionLoop
from bot.runtime.loop import PollingLoop
from bot.sac.cards import CaseSlack, ReviewAndCases
from bot.sac.keeper import CaseKeeper
from bot.settings import Settings, reveal
from bot.slack.pace import DatabaseClock
from bot.slack.review import SlackReview, make_web_client
from bot.slack.sender import Renderer, SenderConfig, SlackSender, make_sender_client
from bot.slack.services import Approvers, BotServices
from bot.storm.keeper import StormKeeper


def _nothing() -> None:
    return None


def build_steps(
    settings: Settings,
    brain: Brain,
    review: SlackReview | None,
    engine: Engine,
    brands: BrandLookups,
    sender: SlackSender | None = None,
    also_tell: AlsoTell | None = None,
) -> dict[State, Step]:
    """received → triaged → proposed → posted, each step only where its part is configured."""
    steps: dict[State, Step] = {State.received: triage_step(brain.classify) if brain.classify else record_untriaged}

    def channel_for(comment: Comment) -> str | None:
        return brands.review_channel(comment.brand)

    def persona_for(comment: Comment) -> str:
        channel = channel_for(comment)
        chosen = channel_persona(engine, channel) if channel else None
        return chosen or brands.persona(comment.brand) or brain.default_persona

    if brain.drafter is not None:
        steps[State.triaged] = draft_step(brain.drafter, persona_for)
    if review is not None and brands.any_review_channel():
        post_from = State.proposed if brain.drafter is not None else State.triaged
        steps[post_from] = post_review_step(
            review.publish_review, channel_for, from_state=post_from, sender=sender, also_tell=also_tell
        )
    return steps


def build_sender(settings: Settings, engine: Engine, render: Renderer) -> SlackSender:
    """The sender at the pace Settings give, with storm mode grouping floods before each round."""
    client = make_sender_client(reveal(settings.slack_bot_token), settings.slack_api_url)
    sender = SlackSender(
        engine,
        client,
        render,
        config=SenderConfig(
            per_second=settings.slack_posts_per_second,
            burst=settings.slack_post_burst,
            poll_seconds=min(0.2, settings.worker_poll_seconds),
        ),
        clock=DatabaseClock(engine),  # the shared pace runs on the database's time, whatever this host says
    )
    sender.before_round = StormKeeper(engine, settings.storm_threshold, wake=sender.wake)
    return sender


def make_poller(
    settings: Settings,
    engine: Engine,
    brands: Brands,
    *,
    wake: Callable[[], None],
    kind: type[MentionsPoller] = MentionsPoller,
) -> MentionsPoller | None:
    """The X mentions poller (most brands' X intake), or the X direct messages poller (`kind=DmPoller`),
    when an X account and a token are configured."""
    accounts = brands.x_accounts()
    if not settings.x_bearer_token or not accounts:
        return None
    return kind(
        engine,
        api_url=settings.x_api_url,
        bearer_token=reveal(settings.x_bearer_token),
        accounts=accounts,
        interval=settings.x_poll_seconds,
        lease_seconds=settings.lease_seconds,
        on_created=lambda _ids: wake(),
    )


def make_insights(
    settings: Settings, engine: Engine, brands: Brands, sender: SlackSender | None, store: Any | None
) -> tuple[InsightsLoop, Callable[[], None]]:
    """Insights (#12): the daily digest and bad-buzz alerts in each brand's review channel, queued for the
    Slack sender (when Slack is configured), engagement polling of our replies (when a platform is)
    feeding the `viral` collections."""

    def link(brand: str, topic: str, since: Any) -> str:
        return dashboard_link(settings, brand, topic=topic, since=since.isoformat(timespec="minutes"))

    plans = schedules(brands.items, settings)
    if sender is None:  # nowhere to post: episodes and engagement are still recorded for the dashboard
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
        on_queued=sender.wake if sender is not None else None,
        engagement=tracker,
        buzz=BuzzWatch(engine, BuzzParams.from_settings(settings), link),
        poll_seconds=settings.insights_poll_seconds,
    )
    return loop, close


@dataclass
class Wiring:
    """Everything one process runs, joined together; `start` and `stop` run the background loops."""

    settings: Settings
    engine: Engine
    brain: Brain
    metrics: Metrics
    brands: BrandLookups
    clock: Callable[[], datetime]
    review: SlackReview | None
    cases: CaseSlack | None
    sender: SlackSender | None
    worker: Worker
    keeper: CaseKeeper
    outbox: Outbox
    poller: MentionsPoller | None
    dm_poller: MentionsPoller | None
    insights: InsightsLoop | None
    close_insights: Callable[[], None]
    close_publishers: Callable[[], None]
    run_worker: bool
    eraser: Eraser
    retention: RetentionLoop | None = None

    def wake(self) -> None:
        self.worker.wake()
        self.outbox.wake()
        if self.sender is not None:
            self.sender.wake()
        self.keeper.wake()

    def start(self) -> None:
        if self.run_worker:
            self.worker.start()
            self.outbox.start()
            if self.sender is not None:
                self.sender.start()
            self.keeper.start()
        for poller in (self.poller, self.dm_poller):
            if poller is not None:
                poller.start()
        if self.insights is not None:
            self.insights.start()
        if self.retention is not None:
            self.retention.start()

    def stop(self) -> None:
        for poller in (self.poller, self.dm_poller):
            if poller is not None:
                poller.stop()
                poller.close()
        self.worker.stop()
        if self.sender is not None:
            self.sender.stop()
        self.outbox.stop()
        self.keeper.stop()
        if self.insights is not None:
            self.insights.stop()
        if self.retention is not None:
            self.retention.stop()
        self.close_insights()
        self.close_publishers()

    def loops(self) -> list[PollingLoop]:
        """The background loops this process runs, for readiness to watch."""
        running: list[PollingLoop] = []
        if self.run_worker:
            running += [self.worker, self.outbox, self.keeper]
            if self.sender is not None:
                running.append(self.sender)
        if self.insights is not None:
            running.append(self.insights)
        if self.retention is not None:
            running.append(self.retention)
        return running

    def bot_services(self) -> BotServices | None:
        """What the Slack listeners use, when Slack is configured."""
        if self.review is None:
            return None
        return BotServices(
            engine=self.engine,
            settings=self.settings,
            review=self.review,
            approvers=Approvers(self.settings.approvers),
            wake=self.wake,
            personas=self.brain.personas,
            default_persona=self.brain.default_persona,
            kb_search=self.brain.kb_search,
            on_correction=self.brain.on_correction,
            brand_for_channel=self.brands.brand_for_channel,
            creative_approvals=self.brands.creative_approvals,
            sla_for=self.brands.sla_for,
            now=self.clock,
            cases=self.cases,
        )


def wire(
    settings: Settings,
    engine: Engine,
    *,
    run_worker: bool = True,
    steps: Mapping[State, Step] | None = None,
    brain: Brain | None = None,
    publisher_for: Callable[[str, str], Publisher] | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Wiring:
    brain = brain if brain is not None else build_brain(settings, engine)
    metrics = Metrics(engine)
    if brain.drafter is not None:  # sowana_drafting_seconds
        brain = dataclasses.replace(brain, drafter=metrics.timed_drafter(brain.drafter))
    slack_ready = bool(settings.slack_bot_token and settings.slack_signing_secret)
    personas = brain.personas
    review = (
        SlackReview(
            make_web_client(reveal(settings.slack_bot_token), settings.slack_api_url),
            engine,
            lambda: [p.name for p in personas()],
        )
        if slack_ready
        else None
    )
    brands = BrandLookups(settings, load_brands(settings))
    cases: CaseSlack | None = None

    def render_job(job: SlackOutgoing) -> tuple[str, list[dict[str, Any]] | None]:
        """A queued message's content when it leaves: case cards and follow-ups, else review messages."""
        assert review is not None
        found = cases.render_job(job) if cases is not None else None
        return found if found is not None else review.render_job(job)

    sender = build_sender(settings, engine, render_job) if review is not None else None  # Slack's pace
    if review is not None:
        cases = CaseSlack(
            review.client, engine, brands.sla_for, clock, review.refresh, sender, brands.show_author_history
        )
    worker = Worker(
        engine,
        steps
        if steps is not None
        else build_steps(
            settings, brain, review, engine, brands, sender, cases.message_on_card if cases is not None else None
        ),
        poll_seconds=settings.worker_poll_seconds,
        lease_seconds=settings.lease_seconds,
    )
    close_publishers: Callable[[], None] = _nothing
    if publisher_for is None:
        publisher_for, close_publishers = make_publisher_for(settings, engine)
    keeper = CaseKeeper(
        engine,
        cases,
        sac_channel_for=brands.sac_channel,
        sla_for=brands.sla_for,
        now=clock,
        auto_escalate=settings.auto_escalate,
        lease_seconds=settings.lease_seconds,
        poll_seconds=settings.worker_poll_seconds,
        followup_llm=brain.llm,
    )
    outbox = Outbox(
        engine,
        publisher_for,
        ReviewAndCases(review, cases) if review is not None and cases is not None else None,
        poll_seconds=settings.worker_poll_seconds,
        lease_seconds=settings.lease_seconds,
    )
    poller = make_poller(settings, engine, brands.brands, wake=worker.wake) if run_worker else None
    dm_poller = make_poller(settings, engine, brands.brands, wake=worker.wake, kind=DmPoller) if run_worker else None
    insights: InsightsLoop | None = None
    close_insights: Callable[[], None] = _nothing
    if run_worker:
        insights, close_insights = make_insights(settings, engine, brands.brands, sender, brain.store)
    eraser = Eraser(
        engine,
        store=brain.store,
        forget_corrections=brain.forget_corrections,
        slack=review.client if review is not None else None,
    )
    retention = RetentionLoop(eraser, brands.retention_days, clock) if run_worker else None
    return Wiring(
        settings=settings,
        engine=engine,
        brain=brain,
        metrics=metrics,
        brands=brands,
        clock=clock,
        review=review,
        cases=cases,
        sender=sender,
        worker=worker,
        keeper=keeper,
        outbox=outbox,
        poller=poller,
        dm_poller=dm_poller,
        insights=insights,
        close_insights=close_insights,
        close_publishers=close_publishers,
        run_worker=run_worker,
        eraser=eraser,
        retention=retention,
    )
