"""Log lines for people and for machines, and the request id that ties a comment's lines together.

`SOWANA_LOG_FORMAT=text` (the default, for a terminal) or `json`: one JSON object a line (`ts`, `level`,
`logger`, `message`, `request_id` when there is one, `exc` on an error) for a log collector. The
request id is born with the webhook or API request that brought a comment, is stored with the comment,
and is set again by whatever works on it later (the worker, the outbox), so every line about one
comment — intake, triage, drafting, publication — carries the same id. No line carries a comment's
text: only ids, states and counts are logged.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Literal

LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("text", "json")
_current: ContextVar[str | None] = ContextVar("sowana_request_id", default=None)
# A request id a client or proxy sends is kept only when it is short and plain (it ends up in logs).
_SANE = re.compile(r"^[A-Za-z0-9._:-]{6,64}$")


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


def accept_request_id(header: str | None) -> str:
    """The caller's X-Request-ID when it is safe to log, else a new one."""
    return header if header and _SANE.match(header) else new_request_id()


def current_request_id() -> str | None:
    return _current.get()


@contextmanager
def request_context(request_id: str | None) -> Iterator[None]:
    """Lines logged inside carry `request_id` (None: whatever was set before stays)."""
    if request_id is None:
        yield
        return
    token = _current.set(request_id)
    try:
        yield
    finally:
        _current.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record, so any formatter may print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = _current.get() or getattr(record, "request_id", None)
        if request_id and request_id != "-":
            line["request_id"] = request_id
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


def configure(fmt: LogFormat = "text", level: int = logging.INFO) -> None:
    """One handler on the root logger, in the chosen format; uvicorn's loggers propagate to it."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # a line per plugin at each start
