"""Request body limits: a pure ASGI middleware answering 413 before a body over its route's limit is read.

A declared `Content-Length` over the limit is refused before one byte of the body is read; a body sent
without one (chunked) is refused as soon as the bytes received pass the limit, and the app sees the
client go away (nothing is parsed or stored). Every refusal is counted (`on_refused(route)`).

The figures, and why (README, "Request size limits"):

- `/webhooks/meta` 2 MiB — Meta aggregates webhook events "in a batch with a maximum of 1000 updates"
  (Graph API Webhooks docs) and documents no byte size. A Page `feed` comment change is about 600 bytes
  around its text, so 2 MiB takes the documented maximum of 1,000 updates at ≈ 2 KiB each: ≈ 1,400 bytes
  of text apiece (1,400 plain characters, or ≈ 230 characters when Meta escapes every one as `\\uXXXX`).
- `/webhooks/x` 1 MiB — X documents no delivery size; an Account Activity delivery carries one user's
  activities, and even a long post (25,000 characters, repeated in `extended_tweet`) escaped in full
  stays under 320 KB with its user object.
- `/slack/events` 1 MiB — Slack documents no request size either; its largest requests echo one message
  (at most 50 blocks, text truncated at 40,000 characters) or one modal (at most 100 blocks). A
  40,000-character message sent twice (text and rich-text blocks), every character escaped, is ≈ 480 KB.
- `/api/` 64 KiB — one generic comment is at most 20,000 characters of text (bot/comments/ingest.py).
- anything else 1 MiB — the dashboard's forms and `sowana dev`'s local workspace need far less.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)
KiB = 1024
MiB = 1024 * KiB
MAX_BODY_BYTES = 64 * KiB  # `/api/*`


@dataclass(frozen=True)
class BodyLimit:
    prefix: str
    max_bytes: int
    route: str  # the `route` label of sowana_request_body_refused_total


LIMITS: tuple[BodyLimit, ...] = (
    BodyLimit("/webhooks/meta", 2 * MiB, "meta"),
    BodyLimit("/webhooks/x", 1 * MiB, "x"),
    BodyLimit("/slack/events", 1 * MiB, "slack"),
    BodyLimit("/api/", MAX_BODY_BYTES, "api"),
)
DEFAULT_LIMIT = BodyLimit("/", 1 * MiB, "other")


def limit_for(path: str, limits: tuple[BodyLimit, ...] = LIMITS) -> BodyLimit:
    return next((lim for lim in limits if path.startswith(lim.prefix)), DEFAULT_LIMIT)


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length" and value.isdigit():
            return int(value)
    return None


class BodySizeLimit:
    def __init__(
        self,
        app: ASGIApp,
        limits: tuple[BodyLimit, ...] = LIMITS,
        on_refused: Callable[[str], None] | None = None,
    ):
        self.app, self.limits, self.on_refused = app, limits, on_refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["path"], self.limits)
        declared = _declared_length(scope)
        if declared is not None and declared > limit.max_bytes:
            await self._refuse(send, limit)
            return
        received = 0
        started = refused = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # we already answered 413; whatever the app says next goes nowhere
            started = started or message["type"] == "http.response.start"
            await send(message)

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.max_bytes and not refused:
                    if not started:
                        await self._refuse(send, limit)
                    refused = True
                    # The app sees the client go away and stops reading; nothing gets parsed or stored.
                    return {"type": "http.disconnect"}
            return message

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Exception:
            if not refused:
                raise
            # A handler that reads the body itself (Bolt, the webhooks) raises on the disconnect we
            # made up: the client already has its 413, there is nothing else to say.
            log.debug("handler stopped after a 413 on %s", limit.route)

    async def _refuse(self, send: Send, limit: BodyLimit) -> None:
        if self.on_refused is not None:
            self.on_refused(limit.route)
        body = json.dumps({"detail": f"request body over {limit.max_bytes // KiB} KiB"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),  # the rest of the body is never read: don't reuse the connection
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
