"""Request bodies exactly as Slack sends them to an app: interactivity, slash commands, events.

Pure functions: they take the config and plain data and return the dict (or form fields) to send.
"""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import urlencode

from api.emulators.slack.config import WorkspaceChannel, WorkspaceConfig, WorkspaceUser

# Slack still sends the legacy verification token; Bolt ignores it when signatures are checked.
VERIFICATION_TOKEN = "local-verification-token"


def user_ref(config: WorkspaceConfig, user: WorkspaceUser) -> dict[str, Any]:
    return {"id": user.id, "username": user.name, "name": user.name, "team_id": config.team_id}


def team_ref(config: WorkspaceConfig) -> dict[str, Any]:
    return {"id": config.team_id, "domain": config.team_domain}


def action_payload(
    block: dict[str, Any], element: dict[str, Any], *, selected_value: str | None, action_ts: str
) -> dict[str, Any]:
    """One entry of `actions[]` for a button, select or overflow."""
    action: dict[str, Any] = {
        "type": element["type"],
        "action_id": element["action_id"],
        "block_id": block["block_id"],
        "action_ts": action_ts,
    }
    if element["type"] == "button":
        action["text"] = element.get("text")
        if "value" in element:
            action["value"] = element["value"]
        if "style" in element:
            action["style"] = element["style"]
    elif element["type"] in ("static_select", "overflow", "radio_buttons"):
        option = find_option(element, selected_value)
        if option is None:
            raise ValueError("unknown option")
        action["selected_option"] = option
        if "placeholder" in element:
            action["placeholder"] = element["placeholder"]
    elif element["type"] in ("users_select",):
        action["selected_user"] = selected_value
    else:
        action["value"] = selected_value
    return action


def find_option(element: dict[str, Any], value: str | None) -> dict[str, Any] | None:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return next((o for o in options if o.get("value") == value), None)


def block_actions(
    config: WorkspaceConfig,
    user: WorkspaceUser,
    action: dict[str, Any],
    trigger_id: str,
    *,
    channel: WorkspaceChannel | None = None,
    message: dict[str, Any] | None = None,
    is_ephemeral: bool = False,
    view: dict[str, Any] | None = None,
    response_url: str | None = None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": user_ref(config, user),
        "api_app_id": config.app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "team": team_ref(config),
        "enterprise": None,
        "is_enterprise_install": False,
        "actions": [action],
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view["id"]}
        payload["view"] = view
        payload["state"] = view.get("state", {"values": {}})
    else:
        assert channel is not None and message is not None
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel.id,
            "is_ephemeral": is_ephemeral,
        }
        if message.get("thread_ts"):
            container["thread_ts"] = message["thread_ts"]
        payload["container"] = container
        payload["channel"] = {"id": channel.id, "name": channel.name}
        payload["message"] = message
        payload["state"] = {"values": {}}
        payload["response_url"] = response_url
    return payload


def view_submission(
    config: WorkspaceConfig, user: WorkspaceUser, view: dict[str, Any], trigger_id: str
) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": team_ref(config),
        "user": user_ref(config, user),
        "api_app_id": config.app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "view": view,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def view_closed(config: WorkspaceConfig, user: WorkspaceUser, view: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "view_closed",
        "team": team_ref(config),
        "user": user_ref(config, user),
        "api_app_id": config.app_id,
        "token": VERIFICATION_TOKEN,
        "view": view,
        "is_cleared": False,
        "is_enterprise_install": False,
        "enterprise": None,
    }


def slash_command_body(
    config: WorkspaceConfig,
    user: WorkspaceUser,
    channel: WorkspaceChannel,
    command: str,
    text: str,
    trigger_id: str,
    response_url: str,
) -> bytes:
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": config.team_id,
        "team_domain": config.team_domain,
        "channel_id": channel.id,
        "channel_name": channel.name,
        "user_id": user.id,
        "user_name": user.name,
        "command": command,
        "text": text,
        "api_app_id": config.app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }
    return urlencode(fields).encode()


def event_callback(config: WorkspaceConfig, event: dict[str, Any]) -> dict[str, Any]:
    now = int(time.time())
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": config.team_id,
        "context_team_id": config.team_id,
        "api_app_id": config.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": "Ev" + secrets.token_hex(5).upper(),
        "event_time": now,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": config.team_id,
                "user_id": config.bot_user.id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-" + secrets.token_urlsafe(24),
    }


def message_event(channel: WorkspaceChannel, message: dict[str, Any]) -> dict[str, Any]:
    event = {
        k: v
        for k, v in message.items()
        if k not in ("reactions", "reply_count", "reply_users", "reply_users_count", "latest_reply")
    }
    event.update({"channel": channel.id, "event_ts": message["ts"], "channel_type": "channel"})
    return event


def app_mention_event(channel: WorkspaceChannel, message: dict[str, Any]) -> dict[str, Any]:
    event = {
        "type": "app_mention",
        "user": message["user"],
        "text": message["text"],
        "ts": message["ts"],
        "team": message.get("team"),
        "channel": channel.id,
        "event_ts": message["ts"],
    }
    if message.get("thread_ts"):
        event["thread_ts"] = message["thread_ts"]
    return event


def reaction_event(
    kind: str, user_id: str, name: str, channel_id: str, message: dict[str, Any], event_ts: str
) -> dict[str, Any]:
    return {
        "type": kind,
        "user": user_id,
        "reaction": name,
        "item_user": message.get("user"),
        "item": {"type": "message", "channel": channel_id, "ts": message["ts"]},
        "event_ts": event_ts,
    }
