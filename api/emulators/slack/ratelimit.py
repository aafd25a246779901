"""Per-channel token bucket for chat.postMessage, with Slack's integer `Retry-After`."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from api.emulators.slack.config import RateLimit


class ChannelRateLimiter:
    def __init__(self, limit: RateLimit, clock: Callable[[], float] | None = None) -> None:
        self.limit = limit
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # channel -> (tokens, last refill)

    def acquire(self, channel_id: str) -> int:
        """0 when the post may go, else the seconds to wait (Slack's Retry-After, at least 1)."""
        if not self.limit.enabled:
            return 0
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(channel_id, (float(self.limit.burst), now))
            tokens = min(float(self.limit.burst), tokens + (now - last) * self.limit.per_second)
            if tokens >= 1.0:
                self._buckets[channel_id] = (tokens - 1.0, now)
                return 0
            self._buckets[channel_id] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.limit.per_second))
