"""A fake Slack client, ack and respond for calling listeners as Bolt would (bolt-python's starter
template style), and the bot's services around a test database."""

from __future__ import annotations

from typing import Any

from bot.settings import load_settings
from bot.slack.services import Approvers, BotServices


class FakeClient:
    """The Web API calls a listener makes, recorded; group members for the approvers' check."""

    def __init__(self, groups: dict[str, list[str]] | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.groups = groups or {}

    async def chat_postEphemeral(self, **kw: Any) -> dict[str, Any]:  # noqa: N802 (Slack's name)
        self.calls.append(("chat.postEphemeral", kw))
        return {"ok": True}

    async def chat_update(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(("chat.update", kw))
        return {"ok": True}

    async def views_open(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(("views.open", kw))
        return {"ok": True}

    async def usergroups_users_list(self, usergroup: str) -> dict[str, Any]:
        return {"ok": True, "users": self.groups.get(usergroup, [])}

    def said(self, method: str) -> list[dict[str, Any]]:
        return [kw for m, kw in self.calls if m == method]


class Recorder:
    """Stands for Bolt's `ack` or `respond`: records each call's keyword arguments."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, **kw: Any) -> None:
        self.calls.append(kw)


class Review:
    """The review message's side: which comments were re-rendered."""

    def __init__(self) -> None:
        self.refreshed: list[int] = []

    def refresh(self, comment_id: int) -> None:
        self.refreshed.append(comment_id)


def services(engine: Any, approvers: tuple[str, ...] = (), **kw: Any) -> tuple[BotServices, Review, list[str]]:
    review, woken = Review(), []
    bot = BotServices(
        engine=engine,
        settings=load_settings(),
        review=review,  # type: ignore[arg-type]
        approvers=Approvers(approvers),
        wake=lambda: woken.append("wake"),
        **kw,
    )
    return bot, review, woken
