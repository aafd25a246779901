"""What Slack sends a listener, read once from Bolt's payload into typed requests: the handlers' only
input besides the bot's services, so tests build them directly."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.blocks.modals import submitted_choice, submitted_value


@dataclass(frozen=True)
class ActionRequest:
    """What a click or a select says, read once from Bolt's `body` and `action`."""

    user: str
    channel: str | None
    value: str | None = None  # a button's value (an id)
    selected: str | None = None  # a select's chosen option
    trigger_id: str | None = None  # to open a modal
    message_ts: str | None = None  # the message clicked on
    action_ids: tuple[str, ...] = ()

    @classmethod
    def from_bolt(cls, body: dict[str, Any], action: dict[str, Any]) -> ActionRequest:
        return cls(
            user=body["user"]["id"],
            channel=(body.get("channel") or {}).get("id"),
            value=action.get("value"),
            selected=(action.get("selected_option") or {}).get("value"),
            trigger_id=body.get("trigger_id"),
            message_ts=(body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts"),
            action_ids=tuple(a.get("action_id") for a in body.get("actions", [])),
        )


@dataclass(frozen=True)
class ViewSubmission:
    """A submitted modal: who, and the view with its inputs and private metadata."""

    user: str
    view: dict[str, Any]

    @classmethod
    def from_bolt(cls, body: dict[str, Any], view: dict[str, Any]) -> ViewSubmission:
        return cls(user=body["user"]["id"], view=view)

    def value(self, block_id: str, action_id: str) -> str:
        return submitted_value(self.view, block_id, action_id)

    def choice(self, block_id: str, action_id: str) -> str | None:
        return submitted_choice(self.view, block_id, action_id)

    @property
    def private_metadata(self) -> str | None:
        return self.view.get("private_metadata")

    def meta(self) -> dict[str, Any]:
        """The private metadata as the JSON object the modal was opened with ({} when it is not one)."""
        try:
            data = json.loads(self.private_metadata or "{}")
        except json.JSONDecodeError:
            return {}
        return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class CommandRequest:
    """A slash command: who typed it where, and the words after the command."""

    user: str
    channel: str
    text: str

    @classmethod
    def from_bolt(cls, command: dict[str, Any]) -> CommandRequest:
        return cls(
            user=command.get("user_id", ""), channel=command.get("channel_id", ""), text=command.get("text") or ""
        )


@dataclass(frozen=True)
class ReactionRequest:
    """A reaction added to a message."""

    reaction: str | None
    user: str
    item_type: str | None
    channel: str
    ts: str
    event_id: str | None  # the same on Slack's retries of this event

    @classmethod
    def from_bolt(cls, body: dict[str, Any], event: dict[str, Any]) -> ReactionRequest:
        item = event.get("item") or {}
        return cls(
            reaction=event.get("reaction"),
            user=event.get("user", ""),
            item_type=item.get("type"),
            channel=item.get("channel", ""),
            ts=item.get("ts", ""),
            event_id=body.get("event_id"),
        )


@dataclass(frozen=True)
class MessageRequest:
    """A message in a channel (or a thread of it), as the Events API tells it."""

    channel: str
    ts: str | None
    thread_ts: str | None
    user: str
    text: str
    by_bot: bool  # a bot's post (ours included)
    subtype: str | None  # edits, deletions, joins…

    @classmethod
    def from_bolt(cls, event: dict[str, Any]) -> MessageRequest:
        return cls(
            channel=event.get("channel", ""),
            ts=event.get("ts"),
            thread_ts=event.get("thread_ts"),
            user=event.get("user", ""),
            text=event.get("text", ""),
            by_bot=bool(event.get("bot_id")),
            subtype=event.get("subtype"),
        )
