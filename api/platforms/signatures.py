"""Webhook signatures: Meta `X-Hub-Signature-256` and X CRC / `x-twitter-webhooks-signature`.

Every comparison is constant-time (`hmac.compare_digest`) so a forger learns nothing from timing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def _hmac(secret: str, data: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), data, hashlib.sha256).digest()


def meta_signature(app_secret: str, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 of the raw body, as Meta sends it."""
    return "sha256=" + _hmac(app_secret, body).hex()


def verify_meta(app_secret: str, body: bytes, header: str | None) -> bool:
    if not header:
        return False
    return hmac.compare_digest(meta_signature(app_secret, body).encode(), header.strip().lower().encode())


def x_signature(consumer_secret: str, body: bytes) -> str:
    """`sha256=` + base64 HMAC-SHA256 of the raw body (X Account Activity deliveries)."""
    return "sha256=" + base64.b64encode(_hmac(consumer_secret, body)).decode()


def verify_x(consumer_secret: str, body: bytes, header: str | None) -> bool:
    if not header:
        return False
    return hmac.compare_digest(x_signature(consumer_secret, body).encode(), header.strip().encode())


def x_crc_response(consumer_secret: str, crc_token: str) -> str:
    """The `response_token` X expects for a CRC challenge."""
    return "sha256=" + base64.b64encode(_hmac(consumer_secret, crc_token.encode("utf-8"))).decode()


def constant_time_equals(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return False
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
