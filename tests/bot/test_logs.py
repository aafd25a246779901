"""Log lines a collector can parse (SOWANA_LOG_FORMAT=json), each carrying the request id of the
comment it is about; the text format for a terminal shows it too."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator

import pytest

from bot.logs import accept_request_id, configure, current_request_id, request_context


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_carry_the_request_id_of_their_context(restore_logging, capsys) -> None:
    configure("json")
    log = logging.getLogger("sowana.test")
    log.info("before any request")
    with request_context("req-0001-abcd"):
        log.info("comment %d stored", 42)
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("comment %d failed", 42)
    log.warning("after")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line.get("request_id") for line in lines] == [None, "req-0001-abcd", "req-0001-abcd", None]
    assert lines[1]["message"] == "comment 42 stored" and lines[1]["level"] == "info"
    assert lines[2]["level"] == "error" and "ValueError: boom" in lines[2]["exc"]
    assert all({"ts", "level", "logger", "message"} <= set(line) for line in lines)


def test_text_lines_show_the_request_id_or_a_dash(restore_logging, capsys) -> None:
    configure("text")
    log = logging.getLogger("sowana.test")
    log.info("idle")
    with request_context("req-0002-abcd"):
        log.info("busy")
    first, second = capsys.readouterr().err.splitlines()
    assert first.endswith("INFO sowana.test [-]: idle")
    assert second.endswith("INFO sowana.test [req-0002-abcd]: busy")


def test_each_thread_keeps_its_own_request_id() -> None:
    seen: dict[str, str | None] = {}

    def work(rid: str) -> None:
        with request_context(rid):
            barrier.wait()
            seen[rid] = current_request_id()

    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=work, args=(rid,)) for rid in ("req-thread-a", "req-thread-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"req-thread-a": "req-thread-a", "req-thread-b": "req-thread-b"}
    assert current_request_id() is None


def test_a_callers_request_id_is_kept_only_when_safe_to_log() -> None:
    assert accept_request_id("lb-7f3a9c21") == "lb-7f3a9c21"
    for hostile in (None, "", "x", "a" * 65, "abc\ndef-injected", "<script>alert(1)</script>"):
        made = accept_request_id(hostile)
        assert made != hostile and len(made) == 16
