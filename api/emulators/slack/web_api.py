"""Slack Web API methods the bot uses, at `{api_prefix}/{method}`, answering Slack's shapes and errors.

Requests may be JSON (token in `Authorization: Bearer`) or form-encoded / query string (token there
too); JSON-typed arguments such as `blocks` and `view` arrive as strings in forms and are decoded here.
Refusals are HTTP 200 `{"ok": false, "error": ...}`, except rate limiting (HTTP 429 + `Retry-After`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.emulators.slack import openid
from api.emulators.slack import views as views_mod
from api.emulators.slack.blockkit import MAX_MESSAGE_TEXT, message_block_errors, view_errors
from api.emulators.slack.core import Workspace, WorkspaceError, with_ids
from api.emulators.slack.faults import fault_response
from api.emulators.slack.state import ts_key
from api.emulators.slack.user_actions import EMOJI_NAME, change_reaction

Params = dict[str, Any]
Handler = Callable[[Workspace, Params, Request], Awaitable[dict[str, Any]]]
JSON_ARGS = ("blocks", "attachments", "view", "metadata")


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("ratelimited")
        self.retry_after = retry_after


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


async def read_params(request: Request) -> tuple[Params, str | None]:
    params: Params = dict(request.query_params)
    token: str | None = params.pop("token", None)
    if request.method == "POST":
        ctype = request.headers.get("content-type", "")
        if ctype.startswith("application/json"):
            try:
                body = json.loads(await request.body() or b"{}")
            except ValueError:
                raise WorkspaceError("invalid_json") from None
            if not isinstance(body, dict):
                raise WorkspaceError("invalid_json")
            params.update(body)  # a token inside a JSON body is ignored, as by Slack
            params.pop("token", None)
        else:
            form = await request.form()
            for key, value in form.items():
                if isinstance(value, str):
                    params[key] = value
            token = params.pop("token", None) or token
    for key in JSON_ARGS:
        if isinstance(params.get(key), str) and params[key].strip():
            try:
                params[key] = json.loads(params[key])
            except ValueError:
                raise WorkspaceError("invalid_blocks_format" if key == "blocks" else "invalid_arguments") from None
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        token = auth[7:].strip()
    return params, token


def check_auth(ws: Workspace, token: str | None) -> None:
    if not token:
        raise WorkspaceError("not_authed")
    if token != ws.config.bot_token:
        raise WorkspaceError("invalid_auth")


def _check_content(params: Params) -> tuple[str, list[dict[str, Any]] | None]:
    text = params.get("text") or ""
    blocks = params.get("blocks")
    if not isinstance(text, str):
        raise WorkspaceError("invalid_arguments")
    if blocks in ("", None):
        blocks = None
    if not text and not blocks and not params.get("attachments"):
        raise WorkspaceError("no_text")
    if len(text) > MAX_MESSAGE_TEXT:
        raise WorkspaceError("msg_too_long")
    if blocks is not None:
        errors = message_block_errors(blocks)
        if errors:
            raise WorkspaceError("invalid_blocks", messages=errors)
    return text, blocks


def _public(message: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(message))


# --- methods ---------------------------------------------------------------------------------


async def auth_test(ws: Workspace, params: Params, request: Request) -> dict[str, Any]:
    return {
        "url": f"https://{ws.config.team_domain}.slack.com/",
        "team": ws.config.team_name,
        "user": ws.config.bot_user.name,
        "team_id": ws.config.team_id,
        "user_id": ws.config.bot_user.id,
        "bot_id": ws.config.bot_id,
        "is_enterprise_install": False,
    }


async def chat_post_message(ws: Workspace, params: Params, request: Request) -> dict[str, Any]:
    channel = ws.require_channel(params.get("channel"))
    text, blocks = _check_content(params)
    thread_ts = params.get("thread_ts") or None
    parent = None
    if thread_ts:
        parent = ws.state.get_message(channel.id, str(thread_ts))
        if parent is None:
            raise WorkspaceError("thread_not_found")
        thread_ts = parent.get("thread_ts") or parent["ts"]  # a reply's ts means its parent's thread
        parent = ws.state.get_message(channel.id, thread_ts)
    wait = ws.limiter.acquire(channel.id)
    if wait:
        raise RateLimited(wait)
    message = ws.new_message(ws.config.bot_user.id, text, blocks, thread_ts)
    if params.get("attachments"):
        message["attachments"] = params["attachments"]
    if params.get("metadata"):
        message["metadata"] = params["metadata"]
    if parent is not None:
        message["parent_user_id"] = parent.get("user")
        if _bool(params.get("reply_broadcast")):
            message["subtype"] = "thread_broadcast"
    ws.state.add_message(channel.id, message)
    return {"channel": channel.id, "ts": message["ts"], "message": _public(message)}


async def chat_update(ws: Workspace, params: Params, request: Request) -> dict[str, Any]:
    channel = ws.require_channel(params.get("channel"))
    if not params.get("ts"):
        raise WorkspaceError("invalid_arguments", messages=["missing required field: ts"])
    with ws.state.lock:
        message = ws.require_message(channel.id, str(params["ts"]))
        if message.get("user") != ws.config.bot_user.id:
            raise WorkspaceError("cant_update_message")
        has_blocks = params.get("blocks") not in (None, "")
        if not params.get("text") and not has_blocks and not message.get("blocks") and not params.get("attachments"):
            raise WorkspaceError("no_text")
        text = params.get("text") or ""
        if len(text) > MAX_MESSAGE_TEXT:
            raise WorkspaceError("msg_too_long")
        if has_blocks:
            errors = message_block_errors(params["blocks"])
            if errors:
                raise WorkspaceError("invalid_blocks", messages=errors)
            if params["blocks"]:
                message["blocks"] = with_ids(params["blocks"])
            else:
                message.pop("blocks", None)  # an empty array removes the blocks
        if "text" in params:
            message["text"] = text
        if params.get("attachments") is not None:
            message["attachments"] = params["attachments"]
        message["edited"] = {"user": ws.config.bot_user.id, "ts": ws.state.new_ts()}
        ws.state.version += 1
        public = _public(message)
    return {"channel": channel.id, "ts": public["ts"], "text": public.get("text", ""), "message": public}


async def chat_post_ephemeral(ws: Workspace, params: Params, request: Request) -> dict[str, Any]:
    channel = ws.require_channel(params.get("channel"))
    user = ws.require_user(params.get("user"))
    text, blocks = _check_content(params)
    message = ws.new_message(ws.config.bot_user.id, text, blocks, params.get("thread_ts") or None)
    ws.state.add_ephemeral(channel.id, user.id, message)
    return {"message_ts": message["ts"]}


async def chat_get_permalink(ws: Workspace, params: Params, request: Request) -> dict[str, Any]:
    channel = ws.require_channel(params.get("channel"))
    message = ws.require_message(channel.id, params.get("message_ts"))
    base = str(request.base_url).rstrip("/")
    link = f"{base}/archives/{channel.id}/p{message['ts'].replace('.', '')}"
    if message.get("thread_ts") and message["thread_ts"] != message["ts"]:
        link += f"?thread_ts={message['thread_ts']}&cid={channel.id}"
    return {"channel": channel.id, "permalink": link}


async def chat_delete(ws: Workspace, params: Params, request: Request) -> dict[str, Any]:
    channel = ws.require_channel(params.get("channel"))
    message = ws.require_message(channel.id, params.get("ts"))
    if message.get("user") != ws.config.bot_user.id:
        raise WorkspaceError("cant_delete_message")
    ws.state.delete_message(channel.id, message["ts"])
    return {"channel": channel.id, "ts": message["ts"]}


def _view_arg(params: Params) -> dict[str, Any]:
    view = params.get("view")
    errors = view_errors(view)
    if errors:
        raise WorkspaceError("invalid_arguments", messages=errors)
    assert isinstance(view, dict)
    return view


async def views_open(ws: Workspace, params: Params, request: Request) -> dict[str, Any]:
    view = _view_arg(params)
    user_id = views_mod.exchange_trigger(ws, params.get("trigger_id"))
    return {"view": _public(views_mod.open_view(ws, user_id, view))}


async def views_push(ws: Workspace, params: Params, request: Request) -> dict[str, Any]:
    view = _view_arg(params)
    user_id = views_mod.exchange_trigger(ws, params.get("trigger_id"))
    return {"view": _public(views_mod.push_view(ws, user_id, view))}


async def views_update(ws: Workspace, params: Params, request: Request) -> dict[str, Any]:
    view = _view_arg(params)
    with ws.state.lock:
        current = views_mod.find_view(ws, params.get("view_id"), params.get("external_id"))
        if params.get("hash") and params["hash"] != current["hash"]:
            raise WorkspaceError("hash_conflict")
        return {"view": _public(views_mod.replace_view(ws, current["id"], view))}


async def reactions_add(ws: Workspace, params: Params, request: Request) -> dict[str, Any]:
    return await _reaction(ws, params, remove=False)


async def reactions_remove(ws: Workspace, params: Params, request: Request) -> dict[str, Any]:
    return await _reaction(ws, params, remove=True)


async def _reaction(ws: Workspace, params: Params, *, remove: bool) -> dict[str, Any]:
    if not params.get("timestamp"):
        raise WorkspaceError("no_item_specified")
    channel = ws.require_channel(params.get("channel"))
    name = str(params.get("name") or "").strip(":")
    if not EMOJI_NAME.match(name):
        raise WorkspaceError("invalid_name")
    with ws.state.lock:
        message = ws.require_message(channel.id, str(params["timestamp"]))
        change_reaction(message, ws.config.bot_user.id, name, remove=remove)
        ws.state.version += 1
    return {}


async def users_info(ws: Workspace, params: Params, request: Request) -> dict[str, Any]:
    return {"user": ws.user_object(ws.require_user(params.get("user")))}


async def conversations_info(ws: Workspace, params: Params, request: Request) -> dict[str, Any]:
    return {"channel": ws.channel_object(ws.require_channel(params.get("channel")))}


def _without_metadata(messages: list[dict[str, Any]], params: Params) -> list[dict[str, Any]]:
    """Slack returns a message's `metadata` only when asked with `include_all_metadata`."""
    if _bool(params.get("include_all_metadata")):
        return messages
    return [{k: v for k, v in m.items() if k != "metadata"} for m in messages]


def _time_window(messages: list[dict[str, Any]], params: Params) -> list[dict[str, Any]]:
    """`oldest` / `latest` bounds, exclusive unless `inclusive` (as conversations.history)."""
    inclusive = _bool(params.get("inclusive"))
    if params.get("oldest"):
        low = ts_key(str(params["oldest"]))
        messages = [m for m in messages if ts_key(m["ts"]) > low or (inclusive and ts_key(m["ts"]) == low)]
    if params.get("latest"):
        high = ts_key(str(params["latest"]))
        messages = [m for m in messages if ts_key(m["ts"]) < high or (inclusive and ts_key(m["ts"]) == high)]
    return messages


def _page(messages: list[dict[str, Any]], params: Params, *, default: int, most: int) -> dict[str, Any]:
    """One page of `messages` at the `cursor` (an offset), `limit` long, with the cursor of the next."""
    try:
        limit = max(1, min(int(params.get("limit") or default), most))
        start = int(params.get("cursor") or 0)
    except ValueError:
        raise WorkspaceError("invalid_cursor") from None
    more = start + limit < len(messages)
    return {
        "messages": _without_metadata(messages[start : start + limit], params),
        "has_more": more,
        "response_metadata": {"next_cursor": str(start + limit) if more else ""},
    }


async def conversations_history(ws: Workspace, params: Params, request: Request) -> dict[str, Any]:
    """Top-level messages, newest first, paged with a cursor (limit 1-999, default 100)."""
    channel = ws.require_channel(params.get("channel"))
    messages = _time_window(ws.state.channel_messages(channel.id), params)[::-1]
    return {
        **_page(messages, params, default=100, most=999),
        "pin_count": 0,
        "channel_actions_ts": None,
        "channel_actions_count": 0,
    }


async def conversations_replies(ws: Workspace, params: Params, request: Request) -> dict[str, Any]:
    channel = ws.require_channel(params.get("channel"))
    ts = params.get("ts")
    if not ts:
        raise WorkspaceError("invalid_arguments", messages=["missing required field: ts"])
    message = ws.state.get_message(channel.id, str(ts))
    if message is None:
        raise WorkspaceError("thread_not_found")
    thread = ws.state.thread_messages(channel.id, message.get("thread_ts") or message["ts"])
    if params.get("oldest"):
        thread = [m for m in thread if ts_key(m["ts"]) >= ts_key(str(params["oldest"]))]
    if params.get("latest"):
        thread = [m for m in thread if ts_key(m["ts"]) <= ts_key(str(params["latest"]))]
    return _page(thread, params, default=1000, most=1000)


async def usergroups_users_list(ws: Workspace, params: Params, request: Request) -> dict[str, Any]:
    group = ws.config.usergroups.get(str(params.get("usergroup") or ""))
    if group is None:
        raise WorkspaceError("no_such_subteam")
    return {"users": list(group[1])}


METHODS: dict[str, Handler] = {
    "auth.test": auth_test,
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.getPermalink": chat_get_permalink,
    "chat.delete": chat_delete,
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "reactions.add": reactions_add,
    "reactions.remove": reactions_remove,
    "users.info": users_info,
    "conversations.info": conversations_info,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
    "usergroups.users.list": usergroups_users_list,
}


def error_response(exc: WorkspaceError) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error": exc.error}
    if exc.messages:
        body["errors"] = exc.messages
        body["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in exc.messages]}
    return JSONResponse(body, status_code=exc.status)


def build_router(ws: Workspace) -> APIRouter:
    router = APIRouter()

    @router.api_route("/{method}", methods=["GET", "POST"])
    async def call(method: str, request: Request) -> JSONResponse:
        handler = METHODS.get(method)
        try:
            params, token = await read_params(request)
            if method not in openid.METHODS:  # the sign-in exchange carries the app's secret: not kept
                ws.state.record_call(method, params)
            if method in openid.METHODS:  # the app's credentials or the user's token, not the bot's
                return JSONResponse(
                    {"ok": True, **await openid.METHODS[method](ws, {**params, "token": token}, request)}
                )
            check_auth(ws, token)
            if handler is None:
                raise WorkspaceError("unknown_method")
            fault = ws.faults.take(method)
            if fault is not None:
                return fault_response(fault)
            held = ws.faults.take_hold(method)
            result = await handler(ws, params, request)
            if held:  # served; the answer never comes while the fault lasts
                while not ws.faults.released.is_set():
                    await asyncio.sleep(0.05)
                return fault_response(504)
        except WorkspaceError as exc:
            return error_response(exc)
        except RateLimited as exc:
            return JSONResponse(
                {"ok": False, "error": "ratelimited"},
                status_code=429,
                headers={"Retry-After": str(exc.retry_after)},
            )
        return JSONResponse({"ok": True, **result})

    return router
