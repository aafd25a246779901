"""Modal views: Slack's view object, trigger_id exchange, the per-user stack (at most 3 views)."""

from __future__ import annotations

import secrets
import time
from typing import Any

from api.emulators.slack.core import Workspace, WorkspaceError, with_ids

MAX_STACK = 3


def exchange_trigger(ws: Workspace, trigger_id: str | None) -> str:
    """The user the trigger belongs to; Slack's errors for missing, unknown, used and expired ids."""
    if not trigger_id:
        raise WorkspaceError("invalid_arguments", messages=["missing required field: trigger_id"])
    with ws.state.lock:
        trigger = ws.state.triggers.get(trigger_id)
        if trigger is None:
            raise WorkspaceError("invalid_trigger_id")
        if trigger.exchanged:
            raise WorkspaceError("exchanged_trigger_id")
        if time.monotonic() - trigger.issued > ws.config.trigger_ttl_s:
            raise WorkspaceError("expired_trigger_id")
        trigger.exchanged = True
        return trigger.user_id


def build_view(
    ws: Workspace,
    view: dict[str, Any],
    *,
    view_id: str | None = None,
    root_view_id: str | None = None,
    previous_view_id: str | None = None,
) -> dict[str, Any]:
    view_id = view_id or ws.state.new_id("V")
    return {
        "id": view_id,
        "team_id": ws.config.team_id,
        "type": view.get("type", "modal"),
        "title": view.get("title"),
        "submit": view.get("submit"),
        "close": view.get("close"),
        "blocks": with_ids(view.get("blocks") or []),
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "external_id": view.get("external_id", ""),
        "state": {"values": {}},
        "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
        "clear_on_close": bool(view.get("clear_on_close", False)),
        "notify_on_close": bool(view.get("notify_on_close", False)),
        "root_view_id": root_view_id or view_id,
        "previous_view_id": previous_view_id,
        "app_id": ws.config.app_id,
        "app_installed_team_id": ws.config.team_id,
        "bot_id": ws.config.bot_id,
    }


def open_view(ws: Workspace, user_id: str, view: dict[str, Any]) -> dict[str, Any]:
    with ws.state.lock:
        built = build_view(ws, view)
        ws.state.views[built["id"]] = built
        ws.state.view_stacks[user_id] = [built["id"]]
        ws.state.version += 1
        return built


def push_view(ws: Workspace, user_id: str, view: dict[str, Any]) -> dict[str, Any]:
    with ws.state.lock:
        stack = ws.state.view_stacks.setdefault(user_id, [])
        if not stack:
            return open_view(ws, user_id, view)
        if len(stack) >= MAX_STACK:
            raise WorkspaceError("push_limit_reached")
        root = ws.state.views[stack[0]]["root_view_id"]
        built = build_view(ws, view, root_view_id=root, previous_view_id=stack[-1])
        ws.state.views[built["id"]] = built
        stack.append(built["id"])
        ws.state.version += 1
        return built


def find_view(ws: Workspace, view_id: str | None, external_id: str | None) -> dict[str, Any]:
    with ws.state.lock:
        if view_id:
            found = ws.state.views.get(view_id)
        elif external_id:
            found = next((v for v in ws.state.views.values() if v.get("external_id") == external_id), None)
        else:
            raise WorkspaceError("invalid_arguments", messages=["missing required field: view_id"])
        if found is None:
            raise WorkspaceError("not_found")
        return found


def replace_view(ws: Workspace, view_id: str, view: dict[str, Any]) -> dict[str, Any]:
    with ws.state.lock:
        old = ws.state.views[view_id]
        built = build_view(
            ws, view, view_id=view_id, root_view_id=old["root_view_id"], previous_view_id=old["previous_view_id"]
        )
        ws.state.views[view_id] = built
        ws.state.view_errors.pop(view_id, None)
        ws.state.version += 1
        return built
