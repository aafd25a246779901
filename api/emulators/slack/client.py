"""Drive the local workspace over HTTP as its users would (for tests of every feature).

with run_workspace(WorkspaceConfig(request_url=bot_url)) as base_url:
    ws = WorkspaceClient(base_url)
    ts = ws.post_message("U0CM", "C0REVIEW", "Bonjour 👋")
    ws.click("U0CM", "C0REVIEW", review_ts, "approve_reply", value=proposal_id)
    ws.wait_for(lambda: "Approuvé" in ws.messages("C0REVIEW")[-1]["text"])
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx

from api.emulators.slack.config import WorkspaceConfig
from api.emulators.slack.server import create_workspace_app
from api.emulators.slack.serving import serve_in_thread

T = TypeVar("T")


class WorkspaceClientError(Exception):
    def __init__(self, status: int, error: str, messages: list[str] | None = None) -> None:
        super().__init__(f"{status} {error}")
        self.status = status
        self.error = error
        self.messages = messages or []


class WorkspaceClient:
    def __init__(self, base_url: str, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout, trust_env=False)

    @property
    def api_url(self) -> str:
        """The value for SLACK_API_URL / `WebClient(base_url=...)`."""
        return f"{self.base_url}/api/"

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> WorkspaceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing ------------------------------------------------------------------------------
    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._check(self.http.post(path, json=body))

    def _get(self, path: str, **params: Any) -> dict[str, Any]:
        return self._check(self.http.get(path, params={k: v for k, v in params.items() if v is not None}))

    @staticmethod
    def _check(resp: httpx.Response) -> dict[str, Any]:
        data = resp.json()
        if resp.status_code >= 400 or data.get("ok") is False and "error" in data and "errors" not in data:
            raise WorkspaceClientError(resp.status_code, str(data.get("error")), data.get("messages"))
        return dict(data)

    # --- acting as a user ----------------------------------------------------------------------
    def post_message(
        self, user: str, channel: str, text: str, thread_ts: str | None = None, *, broadcast: bool = False
    ) -> str:
        """Post as `user` (a message event reaches the bot); returns the new message's ts."""
        data = self._post(
            "/workspace/messages",
            {"user": user, "channel": channel, "text": text, "thread_ts": thread_ts, "broadcast": broadcast},
        )
        return str(data["ts"])

    def slash(self, user: str, channel: str, command: str, text: str = "") -> dict[str, Any]:
        """Run a slash command; returns the delivery record (status, acked in time…)."""
        return dict(
            self._post("/workspace/commands", {"user": user, "channel": channel, "command": command, "text": text})[
                "delivery"
            ]
        )

    def click(
        self,
        user: str,
        channel: str,
        ts: str,
        action_id: str,
        value: str | None = None,
        *,
        block_id: str | None = None,
    ) -> dict[str, Any]:
        """Press a button of a message (or of the user's ephemeral); `value` picks among same-id buttons."""
        return dict(
            self._post(
                "/workspace/actions",
                {
                    "user": user,
                    "channel": channel,
                    "ts": ts,
                    "action_id": action_id,
                    "value": value,
                    "block_id": block_id,
                },
            )["delivery"]
        )

    def select(
        self,
        user: str,
        channel: str,
        ts: str,
        action_id: str,
        option_value: str,
        *,
        block_id: str | None = None,
    ) -> dict[str, Any]:
        """Choose an option of a static select or overflow menu in a message."""
        return dict(
            self._post(
                "/workspace/actions",
                {
                    "user": user,
                    "channel": channel,
                    "ts": ts,
                    "action_id": action_id,
                    "selected": option_value,
                    "block_id": block_id,
                },
            )["delivery"]
        )

    def click_in_view(
        self, user: str, view_id: str, action_id: str, value: str | None = None, selected: str | None = None
    ) -> dict[str, Any]:
        return dict(
            self._post(
                "/workspace/actions",
                {"user": user, "view_id": view_id, "action_id": action_id, "value": value, "selected": selected},
            )["delivery"]
        )

    def react(self, user: str, channel: str, ts: str, name: str) -> list[dict[str, Any]]:
        return list(
            self._post("/workspace/reactions", {"user": user, "channel": channel, "ts": ts, "name": name})["reactions"]
        )

    def unreact(self, user: str, channel: str, ts: str, name: str) -> list[dict[str, Any]]:
        return list(
            self._post(
                "/workspace/reactions", {"user": user, "channel": channel, "ts": ts, "name": name, "remove": True}
            )["reactions"]
        )

    def submit_view(self, user: str, view_id: str, values: dict[str, Any] | None = None) -> dict[str, Any]:
        """Submit the modal; `values` maps an input's action_id (or block_id) to its value.

        Returns {"ok": bool, "errors": {...} (if the modal stayed open), "delivery": ..., "response_action"}.
        """
        return self._post(f"/workspace/views/{view_id}/submit", {"user": user, "values": values or {}})

    def close_view(self, user: str, view_id: str) -> None:
        self._post(f"/workspace/views/{view_id}/close", {"user": user})

    def verify_url(self) -> bool:
        return bool(self._post("/workspace/url_verification", {})["ok"])

    # --- reading -------------------------------------------------------------------------------
    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Top-level messages of a channel, oldest first (replies are in `thread`)."""
        return list(self._get(f"/workspace/channels/{channel}/messages")["messages"])

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """The parent message then its replies."""
        return list(self._get(f"/workspace/channels/{channel}/threads/{ts}")["messages"])

    def ephemerals(self, user: str, channel: str | None = None) -> list[dict[str, Any]]:
        return list(self._get("/workspace/ephemerals", user=user, channel=channel)["messages"])

    def views(self, user: str) -> list[dict[str, Any]]:
        """The user's open modals, bottom of the stack first."""
        return list(self._get("/workspace/views", user=user)["views"])

    def open_view(self, user: str) -> dict[str, Any] | None:
        stack = self.views(user)
        return stack[-1] if stack else None

    def view_errors(self, user: str) -> dict[str, dict[str, str]]:
        return dict(self._get("/workspace/views", user=user)["errors"])

    def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        """What the app sent to the workspace: [{"method": "chat.postMessage", "params": {...}}, …];
        slash-command answers appear as method "response_url"."""
        return list(self._get("/workspace/calls", method=method)["calls"])

    def deliveries(self) -> list[dict[str, Any]]:
        return list(self._get("/workspace/deliveries")["deliveries"])

    def wait_for(
        self, predicate: Callable[[], T | None], timeout: float = 15.0, interval: float = 0.05, what: str = "condition"
    ) -> T:
        return wait_for(predicate, timeout, what, interval)


def wait_for(
    predicate: Callable[[], T | None], timeout: float = 15.0, what: str = "condition", interval: float = 0.05
) -> T:
    """Poll until `predicate()` returns something truthy (returned); TimeoutError otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not met within {timeout:.1f}s")
        time.sleep(interval)


@contextmanager
def run_workspace(config: WorkspaceConfig | None = None, port: int = 0) -> Iterator[str]:
    """Serve a fresh workspace on loopback in a background thread; yields its base URL."""
    app = create_workspace_app(config or WorkspaceConfig())
    with serve_in_thread(app, port=port) as base_url:
        yield base_url
