"""A background thread that polls for work, can be woken early, and stops cleanly (worker, outbox)."""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)


class PollingLoop:
    name = "sowana-loop"

    def __init__(self, poll_seconds: float) -> None:
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """Do one round of work; return how many items were handled (0 = idle)."""
        raise NotImplementedError

    def on_start(self) -> None:
        """Runs in the thread before the first round."""

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run_forever(self) -> None:
        self.on_start()
        while not self._stop.is_set():
            try:
                busy = self.run_once()
            except Exception:  # the database may be away for a moment; keep the loop alive
                log.exception("%s: round failed; retrying", self.name)
                busy = 0
            if not busy:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

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
