"""What both emulators share: the fault switches, the call log, and signed webhook delivery."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request


@dataclass
class Faults:
    """`next`: fault specs consumed one per API call (e.g. {"status": 500}, {"status": 429, "retry_after": 1});
    the switches apply to every call until turned off."""

    next: deque[dict[str, Any]] = field(default_factory=deque)
    expired_token: bool = False
    missing_permission: bool = False

    def configure(self, body: dict[str, Any]) -> None:
        for spec in body.get("next", []):
            self.next.append(dict(spec))
        if int(body.get("fail", 0)):
            for _ in range(int(body["fail"])):
                self.next.append({"status": int(body.get("status", 500))})
        for switch in ("expired_token", "missing_permission"):
            if switch in body:
                setattr(self, switch, bool(body[switch]))

    def take(self) -> dict[str, Any] | None:
        return self.next.popleft() if self.next else None

    def reset(self) -> None:
        self.next.clear()
        self.expired_token = self.missing_permission = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "next": list(self.next),
            "expired_token": self.expired_token,
            "missing_permission": self.missing_permission,
        }


@dataclass
class Record:
    """Every API call the emulator answered (`calls`) and what it actually published (`published`)."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    published: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    _http: httpx.AsyncClient | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    def http(self) -> httpx.AsyncClient:
        """One client per serving loop (building one costs an SSL context: too slow per delivery)."""
        loop = asyncio.get_running_loop()
        if self._http is None or self._loop is not loop:
            self._http, self._loop = httpx.AsyncClient(timeout=15), loop
        return self._http

    def call(self, request: Request, body: Any, status: int) -> None:
        self.calls.append(
            {
                "method": request.method,
                "path": request.scope.get("emulator.original_path", request.url.path),
                "query": dict(request.query_params),
                "body": body,
                "status": status,
                "at": time.time(),
            }
        )

    def reset(self) -> None:
        self.calls.clear()
        self.published.clear()
        self.deliveries.clear()


async def deliver(url: str, body: bytes, headers: dict[str, str], record: Record) -> dict[str, Any]:
    """POST a signed webhook to the app under test; the outcome is returned and kept."""
    try:
        response = await record.http().post(url, content=body, headers={"Content-Type": "application/json", **headers})
        try:
            answer: Any = response.json()
        except ValueError:
            answer = response.text
        outcome = {"url": url, "status": response.status_code, "response": answer}
    except httpx.HTTPError as exc:
        outcome = {"url": url, "status": None, "error": type(exc).__name__}
    record.deliveries.append(outcome)
    return outcome


async def read_body(request: Request) -> dict[str, Any]:
    """JSON or form body (Graph accepts both); an empty body is an empty dict."""
    ctype = request.headers.get("content-type", "")
    if "application/json" in ctype:
        try:
            data = await request.json()
        except ValueError:
            return {"__invalid_json__": True}
        return data if isinstance(data, dict) else {"__invalid_json__": True}
    if "form" in ctype:
        form = await request.form()
        return {k: v for k, v in form.items() if isinstance(v, str)}
    return {}


def add_control_routes(app: FastAPI, record: Record, faults: Faults, forget: Callable[[], None]) -> None:
    """The control routes both emulators share: what was published and called, the webhooks sent,
    fault injection, and a reset (`forget` clears the emulator's own objects)."""

    @app.get("/_emulator/published")
    def published() -> list[dict[str, Any]]:
        return record.published

    @app.get("/_emulator/calls")
    def calls() -> list[dict[str, Any]]:
        return record.calls

    @app.get("/_emulator/deliveries")
    def deliveries() -> list[dict[str, Any]]:
        return record.deliveries

    @app.post("/_emulator/faults")
    async def set_faults(request: Request) -> dict[str, Any]:
        faults.configure(await read_body(request))
        return faults.as_dict()

    @app.delete("/_emulator/faults")
    def clear_faults() -> dict[str, Any]:
        faults.reset()
        return faults.as_dict()

    @app.post("/_emulator/reset")
    def reset() -> dict[str, bool]:
        forget()
        faults.reset()
        record.reset()
        return {"ok": True}


def toggle(members: set[str], body: dict[str, Any], flag: str) -> list[str]:
    """A control route's on/off switch for one person (`{"id", flag?: true}`): the people now in `members`."""
    person = str(body.get("id"))
    if body.get(flag, True):
        members.add(person)
    else:
        members.discard(person)
    return sorted(members)
