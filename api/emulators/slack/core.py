"""The workspace object shared by the Web API, the page routes and the user actions."""

from __future__ import annotations

import copy
import secrets
import time
from typing import Any

from api.emulators.slack.config import WorkspaceChannel, WorkspaceConfig, WorkspaceUser
from api.emulators.slack.delivery import Deliverer
from api.emulators.slack.faults import ApiFaults
from api.emulators.slack.ratelimit import ChannelRateLimiter
from api.emulators.slack.state import Message, OpenIdStore, ResponseUrl, WorkspaceState


class WorkspaceError(Exception):
    """A refusal with Slack's error code (`channel_not_found`, …)."""

    def __init__(self, error: str, status: int = 200, messages: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.messages = messages or []


class Workspace:
    def __init__(self, config: WorkspaceConfig) -> None:
        self.config = config
        self.state = WorkspaceState()
        self.limiter = ChannelRateLimiter(config.rate_limit)
        self.deliverer = Deliverer(config, self.state)
        self.faults = ApiFaults()  # /workspace/faults: Web API calls answered with 500s on demand
        self.openid = OpenIdStore()  # Sign in with Slack: codes and user tokens (api/emulators/slack/openid.py)

    # --- lookups -----------------------------------------------------------------------------
    def require_user(self, user_id: str | None) -> WorkspaceUser:
        user = self.config.user(user_id or "")
        if user is None:
            raise WorkspaceError("user_not_found")
        return user

    def require_channel(self, ref: str | None) -> WorkspaceChannel:
        channel = self.config.channel_by_ref(ref or "")
        if channel is None:
            raise WorkspaceError("channel_not_found")
        return channel

    def require_message(self, channel_id: str, ts: str | None) -> Message:
        message = self.state.get_message(channel_id, ts or "")
        if message is None:
            raise WorkspaceError("message_not_found")
        return message

    # --- Slack-shaped objects ----------------------------------------------------------------
    def user_object(self, user: WorkspaceUser) -> dict[str, Any]:
        first, _, _ = user.real_name.partition(" ")
        profile: dict[str, Any] = {
            "real_name": user.real_name,
            "real_name_normalized": user.real_name,
            "display_name": user.name,
            "display_name_normalized": user.name,
            "first_name": first,
            "title": user.title,
            "team": self.config.team_id,
            "image_48": "",
            "image_72": "",
        }
        if user.is_bot:
            profile["bot_id"] = self.config.bot_id
            profile["api_app_id"] = self.config.app_id
        return {
            "id": user.id,
            "team_id": self.config.team_id,
            "name": user.name,
            "deleted": False,
            "real_name": user.real_name,
            "tz": user.tz,
            "tz_label": "Eastern Standard Time",
            "tz_offset": -18000,
            "is_admin": user.is_admin,
            "is_owner": False,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "updated": 1700000000,
            "color": user.color,
            "profile": profile,
        }

    def channel_object(self, channel: WorkspaceChannel) -> dict[str, Any]:
        return {
            "id": channel.id,
            "name": channel.name,
            "name_normalized": channel.name,
            "is_channel": not channel.is_private,
            "is_group": channel.is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": channel.is_private,
            "is_archived": False,
            "is_general": False,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_member": True,
            "created": 1700000000,
            "creator": self.config.users[0].id if self.config.users else self.config.bot_user.id,
            "context_team_id": self.config.team_id,
            "topic": {"value": channel.topic, "creator": "", "last_set": 0},
            "purpose": {"value": channel.purpose, "creator": "", "last_set": 0},
        }

    def bot_profile(self) -> dict[str, Any]:
        return {
            "id": self.config.bot_id,
            "app_id": self.config.app_id,
            "name": self.config.bot_user.real_name,
            "icons": {"image_48": ""},
            "deleted": False,
            "updated": 1700000000,
            "team_id": self.config.team_id,
        }

    def new_message(
        self,
        user_id: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        *,
        ts: str | None = None,
    ) -> Message:
        message: Message = {
            "type": "message",
            "ts": ts or self.state.new_ts(),
            "user": user_id,
            "text": text,
            "team": self.config.team_id,
        }
        if blocks:
            message["blocks"] = with_ids(blocks)
        if thread_ts:
            message["thread_ts"] = thread_ts
        if user_id == self.config.bot_user.id:
            message["bot_id"] = self.config.bot_id
            message["app_id"] = self.config.app_id
            message["bot_profile"] = self.bot_profile()
        return message

    def new_response_url(
        self,
        base_url: str,
        user_id: str,
        channel_id: str | None,
        message_ts: str | None = None,
        *,
        is_ephemeral: bool = False,
        thread_ts: str | None = None,
    ) -> str:
        token = secrets.token_urlsafe(18)
        with self.state.lock:
            self.state.response_urls[token] = ResponseUrl(
                channel_id, user_id, message_ts, is_ephemeral, thread_ts, time.monotonic()
            )
        return f"{base_url.rstrip('/')}/workspace/response/{token}"


def with_ids(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Slack fills in missing block_id and action_id (random short ids); payloads always carry them."""
    out = copy.deepcopy(blocks)
    for block in out:
        if not isinstance(block, dict):
            continue
        block.setdefault("block_id", secrets.token_urlsafe(4)[:5])
        elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                elements.append(block[key])
        for el in elements:
            if isinstance(el, dict) and el.get("type") not in (None, "image", "mrkdwn", "plain_text"):
                el.setdefault("action_id", secrets.token_urlsafe(4)[:5])
    return out


def find_element(
    blocks: list[dict[str, Any]], action_id: str, *, value: str | None = None, block_id: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The (block, element) with this action_id; `value`/`block_id` pick among same-id buttons."""
    for block in blocks:
        if block_id and block.get("block_id") != block_id:
            continue
        candidates = list(block.get("elements") or []) if block.get("type") == "actions" else []
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                candidates.append(block[key])
        for el in candidates:
            if not isinstance(el, dict) or el.get("action_id") != action_id:
                continue
            if value is None or el.get("type") != "button" or el.get("value") == value:
                return block, el
    return None
