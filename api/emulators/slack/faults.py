"""Fault injection for the local workspace's Web API: answer HTTP 500 (Slack's `fatal_error`) to the
next N calls of some methods, the way Slack does during an incident. For the fault tests.

  POST   /workspace/faults  {"fail": 30, "status": 500, "methods": ["chat.postMessage"]}  (no methods = all)
  POST   /workspace/faults  {"hold": 1, "methods": ["chat.postMessage"]}  the next call is served (the
         message is in the channel) but its answer is withheld until DELETE: the caller never learns the
         outcome — a crash or a lost answer between Slack's accepting a post and the bot's recording it
  GET    /workspace/faults  what is left to fail
  DELETE /workspace/faults  back to normal
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse


class ApiFaults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.remaining = 0
        self.status = 500
        self.methods: frozenset[str] = frozenset()
        self.failed: list[str] = []  # methods answered with a fault, in order
        self.hold = 0  # calls still to be served without an answer
        self.held: list[str] = []  # methods served and not answered, in order
        self.released = threading.Event()
        self.released.set()

    def configure(self, fail: int, status: int = 500, methods: list[str] | None = None, hold: int = 0) -> None:
        with self._lock:
            self.remaining, self.status, self.methods = fail, status, frozenset(methods or ())
            self.hold = hold
            if hold:
                self.released.clear()
            else:
                self.released.set()

    def take_hold(self, method: str) -> bool:
        """True when `method`'s answer is to be withheld (the call itself is served)."""
        with self._lock:
            if self.hold <= 0 or (self.methods and method not in self.methods):
                return False
            self.hold -= 1
            self.held.append(method)
            return True

    def take(self, method: str) -> int | None:
        """The status to answer `method` with instead of serving it, or None to serve it."""
        with self._lock:
            if self.remaining <= 0 or (self.methods and method not in self.methods):
                return None
            self.remaining -= 1
            self.failed.append(method)
            return self.status

    def as_dict(self) -> dict[str, Any]:
        return {
            "remaining": self.remaining,
            "status": self.status,
            "methods": sorted(self.methods),
            "failed": len(self.failed),
            "hold": self.hold,
            "held": len(self.held),
        }


def fault_response(status: int) -> JSONResponse:
    return JSONResponse({"ok": False, "error": "fatal_error"}, status_code=status)


def build_router(faults: ApiFaults) -> APIRouter:
    router = APIRouter()

    @router.post("/workspace/faults")
    async def set_faults(request: Request) -> dict[str, Any]:
        body = await request.json()
        faults.configure(
            int(body.get("fail", 0)), int(body.get("status", 500)), body.get("methods"), int(body.get("hold", 0))
        )
        return faults.as_dict()

    @router.get("/workspace/faults")
    def get_faults() -> dict[str, Any]:
        return faults.as_dict()

    @router.delete("/workspace/faults")
    def clear_faults() -> dict[str, Any]:
        faults.configure(0)
        return faults.as_dict()

    return router
