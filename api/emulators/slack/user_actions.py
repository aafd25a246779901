"""What a person does in the workspace (post, run a slash command, click, react, submit a modal).

Each action changes the workspace like Slack's client would and sends the bot the signed request Slack
would send. Interactive actions wait for the bot's ack; events are sent in the background.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any
from urllib.parse import parse_qs, urlencode

from api.emulators.slack import payloads
from api.emulators.slack.blockkit import message_block_errors
from api.emulators.slack.core import Workspace, WorkspaceError, find_element, with_ids
from api.emulators.slack.delivery import FORM, JSON
from api.emulators.slack.state import Delivery, Message
from api.emulators.slack.views import push_view, replace_view

EMOJI_NAME = re.compile(r"^[a-z0-9_+\-']{1,100}$")
SLACKBOT = "USLACKBOT"


def _form_body(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload, ensure_ascii=False)}).encode()


def emit_event(ws: Workspace, event: dict[str, Any]) -> None:
    """Send an Events API callback if the app subscribed to this event type."""
    if event["type"] not in ws.config.events:
        return
    envelope = payloads.event_callback(ws.config, event)
    body = json.dumps(envelope, ensure_ascii=False).encode()
    ws.deliverer.send_later(
        "event_callback", event["type"], event.get("user"), body, JSON, event_id=envelope["event_id"]
    )


def post_as_user(
    ws: Workspace,
    user_id: str,
    channel_ref: str,
    text: str,
    thread_ts: str | None = None,
    *,
    broadcast: bool = False,
) -> Message:
    user = ws.require_user(user_id)
    channel = ws.require_channel(channel_ref)
    if not text.strip():
        raise WorkspaceError("no_text")
    if len(text) > 40_000:
        raise WorkspaceError("msg_too_long")
    if thread_ts:
        parent = ws.require_message(channel.id, thread_ts)
        thread_ts = parent.get("thread_ts") or parent["ts"]
    message = ws.new_message(user.id, text, thread_ts=thread_ts)
    if thread_ts:
        parent_msg = ws.state.get_message(channel.id, thread_ts)
        message["parent_user_id"] = parent_msg["user"] if parent_msg else None
        if broadcast:
            message["subtype"] = "thread_broadcast"
    ws.state.add_message(channel.id, message)
    emit_event(ws, payloads.message_event(channel, message))
    if f"<@{ws.config.bot_user.id}>" in text:
        emit_event(ws, payloads.app_mention_event(channel, message))
    return message


async def run_slash(
    ws: Workspace, base_url: str, user_id: str, channel_ref: str, command: str, text: str
) -> dict[str, Any]:
    user = ws.require_user(user_id)
    channel = ws.require_channel(channel_ref)
    if command not in {c.command for c in ws.config.commands}:
        raise WorkspaceError("unknown_command", status=404)
    trigger = ws.state.new_trigger(user.id)
    response_url = ws.new_response_url(base_url, user.id, channel.id)
    body = payloads.slash_command_body(ws.config, user, channel, command, text, trigger, response_url)
    delivery = await ws.deliverer.send("slash_command", command, user.id, body, FORM)
    answer = delivery.response_body
    if not delivery.acked:
        reason = "operation_timeout" if _timed_out(delivery) else "dispatch_failed"
        ws.state.add_ephemeral(
            channel.id,
            user.id,
            ws.new_message(SLACKBOT, f'{command} failed with the error "{reason}"'),
        )
    elif isinstance(answer, dict) and (answer.get("text") or answer.get("blocks")):
        show_response(ws, channel.id, user.id, answer)
    elif isinstance(answer, str) and answer.strip():
        show_response(ws, channel.id, user.id, {"text": answer})
    return {"delivery": delivery.as_dict()}


def _timed_out(delivery: Delivery) -> bool:
    return any(a.error == "http_timeout" for a in delivery.attempts)


def show_response(
    ws: Workspace, channel_id: str, user_id: str, answer: dict[str, Any], thread_ts: str | None = None
) -> None:
    """A slash-command answer or response_url post: ephemeral unless response_type is in_channel."""
    message = ws.new_message(ws.config.bot_user.id, answer.get("text") or "", answer.get("blocks"), thread_ts)
    if answer.get("response_type") == "in_channel":
        ws.state.add_message(channel_id, message)
    else:
        ws.state.add_ephemeral(channel_id, user_id, message)


async def click(
    ws: Workspace,
    base_url: str,
    user_id: str,
    action_id: str,
    *,
    channel_ref: str | None = None,
    ts: str | None = None,
    view_id: str | None = None,
    value: str | None = None,
    block_id: str | None = None,
    selected: str | None = None,
) -> Delivery:
    """A button press (value picks among same-id buttons) or a select/overflow choice (`selected`)."""
    user = ws.require_user(user_id)
    trigger = ws.state.new_trigger(user.id)
    action_ts = f"{time.time():.6f}"
    if view_id:
        with ws.state.lock:
            view = ws.state.views.get(view_id)
            if view is None:
                raise WorkspaceError("view_not_found", status=404)
            found = find_element(view.get("blocks", []), action_id, value=value, block_id=block_id)
            if found is None:
                raise WorkspaceError("action_not_found", status=404)
            action = _action(found, selected, action_ts)
            if "selected_option" in action:
                _set_state(view, found[0]["block_id"], action_id, action)
            payload = payloads.block_actions(ws.config, user, action, trigger, view=json.loads(json.dumps(view)))
        delivery = await ws.deliverer.send("block_actions", action_id, user.id, _form_body(payload), FORM)
        return delivery
    channel = ws.require_channel(channel_ref)
    ephemeral = ws.state.find_ephemeral(user.id, ts or "")
    message = ephemeral.message if ephemeral else ws.require_message(channel.id, ts)
    found = find_element(message.get("blocks", []), action_id, value=value, block_id=block_id)
    if found is None:
        raise WorkspaceError("action_not_found", status=404)
    action = _action(found, selected, action_ts)
    response_url = ws.new_response_url(
        base_url,
        user.id,
        channel.id,
        message["ts"],
        is_ephemeral=ephemeral is not None,
        thread_ts=message.get("thread_ts"),
    )
    payload = payloads.block_actions(
        ws.config,
        user,
        action,
        trigger,
        channel=channel,
        message=json.loads(json.dumps(message)),
        is_ephemeral=ephemeral is not None,
        response_url=response_url,
    )
    if "selected_option" in action:
        payload["state"] = {"values": {found[0]["block_id"]: {action_id: _state_entry(action)}}}
    return await ws.deliverer.send("block_actions", action_id, user.id, _form_body(payload), FORM)


def _action(found: tuple[dict[str, Any], dict[str, Any]], selected: str | None, action_ts: str) -> dict[str, Any]:
    try:
        return payloads.action_payload(found[0], found[1], selected_value=selected, action_ts=action_ts)
    except ValueError:
        raise WorkspaceError("option_not_found", status=404) from None


def _state_entry(action: dict[str, Any]) -> dict[str, Any]:
    return {"type": action["type"], "selected_option": action.get("selected_option")}


def _set_state(view: dict[str, Any], block_id: str, action_id: str, action: dict[str, Any]) -> None:
    view.setdefault("state", {"values": {}}).setdefault("values", {}).setdefault(block_id, {})[action_id] = (
        _state_entry(action)
    )


def react(ws: Workspace, user_id: str, channel_ref: str, ts: str, name: str, *, remove: bool = False) -> Message:
    user = ws.require_user(user_id)
    channel = ws.require_channel(channel_ref)
    name = name.strip(":")
    if not EMOJI_NAME.match(name):
        raise WorkspaceError("invalid_name")
    with ws.state.lock:
        message = ws.require_message(channel.id, ts)
        change_reaction(message, user.id, name, remove=remove)
        ws.state.version += 1
        snapshot = json.loads(json.dumps(message))
    kind = "reaction_removed" if remove else "reaction_added"
    emit_event(ws, payloads.reaction_event(kind, user.id, name, channel.id, snapshot, ws.state.new_ts()))
    return snapshot


def change_reaction(message: Message, user_id: str, name: str, *, remove: bool) -> None:
    """Add or remove one user's reaction; raises Slack's already_reacted / no_reaction."""
    reactions: list[dict[str, Any]] = message.setdefault("reactions", [])
    entry = next((r for r in reactions if r["name"] == name), None)
    if remove:
        if entry is None or user_id not in entry["users"]:
            raise WorkspaceError("no_reaction")
        entry["users"].remove(user_id)
        entry["count"] -= 1
        if not entry["users"]:
            reactions.remove(entry)
        if not reactions:
            message.pop("reactions")
        return
    if entry is None:
        reactions.append({"name": name, "users": [user_id], "count": 1})
    elif user_id in entry["users"]:
        raise WorkspaceError("already_reacted")
    else:
        entry["users"].append(user_id)
        entry["count"] += 1


def view_state(view: dict[str, Any], values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Slack's `view.state.values` from what the user entered, plus client-side errors (required fields).

    `values` maps an input's action_id (or block_id) to a string, a list of strings (multi-selects,
    checkboxes) or None; inputs not mentioned keep their initial value, as in Slack's client.
    """
    state: dict[str, Any] = {}
    errors: dict[str, str] = {}
    prior = (view.get("state") or {}).get("values") or {}
    for block in view.get("blocks", []):
        if block.get("type") != "input" or not isinstance(block.get("element"), dict):
            continue
        el = block["element"]
        bid, aid = block["block_id"], el["action_id"]
        if aid in values:
            raw = values[aid]
        elif bid in values:
            raw = values[bid]
        else:
            raw = _initial(el)
        entry = _input_entry(el, raw)
        if entry is None:
            errors[bid] = "Please choose a valid option."
            continue
        state[bid] = {aid: entry}
        if not block.get("optional") and _empty(entry):
            errors[bid] = "Please complete this required field."
        min_length = el.get("min_length")
        text = entry.get("value")
        if isinstance(min_length, int) and isinstance(text, str) and text and len(text) < min_length:
            errors[bid] = f"Must be at least {min_length} characters."
        if isinstance(el.get("max_length"), int) and isinstance(text, str) and len(text) > el["max_length"]:
            errors[bid] = f"Must be at most {el['max_length']} characters."
    for bid, actions in prior.items():  # selections made with block_actions inside the modal
        state.setdefault(bid, actions)
    return {"values": state}, errors


def _initial(el: dict[str, Any]) -> Any:
    if "initial_value" in el:
        return el["initial_value"]
    if "initial_option" in el:
        return el["initial_option"].get("value")
    if "initial_options" in el:
        return [o.get("value") for o in el["initial_options"]]
    for key in ("initial_user", "initial_conversation", "initial_channel", "initial_date", "initial_time"):
        if key in el:
            return el[key]
    return None


def _input_entry(el: dict[str, Any], raw: Any) -> dict[str, Any] | None:
    kind = el.get("type")
    entry: dict[str, Any] = {"type": kind}
    if kind in ("static_select", "radio_buttons"):
        if raw in (None, ""):
            entry["selected_option"] = None
        else:
            option = payloads.find_option(el, str(raw))
            if option is None:
                return None
            entry["selected_option"] = option
    elif kind in ("multi_static_select", "checkboxes"):
        chosen = [raw] if isinstance(raw, str) else list(raw or [])
        options = [payloads.find_option(el, str(v)) for v in chosen]
        if any(o is None for o in options):
            return None
        entry["selected_options"] = options
    elif kind == "users_select":
        entry["selected_user"] = raw or None
    elif kind in ("conversations_select", "channels_select"):
        entry["selected_conversation" if kind == "conversations_select" else "selected_channel"] = raw or None
    elif kind == "datepicker":
        entry["selected_date"] = raw or None
    elif kind == "timepicker":
        entry["selected_time"] = raw or None
    else:
        entry["value"] = None if raw in (None, "") else str(raw)
    return entry


def _empty(entry: dict[str, Any]) -> bool:
    return all(v in (None, "", []) for k, v in entry.items() if k != "type")


async def submit_view(ws: Workspace, user_id: str, view_id: str, values: dict[str, Any]) -> dict[str, Any]:
    user = ws.require_user(user_id)
    with ws.state.lock:
        view = ws.state.views.get(view_id)
        if view is None or view_id not in ws.state.view_stacks.get(user.id, []):
            raise WorkspaceError("view_not_found", status=404)
        state, errors = view_state(view, values)
        if errors:  # Slack's client refuses to send; the modal shows the errors
            ws.state.view_errors[view_id] = errors
            ws.state.version += 1
            return {"ok": False, "errors": errors, "delivery": None}
        view["state"] = state
        submitted = json.loads(json.dumps(view))
    trigger = ws.state.new_trigger(user.id)
    payload = payloads.view_submission(ws.config, user, submitted, trigger)
    delivery = await ws.deliverer.send(
        "view_submission", str(view.get("callback_id") or view_id), user.id, _form_body(payload), FORM
    )
    if not delivery.acked:
        errors = {"__view__": "We had some trouble connecting. Try again?"}
        with ws.state.lock:
            ws.state.view_errors[view_id] = errors
            ws.state.version += 1
        return {"ok": False, "errors": errors, "delivery": delivery.as_dict()}
    return apply_response_action(ws, user.id, view_id, delivery)


def apply_response_action(ws: Workspace, user_id: str, view_id: str, delivery: Delivery) -> dict[str, Any]:
    answer = delivery.response_body if isinstance(delivery.response_body, dict) else {}
    action = answer.get("response_action")
    with ws.state.lock:
        stack = ws.state.view_stacks.setdefault(user_id, [])
        ws.state.view_errors.pop(view_id, None)
        result: dict[str, Any] = {"ok": True, "delivery": delivery.as_dict(), "response_action": action}
        if action == "errors":
            errors = {str(k): str(v) for k, v in (answer.get("errors") or {}).items()}
            ws.state.view_errors[view_id] = errors
            result.update(ok=False, errors=errors)
        elif action == "update" and isinstance(answer.get("view"), dict):
            replace_view(ws, view_id, answer["view"])
        elif action == "push" and isinstance(answer.get("view"), dict):
            push_view(ws, user_id, answer["view"])
        elif action == "clear":
            stack.clear()
        elif view_id in stack:
            stack.remove(view_id)
        ws.state.version += 1
        return result


async def close_view(ws: Workspace, user_id: str, view_id: str) -> None:
    user = ws.require_user(user_id)
    with ws.state.lock:
        stack = ws.state.view_stacks.get(user.id, [])
        if view_id not in stack:
            raise WorkspaceError("view_not_found", status=404)
        view = ws.state.views[view_id]
        clear = bool(view.get("clear_on_close"))
        closed = list(stack) if clear else [view_id]
        for vid in closed:
            stack.remove(vid)
        notify = bool(view.get("notify_on_close"))
        snapshot = json.loads(json.dumps(view))
        ws.state.version += 1
    if notify:
        payload = payloads.view_closed(ws.config, user, snapshot)
        payload["is_cleared"] = clear
        await ws.deliverer.send(
            "view_closed", str(view.get("callback_id") or view_id), user.id, _form_body(payload), FORM
        )


def response_url_post(ws: Workspace, token: str, body: dict[str, Any]) -> None:
    """A post to a response_url: ephemeral/in_channel message, replace_original or delete_original."""
    with ws.state.lock:
        ru = ws.state.response_urls.get(token)
        if ru is None or time.monotonic() - ru.created > ws.config.response_url_ttl_s:
            raise WorkspaceError("expired_url", status=404)
        if ru.uses >= ws.config.response_url_uses:
            raise WorkspaceError("used_url", status=404)
        if "blocks" in body:
            errs = message_block_errors(body["blocks"])
            if errs:
                raise WorkspaceError("invalid_blocks", status=400, messages=errs)
        ru.uses += 1
        channel_id = ru.channel_id or ""
        if _truthy(body.get("delete_original")) and ru.message_ts:
            _delete_original(ws, channel_id, ru.user_id, ru.message_ts, ru.is_ephemeral)
            return
        if not body.get("text") and not body.get("blocks"):
            raise WorkspaceError("no_text", status=400)
        if _truthy(body.get("replace_original")) and ru.message_ts:
            _replace_original(ws, channel_id, ru.user_id, ru.message_ts, ru.is_ephemeral, body)
            return
        show_response(ws, channel_id, ru.user_id, body, thread_ts=body.get("thread_ts") or ru.thread_ts)


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def _replace_original(
    ws: Workspace, channel_id: str, user_id: str, ts: str, is_ephemeral: bool, body: dict[str, Any]
) -> None:
    if is_ephemeral:
        eph = ws.state.find_ephemeral(user_id, ts)
        if eph is None:
            raise WorkspaceError("message_not_found", status=404)
        target = eph.message
    else:
        target = ws.require_message(channel_id, ts)
    target["text"] = body.get("text") or ""
    if body.get("blocks"):
        target["blocks"] = with_ids(body["blocks"])
    else:
        target.pop("blocks", None)
    ws.state.version += 1


def _delete_original(ws: Workspace, channel_id: str, user_id: str, ts: str, is_ephemeral: bool) -> None:
    if is_ephemeral:
        eph = ws.state.find_ephemeral(user_id, ts)
        if eph is not None:
            ws.state.ephemerals.remove(eph)
    else:
        ws.state.messages.get(channel_id, {}).pop(ts, None)
    ws.state.version += 1


def parse_response_body(raw: bytes, content_type: str) -> dict[str, Any]:
    """response_url accepts JSON (what slack_sdk's WebhookClient sends) or a form `payload`."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        form = parse_qs(raw.decode())
        raw = (form.get("payload") or ["{}"])[0].encode()
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise WorkspaceError("invalid_payload", status=400) from None
    if not isinstance(data, dict):
        raise WorkspaceError("invalid_payload", status=400)
    return data
