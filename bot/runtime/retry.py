"""When to try again: one capped exponential backoff for everything that retries (the worker, the
outbox, the Slack sender, the polling loops, the platform HTTP clients), the retry policy of the work
queues, and how to tell an outage (nobody's fault, wait it out) from a failure of the work itself."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from bot.db import is_unavailable

T = TypeVar("T")

# Past every cap in use (2**10 × the first wait), and no float overflow however long an outage lasts.
MAX_DOUBLINGS = 10


def backoff(attempt: int, base: float, cap: float) -> float:
    """`base` after the first attempt, doubled after each further one, never above `cap`."""
    return min(cap, base * 2 ** min(max(0, attempt - 1), MAX_DOUBLINGS))


@dataclass(frozen=True)
class RetryPolicy:
    """A work queue's patience: how many attempts before a row fails, and the wait between them."""

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0

    def delay(self, attempt: int) -> float:
        return backoff(attempt, self.base_delay, self.max_delay)


class PermanentError(Exception):
    """An error a retry cannot heal: the comment goes to `failed` at once, with this reason."""


def is_outage(exc: BaseException) -> bool:
    """The error says a service is away (the database unreachable, an HTTP API such as Slack answering
    5xx or 429), not that this piece of work is wrong. A call that gets no answer at all is not counted
    here: that may be this piece of work, and it fails after the usual attempts."""
    if is_unavailable(exc):
        return True
    status = getattr(getattr(exc, "response", None), "status_code", None)
    return isinstance(status, int) and (status >= 500 or status == 429)


def retry_while_unavailable(write: Callable[[], T], patience: float, pause: float = 0.25) -> T:
    """Run `write` (an idempotent transaction) again while the database is unavailable, up to
    `patience` seconds: for recording something already done outside (a publication, a Slack post)."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return write()
        except Exception as exc:
            if not is_unavailable(exc) or time.monotonic() > deadline:
                raise
            time.sleep(pause)
