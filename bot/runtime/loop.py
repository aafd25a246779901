"""A background thread that polls for work, can be woken early, and stops cleanly (worker, outbox)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from bot.db import is_unavailable
from bot.runtime import retry

log = logging.getLogger(__name__)
MAX_BACKOFF = 2.0  # seconds between rounds while they fail: short, so work resumes soon after
# A loop whose round has run this long (or thrice its poll interval, if longer) is stuck: not ready.
STUCK_AFTER = 120.0


@dataclass(frozen=True)
class LoopHealth:
    """What readiness reports of one loop."""

    name: str
    running: bool  # its thread is alive
    round_seconds: float | None  # how long the round in progress has run; None between rounds
    failures: int  # failed rounds in a row (the database away…)
    stuck_after: float

    @property
    def ok(self) -> bool:
        return self.running and (self.round_seconds is None or self.round_seconds < self.stuck_after)


class PollingLoop:
    name = "sowana-loop"

    def __init__(self, poll_seconds: float) -> None:
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._round_started: float | None = None  # monotonic, while a round runs
        self._failures = 0

    def run_once(self) -> int:
        """Do one round of work; return how many items were handled (0 = idle)."""
        raise NotImplementedError

    def on_start(self) -> None:
        """Runs in the thread before the first round."""

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run_forever(self) -> None:
        failures = 0
        while not self._stop.is_set() and not self._start_once():
            failures += 1
            self._stop.wait(self.backoff(failures))
        failures = 0
        while not self._stop.is_set():
            self._round_started = time.monotonic()
            try:
                busy = self.run_once()
                failures = 0
            except Exception as exc:  # the database may be away for a moment; keep the loop alive
                failures += 1
                self._log_failure(exc, failures)
                busy = 0
            finally:
                self._round_started = None
            self._failures = failures
            if not busy:
                self._wake.wait(self.backoff(failures) if failures else self.poll_seconds)
                self._wake.clear()

    def health(self) -> LoopHealth:
        started = self._round_started
        return LoopHealth(
            name=self.name,
            running=self._thread is not None and self._thread.is_alive(),
            round_seconds=None if started is None else time.monotonic() - started,
            failures=self._failures,
            stuck_after=max(STUCK_AFTER, 3 * self.poll_seconds),
        )

    def backoff(self, failures: int) -> float:
        """Wait longer after each failed round in a row (the database is away), up to MAX_BACKOFF."""
        return retry.backoff(failures + 1, self.poll_seconds, MAX_BACKOFF)

    def _start_once(self) -> bool:
        try:
            self.on_start()
            return True
        except Exception as exc:
            self._log_failure(exc, 1)
            return False

    def _log_failure(self, exc: Exception, failures: int) -> None:
        if is_unavailable(exc):  # one line, not a traceback a second, while the database is away
            if failures == 1 or failures % 20 == 0:
                log.warning("%s: database unavailable (%s); retrying", self.name, type(exc).__name__)
        else:
            log.exception("%s: round failed; retrying", self.name)

    def wake(self) -> None:
        """New work arrived: look now instead of at the next poll."""
        self._wake.set()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self.run_forever, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
