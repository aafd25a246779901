"""The outbound HTTP client shared by the connectors: timeouts, and retries that heal.

Retried: network failures, 5xx, 429 and whatever the platform's predicate calls transient (Meta's
rate-limit error codes). A call that creates something (a reply: `repeatable=False`) is retried here only
when the platform cannot have acted on it: the connection was never made, or it refused the call (429, a
4xx rate-limit code). A time-out or a 5xx after the request left may have been accepted: it goes back to
the outbox as `AMBIGUOUS`, which reads the platform back before it tries again.
The wait is the platform's own word when it gives one (`Retry-After`,
X's `x-rate-limit-reset`, Meta's `estimated_time_to_regain_access`), else exponential backoff.
A wait longer than `max_wait` is not slept in a worker thread: the last response goes back to the
connector, which reports a retryable failure. Nothing else is retried (expired token, missing
permission, bad request): a retry cannot heal them.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from bot.comments.publisher import PublishError
from bot.runtime import retry

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # calls in all, the first included
    backoff: float = 0.5  # first wait without a platform hint; doubles each time
    max_backoff: float = 8.0
    max_wait: float = 30.0  # longest wait slept in-process (longer: give back a retryable failure)

    def backoff_for(self, attempt: int) -> float:
        base = retry.backoff(attempt, self.backoff, self.max_backoff)
        return base * (0.8 + 0.4 * random.random())  # jitter: many workers do not retry in step


def make_client(
    base_url: str, headers: dict[str, str] | None = None, timeout: httpx.Timeout = DEFAULT_TIMEOUT
) -> httpx.Client:
    return httpx.Client(base_url=base_url.rstrip("/") + "/", headers=headers or {}, timeout=timeout)


def _retry_after(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None


def _meta_regain_seconds(headers: httpx.Headers) -> float | None:
    """Meta's `X-Business-Use-Case-Usage`: per business, a list with `estimated_time_to_regain_access`
    in minutes (0 when not throttled)."""
    raw = headers.get("x-business-use-case-usage")
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    minutes = [
        float(item.get("estimated_time_to_regain_access") or 0)
        for items in (data.values() if isinstance(data, dict) else [])
        if isinstance(items, list)
        for item in items
        if isinstance(item, dict)
    ]
    worst = max(minutes, default=0.0)
    return worst * 60 if worst > 0 else None


def hinted_delay(headers: httpx.Headers, now: float | None = None) -> float | None:
    """How long the platform asked us to wait, in seconds (None: it did not say)."""
    now = time.time() if now is None else now
    after = _retry_after(headers.get("retry-after"), now)
    if after is not None:
        return after
    reset = headers.get("x-rate-limit-reset")
    if reset and reset.strip().isdigit():
        return max(0.0, int(reset) - now)
    return _meta_regain_seconds(headers)


AMBIGUOUS = "ambiguous"  # PublishError.code: the platform may or may not have acted on the call


def default_transient(response: httpx.Response) -> bool:
    return response.status_code >= 500 or response.status_code == 429


def _never_sent(exc: httpx.TransportError) -> bool:
    """The request never reached the platform: no connection was made."""
    return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    service: str,
    transient: Callable[[httpx.Response], bool] = default_transient,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    repeatable: bool = True,
    **kwargs: Any,
) -> httpx.Response:
    """One logical call with retries. Returns the final response (success or not); raises a
    retryable `PublishError` when the service could not be reached at all, or (`repeatable` False)
    when the call may have been accepted and no answer came (code `AMBIGUOUS`)."""
    policy = policy or RetryPolicy()
    for attempt in range(1, policy.attempts + 1):
        try:
            response = client.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            log.warning("%s %s: %s (attempt %d/%d)", service, method, type(exc).__name__, attempt, policy.attempts)
            if not repeatable and not _never_sent(exc):
                raise PublishError(
                    f"{service} did not answer ({type(exc).__name__}): Sowana will check whether it went out "
                    "before trying again",
                    retryable=True,
                    code=AMBIGUOUS,
                ) from None
            if attempt == policy.attempts:
                raise PublishError(
                    f"could not reach {service} ({type(exc).__name__}): Sowana will try again",
                    retryable=True,
                    code="unreachable",
                ) from None
            sleep(policy.backoff_for(attempt))
            continue
        if attempt == policy.attempts or not transient(response):
            return response
        if not repeatable and response.status_code >= 500:  # maybe accepted: the outbox reads back first
            return response
        hint = hinted_delay(response.headers)
        delay = hint if hint is not None else policy.backoff_for(attempt)
        if delay > policy.max_wait:
            log.warning("%s asks to wait %.0fs: giving up for now", service, delay)
            return response
        log.info(
            "%s answered %d: retry %d/%d in %.2fs", service, response.status_code, attempt + 1, policy.attempts, delay
        )
        sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def json_or_empty(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
