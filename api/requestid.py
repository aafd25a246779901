"""Every HTTP request gets a request id: the caller's `X-Request-ID` when it is safe to log (a proxy's
or load balancer's), else a new one. It is set for everything the request does — a comment stored
keeps it, so the worker and the outbox log under the same id — and sent back in `X-Request-ID`."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.logs import accept_request_id, request_context

HEADER = b"x-request-id"


class RequestId:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope.get("headers") or []).get(HEADER)
        request_id = accept_request_id(sent.decode("latin-1") if sent else None)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (HEADER, request_id.encode())]
            await send(message)

        with request_context(request_id):
            await self.app(scope, receive, send_with_id)
