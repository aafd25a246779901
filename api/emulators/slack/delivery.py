"""Sends signed requests to the bot the way Slack does, records acks, retries failed events.

Slack waits 3 s for an answer. Events that fail (no answer in time, connection refused, non-2xx) are
retried up to 3 times with `X-Slack-Retry-Num` and `X-Slack-Retry-Reason`; interactivity and slash
commands are not retried (Slack shows the user an error instead).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import httpx

from api.emulators.slack.config import WorkspaceConfig
from api.emulators.slack.signing import signed_headers
from api.emulators.slack.state import Delivery, DeliveryAttempt, WorkspaceState

log = logging.getLogger(__name__)

USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


class Deliverer:
    def __init__(self, config: WorkspaceConfig, state: WorkspaceState) -> None:
        self.config = config
        self.state = state
        self.request_url = config.request_url  # settable: tests learn the bot's port after start-up
        self._tasks: set[asyncio.Task[None]] = set()  # keep references so retries are not collected

    async def send(
        self,
        kind: str,
        summary: str,
        user_id: str | None,
        body: bytes,
        content_type: str,
        *,
        event_id: str | None = None,
    ) -> Delivery:
        """One delivery, waiting for the bot's answer (at most the ack timeout)."""
        delivery = self.state.new_delivery(kind, summary, user_id, event_id)
        ok, reason = await self._attempt(delivery, body, content_type, 0, None)
        if not ok and kind == "event_callback" and reason != "no_request_url":
            self.spawn(self._retry(delivery, body, content_type, reason))
        else:
            self._finish(delivery)
        return delivery

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def send_later(
        self,
        kind: str,
        summary: str,
        user_id: str | None,
        body: bytes,
        content_type: str,
        *,
        event_id: str | None = None,
    ) -> None:
        """Fire-and-forget (events): the user's action does not wait for the bot."""
        self.spawn(self.send(kind, summary, user_id, body, content_type, event_id=event_id))

    async def _retry(self, delivery: Delivery, body: bytes, content_type: str, reason: str | None) -> None:
        for num, delay in enumerate(self.config.event_retry_delays_s[:3], start=1):
            await asyncio.sleep(delay)
            ok, reason = await self._attempt(delivery, body, content_type, num, reason)
            if ok:
                break
        self._finish(delivery)

    def _finish(self, delivery: Delivery) -> None:
        with self.state.lock:
            delivery.done = True
            self.state.version += 1

    async def _attempt(
        self, delivery: Delivery, body: bytes, content_type: str, retry_num: int, reason: str | None
    ) -> tuple[bool, str | None]:
        url = self.request_url
        if not url:
            self._record(delivery, DeliveryAttempt(retry_num, None, 0.0, False, "no_request_url"))
            return False, "no_request_url"
        headers = {"Content-Type": content_type, "User-Agent": USER_AGENT}
        headers.update(signed_headers(self.config.signing_secret, body))
        if retry_num:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = reason or "http_error"
        start = time.monotonic()
        status: int | None = None
        error: str | None = None
        parsed: Any = None
        try:
            async with httpx.AsyncClient(trust_env=False, timeout=self.config.ack_timeout_s) as client:
                resp = await client.post(url, content=body, headers=headers)
            status = resp.status_code
            parsed = _parse_body(resp)
            if not 200 <= status < 300:
                error = "http_error"
        except httpx.TimeoutException:
            error = "http_timeout"
        except httpx.HTTPError:
            error = "connection_failed"
        elapsed = (time.monotonic() - start) * 1000
        in_time = error is None and elapsed <= self.config.ack_timeout_s * 1000
        if error is None and not in_time:
            error = "http_timeout"
        if error:
            log.info("delivery %s (%s) attempt %d failed: %s", delivery.id, delivery.kind, retry_num, error)
        with self.state.lock:
            if parsed is not None:
                delivery.response_body = parsed
        self._record(delivery, DeliveryAttempt(retry_num, status, round(elapsed, 1), in_time, error))
        return error is None, error

    def _record(self, delivery: Delivery, attempt: DeliveryAttempt) -> None:
        with self.state.lock:
            delivery.attempts.append(attempt)
            self.state.version += 1

    async def verify_url(self, challenge: str) -> bool:
        """Slack's `url_verification` handshake: the bot must echo the challenge."""
        body = json.dumps(
            {"token": "local-verification-token", "challenge": challenge, "type": "url_verification"}
        ).encode()
        delivery = await self.send("url_verification", "url_verification", None, body, JSON)
        answer = delivery.response_body
        if isinstance(answer, dict):
            return answer.get("challenge") == challenge
        return answer == challenge


def _parse_body(resp: httpx.Response) -> Any:
    if not resp.content:
        return None
    try:
        return resp.json()
    except ValueError:
        return resp.text
