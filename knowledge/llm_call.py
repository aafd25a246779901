"""One way to call a chat model with a hard timeout, for every LLM use in the package (drafting,
triage, follow-ups).

A daemon thread, not an executor: a hung provider call must never keep the process from exiting.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def call_with_timeout(fn: Callable[[], T], timeout: float, name: str = "sowana-llm") -> T:
    """`fn()`'s result, its exception re-raised, or TimeoutError after `timeout` seconds."""
    box: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=1)

    def call() -> None:
        try:
            box.put((True, fn()))
        except Exception as exc:  # noqa: BLE001 - the caller decides: retry or fall back
            box.put((False, exc))

    threading.Thread(target=call, name=name, daemon=True).start()
    try:
        ok, value = box.get(timeout=timeout)
    except queue.Empty:
        raise TimeoutError(f"no answer within {timeout:g} s") from None
    if not ok:
        assert isinstance(value, BaseException)
        raise value
    return value  # type: ignore[return-value]
