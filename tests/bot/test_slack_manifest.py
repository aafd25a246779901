"""slack-manifest.yml asks for what the code uses and nothing more: its bot scopes are exactly those of the
Slack Web API methods the code calls and the events and commands it listens to; Sign in with Slack has its
redirect URL and its user scopes.

The methods are read from the code (every `client.<method>(…)` of slack_sdk's WebClient in bot/ and api/,
the local Slack workspace and the platform emulators aside); each method's scopes are those Slack's method
reference lists. A new call to a method missing below fails here until its scopes are written down."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path
from typing import Any

import yaml
from slack_sdk import WebClient

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "slack-manifest.yml"
NOT_SOWANA = (ROOT / "bot" / "workspace", ROOT / "api" / "emulators")

# Bot-token scopes each Web API method needs (docs.slack.dev/reference/methods/<method>, "Required scopes").
# conversations.* need the history scope of the channel's kind: review channels may be public or private.
METHOD_SCOPES: dict[str, set[str]] = {
    "chat.postMessage": {"chat:write"},
    "chat.update": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "chat.getPermalink": set(),  # "No scope required"
    "views.open": set(),  # needs a trigger_id, no scope
    "auth.test": set(),
    "usergroups.users.list": {"usergroups:read"},
    "conversations.history": {"channels:history", "groups:history"},
    "conversations.replies": {"channels:history", "groups:history"},
    "openid.connect.token": set(),  # the app's client id and secret; the user grants the user scopes
}
# Scopes each subscribed event needs (docs.slack.dev/reference/events/<event>).
EVENT_SCOPES: dict[str, set[str]] = {
    "reaction_added": {"reactions:read"},
    "reaction_removed": {"reactions:read"},
    "message.channels": {"channels:history"},
    "message.groups": {"groups:history"},
    "app_mention": {"app_mentions:read"},
}
# Bolt's `message` listener hears messages in public and private channels (the review channel is either).
EVENT_SUBSCRIPTIONS = {"message": {"message.channels", "message.groups"}}


def manifest() -> dict[str, Any]:
    return dict(yaml.safe_load(MANIFEST.read_text()))


def _sources() -> list[tuple[Path, ast.Module]]:
    found = []
    for folder in (ROOT / "bot", ROOT / "api"):
        for path in sorted(folder.rglob("*.py")):
            if any(path.is_relative_to(p) for p in NOT_SOWANA) or "migrations" in path.parts:
                continue
            found.append((path, ast.parse(path.read_text(), str(path))))
    return found


def _web_api_method(name: str) -> str | None:
    """slack_sdk's `chat_postMessage` → "chat.postMessage" (read from the method's own `api_call`)."""
    fn = getattr(WebClient, name, None)
    if fn is None or name.startswith("_") or not callable(fn):
        return None
    found = re.search(r"api_call\(\s*\"([\w.]+)\"", inspect.getsource(fn))
    return found.group(1) if found else None


def methods_called() -> dict[str, list[str]]:
    """Web API method → where the code calls it."""
    found: dict[str, list[str]] = {}
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                method = _web_api_method(node.func.attr)
                if method:
                    found.setdefault(method, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def _decorated(kind: str) -> set[str]:
    """The names given to `@app.<kind>("…")` in bot/listeners."""
    names = set()
    for path, tree in _sources():
        if path.parent != ROOT / "bot" / "listeners":
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == kind
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                names.add(str(node.args[0].value))
    return names


def events_listened() -> set[str]:
    return {sub for name in _decorated("event") for sub in EVENT_SUBSCRIPTIONS.get(name, {name})}


def needed_bot_scopes() -> set[str]:
    scopes = {s for m in methods_called() for s in METHOD_SCOPES[m]}
    scopes |= {s for e in events_listened() for s in EVENT_SCOPES[e]}
    if _decorated("command"):
        scopes.add("commands")
    return scopes


def test_every_web_api_method_called_has_its_scopes_written_down():
    called = methods_called()
    assert {"chat.postMessage", "chat.update", "views.open", "usergroups.users.list"} <= set(called)  # sanity
    unknown = {m: where for m, where in called.items() if m not in METHOD_SCOPES}
    assert unknown == {}, "add these methods and their required scopes to METHOD_SCOPES"
    assert set(METHOD_SCOPES) - set(called) == set(), "a method no longer called: remove it (and its scopes)"


def test_the_manifest_asks_for_exactly_the_bot_scopes_the_code_uses():
    asked = set(manifest()["oauth_config"]["scopes"]["bot"])
    assert asked == needed_bot_scopes()
    # Not asked any more, as nothing calls them: posting where the bot was not invited, adding reactions,
    # reading channel or user info. The bot is invited to its channels (it must be, to hear their threads).
    assert not asked & {"chat:write.public", "reactions:write", "channels:read", "groups:read", "users:read"}


def test_the_manifest_subscribes_to_what_the_listeners_handle():
    settings = manifest()["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == events_listened()
    commands = {c["command"] for c in manifest()["features"]["slash_commands"]}
    assert commands == _decorated("command") == {"/persona", "/sowana"}


def test_sign_in_with_slack_has_its_redirect_url_and_user_scopes():
    from api.routes.dashboard_signin import SCOPES, router

    oauth = manifest()["oauth_config"]
    assert oauth["scopes"]["user"] == SCOPES.split() == ["openid", "profile"]
    callback = router.url_path_for("dashboard_signin_callback")
    assert oauth["redirect_urls"] == [f"https://sowana.example.com{callback}"]
    # Every other URL of the app is Sowana's one Slack endpoint on the same host.
    settings = manifest()["settings"]
    urls = {c["url"] for c in manifest()["features"]["slash_commands"]}
    urls |= {settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"]}
    assert urls == {"https://sowana.example.com/slack/events"}
