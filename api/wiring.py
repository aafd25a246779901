"""The composition: which bot pieces run, built from Settings and joined together."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.settings import Settings, reveal
from bot.slack.sender import Renderer, SenderConfig, SlackSender, make_sender_client
from bot.storm.keeper import StormKeeper


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
    )
    sender.before_round = StormKeeper(engine, settings.storm_threshold, wake=sender.wake)
    return sender
