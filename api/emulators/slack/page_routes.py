"""Routes for the page (and the test helpers): act as a user, read the workspace, poll for changes.

Everything a person does here reaches the bot only through the signed Slack requests of
`user_actions`; nothing calls bot code directly.
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response

from api.emulators.slack import user_actions as ua
from api.emulators.slack.core import Workspace, WorkspaceError
from api.emulators.slack.state import format_ts

PAGE_DIR = Path(__file__).parent / "page"
ASSETS = {
    "app.js": "text/javascript",
    "app.css": "text/css",
    "blockkit.js": "text/javascript",
    "emoji.js": "text/javascript",
}


def _err(exc: WorkspaceError) -> JSONResponse:
    status = exc.status if exc.status != 200 else 400
    body: dict[str, Any] = {"ok": False, "error": exc.error}
    if exc.messages:
        body["messages"] = exc.messages
    return JSONResponse(body, status_code=status)


async def _json(request: Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise WorkspaceError("invalid_json") from None
    if not isinstance(data, dict):
        raise WorkspaceError("invalid_json")
    return data


def _base(request: Request) -> str:
    return str(request.base_url)


def snapshot(ws: Workspace, user_id: str, channel_id: str | None, thread_ts: str | None) -> dict[str, Any]:
    cfg = ws.config
    with ws.state.lock:
        stack = ws.state.view_stacks.get(user_id, [])
        view = ws.state.views.get(stack[-1]) if stack else None
        view_errors = ws.state.view_errors.get(stack[-1], {}) if stack else {}
        channels = []
        for ch in cfg.channels:
            msgs = ws.state.messages.get(ch.id, {})
            channels.append({"id": ch.id, "name": ch.name, "topic": ch.topic, "count": len(msgs)})
        recent = [d.as_dict() for d in ws.state.deliveries[-20:]]
        return {
            "version": ws.state.version,
            "team": {"id": cfg.team_id, "name": cfg.team_name, "domain": cfg.team_domain},
            "bot": {"id": cfg.bot_user.id, "name": cfg.bot_user.real_name, "color": cfg.bot_user.color},
            "users": [
                {
                    "id": u.id,
                    "name": u.name,
                    "real_name": u.real_name,
                    "title": u.title,
                    "is_bot": u.is_bot,
                    "color": u.color,
                }
                for u in cfg.all_users()
            ],
            "usergroups": {gid: {"handle": g[0], "users": list(g[1])} for gid, g in cfg.usergroups.items()},
            "channels": channels,
            "commands": [
                {"command": c.command, "description": c.description, "usage_hint": c.usage_hint} for c in cfg.commands
            ],
            "messages": ws.state.channel_messages(channel_id) if channel_id else [],
            "thread": ws.state.thread_messages(channel_id, thread_ts) if channel_id and thread_ts else [],
            "ephemerals": ws.state.ephemerals_for(user_id, channel_id),
            "view": view,
            "view_errors": view_errors,
            "view_depth": len(stack),
            "deliveries": recent,
        }


def build_router(ws: Workspace) -> APIRouter:
    router = APIRouter()

    @router.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(PAGE_DIR / "index.html", media_type="text/html")

    @router.get("/workspace/assets/{name}", include_in_schema=False)
    async def asset(name: str) -> Response:
        if name not in ASSETS:
            return JSONResponse({"ok": False, "error": "not_found"}, status_code=404)
        return FileResponse(PAGE_DIR / name, media_type=ASSETS[name], headers={"Cache-Control": "no-cache"})

    @router.get("/archives/{channel}/{p_ts}", include_in_schema=False)
    async def permalink(channel: str, p_ts: str, thread_ts: str | None = None) -> RedirectResponse:
        ts = format_ts(int(p_ts.removeprefix("p"))) if p_ts.removeprefix("p").isdigit() else ""
        target = f"../../#/{channel}/{thread_ts or ts}" if thread_ts else f"../../#/{channel}/{ts}"
        return RedirectResponse(target)

    @router.get("/workspace/snapshot")
    async def get_snapshot(user: str, channel: str | None = None, thread: str | None = None) -> JSONResponse:
        return JSONResponse(snapshot(ws, user, channel, thread))

    @router.get("/workspace/updates")
    async def updates(request: Request, since: int = 0, timeout: float = 20.0) -> JSONResponse:
        """Long poll: answers as soon as the version moves past `since` (or after `timeout` s)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, min(timeout, 30.0))
        checked = loop.time()
        while ws.state.version <= since and loop.time() < deadline:
            await asyncio.sleep(0.05)
            if loop.time() - checked > 0.5:  # a closed tab must not hold the server's shutdown
                checked = loop.time()
                if await request.is_disconnected():
                    break
        return JSONResponse({"version": ws.state.version})

    @router.get("/workspace/channels/{channel}/messages")
    async def channel_messages(channel: str) -> JSONResponse:
        try:
            ch = ws.require_channel(channel)
        except WorkspaceError as exc:
            return _err(exc)
        return JSONResponse({"ok": True, "messages": ws.state.channel_messages(ch.id)})

    @router.get("/workspace/channels/{channel}/threads/{ts}")
    async def thread(channel: str, ts: str) -> JSONResponse:
        try:
            ch = ws.require_channel(channel)
        except WorkspaceError as exc:
            return _err(exc)
        return JSONResponse({"ok": True, "messages": ws.state.thread_messages(ch.id, ts)})

    @router.get("/workspace/ephemerals")
    async def ephemerals(user: str, channel: str | None = None) -> JSONResponse:
        return JSONResponse({"ok": True, "messages": ws.state.ephemerals_for(user, channel)})

    @router.get("/workspace/views")
    async def open_views(user: str) -> JSONResponse:
        with ws.state.lock:
            stack = [ws.state.views[v] for v in ws.state.view_stacks.get(user, [])]
            errors = {v["id"]: ws.state.view_errors.get(v["id"], {}) for v in stack}
            return JSONResponse({"ok": True, "views": stack, "errors": errors})

    @router.get("/workspace/calls")
    async def calls(method: str | None = None) -> JSONResponse:
        """Every Web API call and response_url post the app made, oldest first (`method` filters)."""
        with ws.state.lock:
            found = [c for c in ws.state.calls if method is None or c["method"] == method]
            return JSONResponse({"ok": True, "calls": found})

    @router.get("/workspace/deliveries")
    async def deliveries() -> JSONResponse:
        with ws.state.lock:
            return JSONResponse({"ok": True, "deliveries": [d.as_dict() for d in ws.state.deliveries]})

    @router.post("/workspace/messages")
    async def post_message(request: Request) -> JSONResponse:
        """The message box: a known `/command …` runs the slash command, anything else is posted."""
        try:
            data = await _json(request)
            text = str(data.get("text") or "")
            first, _, rest = text.strip().partition(" ")
            if first.startswith("/") and not data.get("thread_ts"):
                result = await ua.run_slash(
                    ws, _base(request), data.get("user", ""), data.get("channel", ""), first, rest.strip()
                )
                return JSONResponse({"ok": True, **result})
            msg = ua.post_as_user(
                ws,
                data.get("user", ""),
                data.get("channel", ""),
                text,
                data.get("thread_ts") or None,
                broadcast=bool(data.get("broadcast")),
            )
        except WorkspaceError as exc:
            return _err(exc)
        return JSONResponse({"ok": True, "ts": msg["ts"], "message": msg})

    @router.post("/workspace/commands")
    async def command(request: Request) -> JSONResponse:
        try:
            data = await _json(request)
            result = await ua.run_slash(
                ws,
                _base(request),
                data.get("user", ""),
                data.get("channel", ""),
                str(data.get("command") or ""),
                str(data.get("text") or ""),
            )
        except WorkspaceError as exc:
            return _err(exc)
        return JSONResponse({"ok": True, **result})

    @router.post("/workspace/actions")
    async def action(request: Request) -> JSONResponse:
        try:
            data = await _json(request)
            delivery = await ua.click(
                ws,
                _base(request),
                data.get("user", ""),
                str(data.get("action_id") or ""),
                channel_ref=data.get("channel"),
                ts=data.get("ts"),
                view_id=data.get("view_id"),
                value=data.get("value"),
                block_id=data.get("block_id"),
                selected=data.get("selected"),
            )
        except WorkspaceError as exc:
            return _err(exc)
        return JSONResponse({"ok": True, "delivery": delivery.as_dict()})

    @router.post("/workspace/reactions")
    async def reaction(request: Request) -> JSONResponse:
        try:
            data = await _json(request)
            msg = ua.react(
                ws,
                data.get("user", ""),
                data.get("channel", ""),
                str(data.get("ts") or ""),
                str(data.get("name") or ""),
                remove=bool(data.get("remove")),
            )
        except WorkspaceError as exc:
            return _err(exc)
        return JSONResponse({"ok": True, "reactions": msg.get("reactions", [])})

    @router.post("/workspace/views/{view_id}/submit")
    async def submit(view_id: str, request: Request) -> JSONResponse:
        try:
            data = await _json(request)
            values = data.get("values") or {}
            if not isinstance(values, dict):
                raise WorkspaceError("invalid_values")
            result = await ua.submit_view(ws, data.get("user", ""), view_id, values)
        except WorkspaceError as exc:
            return _err(exc)
        return JSONResponse(result)

    @router.post("/workspace/views/{view_id}/close")
    async def close(view_id: str, request: Request) -> JSONResponse:
        try:
            data = await _json(request)
            await ua.close_view(ws, data.get("user", ""), view_id)
        except WorkspaceError as exc:
            return _err(exc)
        return JSONResponse({"ok": True})

    @router.post("/workspace/response/{token}")
    async def response_url(token: str, request: Request) -> Response:
        try:
            body = ua.parse_response_body(await request.body(), request.headers.get("content-type", ""))
            ws.state.record_call("response_url", body)
            ua.response_url_post(ws, token, body)
        except WorkspaceError as exc:
            return Response(exc.error, status_code=exc.status if exc.status != 200 else 400, media_type="text/plain")
        return Response("ok", media_type="text/plain")

    @router.post("/workspace/url_verification")
    async def url_verification() -> JSONResponse:
        ok = await ws.deliverer.verify_url(secrets.token_urlsafe(24))
        return JSONResponse({"ok": ok})

    return router
