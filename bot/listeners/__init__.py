"""Slack listeners grouped by feature, each module with `register(app, services)` (Bolt's layout).

Pipeline for every listener: ack first, drop what is not ours, record the intent in the
database (in a thread: the database calls are blocking), then tell Slack what happened.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.slack.services import BotServices


def register_all(app: AsyncApp, services: BotServices) -> None:
    from bot.listeners import actions, commands, events, storm, views

    actions.register(app, services)
    views.register(app, services)
    events.register(app, services)
    commands.register(app, services)
    storm.register(app, services)  # storm-mode bulk actions (bot/storm/bulk.py)
