"""No secret in a log line: the query values that carry one are replaced by `[redacted]` in every record of
the loggers that print addresses (uvicorn's access log, httpx's request log).

Some secrets cannot stay out of URLs — Sign in with Slack comes back with `?code=…&state=…`, Meta's
handshake sends `hub.verify_token` — so they are taken out of the log lines instead, whatever server and
log configuration run the app. `create_app` installs the filter; installing it twice is harmless.
"""

from __future__ import annotations

import logging
import re

# Query parameters whose value is a secret or a one-time credential (also inside an encoded `next=`).
SENSITIVE = ("token", "access_token", "id_token", "code", "state", "nonce", "client_secret", "hub.verify_token")
_PATTERN = re.compile(
    r"((?:[?&]|%3[fF]|%26)(?:" + "|".join(re.escape(n) for n in SENSITIVE) + r")(?:=|%3[dD]))[^&\s\"']*",
)
LOGGERS = ("uvicorn.access", "uvicorn.error", "httpx")


def redact(text: str) -> str:
    """`text` with the value of every sensitive query parameter replaced."""
    return _PATTERN.sub(r"\1[redacted]", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def install(loggers: tuple[str, ...] = LOGGERS) -> None:
    for name in loggers:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
