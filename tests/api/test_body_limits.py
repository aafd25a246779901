"""Every public route's body is bounded, on a real server: a 3 MB body is answered 413 before it is read
whole (declared or chunked), each refusal is counted in /metrics, and what the platforms may really send
— a Meta batch of the documented maximum of 1,000 updates, a Slack request echoing a 40,000-character
message — still goes through."""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlparse

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session
from sqlmodel import select as sql_select

from api.app import create_app
from api.limits import LIMITS, MiB, limit_for
from api.platforms.signatures import meta_signature
from bot.brain import Brain
from bot.models import Comment
from bot.settings import load_settings
from tests.servers import serve

META_SECRET, X_SECRET, SLACK_SECRET, TOKEN = (
    "meta-secret-limits",
    "x-secret-limits",
    "slack-secret-limits",
    "tok-limits",
)
PAGE = "104000000000001"
THREE_MB = 3_000_000
ROUTES = {"meta": "/webhooks/meta", "x": "/webhooks/x", "slack": "/slack/events", "api": "/api/comments"}


@pytest.fixture
def base(database_url: str, engine: Engine) -> Iterator[str]:
    settings = load_settings(
        database_url=database_url,
        api_token=TOKEN,
        meta_app_secret=META_SECRET,
        meta_page_ids=[PAGE],
        x_consumer_secret=X_SECRET,
        slack_bot_token="xoxb-limits",
        slack_signing_secret=SLACK_SECRET,
        brands_file=None,
    )
    with serve(create_app(settings, engine=engine, run_worker=False, brain=Brain())) as url:
        yield url


def _connect(base: str) -> socket.socket:
    u = urlparse(base)
    return socket.create_connection((u.hostname, u.port), timeout=10)


def _answer(sock: socket.socket, timeout: float = 10) -> int:
    """The status code of the response, read as soon as it comes."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return int(data.split(b" ", 2)[1])


def _headers(path: str, extra: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {TOKEN}\r\n{extra}\r\n"
    ).encode()


def _declared(base: str, path: str) -> tuple[int, int]:
    """Declare 3 MB, send only the first 64 KiB, and read the answer: (status, bytes sent)."""
    with _connect(base) as sock:
        sock.sendall(_headers(path, f"Content-Length: {THREE_MB}\r\n"))
        sock.sendall(b"[" * 65536)
        return _answer(sock), 65536


def _chunked(base: str, path: str) -> tuple[int, int]:
    """Stream 3 MB in chunks without declaring a length; stop as soon as the server answers."""
    chunk = b" " * 65536
    sent = 0
    with _connect(base) as sock:
        sock.sendall(_headers(path, "Transfer-Encoding: chunked\r\n"))
        while sent < THREE_MB:
            if select.select([sock], [], [], 0)[0]:
                break  # the server has answered
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
            time.sleep(0.002)
        return _answer(sock), sent


def _refused_counts(base: str) -> dict[str, float]:
    text = httpx.get(f"{base}/metrics").text
    return {
        s.labels["route"]: s.value
        for family in text_string_to_metric_families(text)
        if family.name == "sowana_request_body_refused"
        for s in family.samples
        if s.name.endswith("_total")
    }


def test_a_3_mb_body_to_each_public_route_is_refused_before_it_is_read_whole(base: str) -> None:
    for route, path in ROUTES.items():
        limit = limit_for(path).max_bytes
        assert limit < THREE_MB
        status, sent = _declared(base, path)
        assert status == 413, route
        status, sent = _chunked(base, path)
        assert status == 413, route
        # Refused once the limit was passed: far from the 3 MB the client meant to send.
        assert limit < sent < limit + 1 * MiB, (route, sent)
    assert _refused_counts(base) == {route: 2.0 for route in ROUTES}
    assert httpx.get(f"{base}/healthz").status_code == 200  # and the server is none the worse


def _comment_change(i: int, text: str) -> dict[str, object]:
    """A Page feed comment as Meta sends it, envelope included."""
    post_id = f"{PAGE}_{900000 + i // 10}"
    return {
        "field": "feed",
        "value": {
            "from": {"id": f"{6000000000 + i}", "name": f"Abonné·e {i}"},
            "post": {
                "status_type": "added_photos",
                "is_published": True,
                "updated_time": "2026-03-14T15:09:26+0000",
                "permalink_url": f"https://www.facebook.com/panierboreal/posts/{post_id}",
                "promotion_status": "inactive",
                "id": post_id,
            },
            "message": text,
            "post_id": post_id,
            "comment_id": f"{post_id}_{7000000 + i}",
            "created_time": 1773500966 + i,
            "item": "comment",
            "parent_id": post_id,
            "verb": "add",
        },
    }


def test_a_meta_batch_of_the_documented_maximum_is_accepted(base: str, engine: Engine) -> None:
    """1,000 updates (Meta's documented maximum per delivery), each a comment of ≈ 1,300 bytes of text
    escaped as Meta escapes it: under the 2 MiB limit, signed, stored in full."""
    sentence = "Bonjour! Est-ce que vous livrez à Trois-Rivières cette semaine? Mes légumes étaient abîmés. "
    entries = [
        {"id": PAGE, "time": 1773500966, "changes": [_comment_change(i, f"#{i} " + sentence * 12)]} for i in range(1000)
    ]
    body = json.dumps({"object": "page", "entry": entries}).encode()  # ASCII with \\u escapes, like Meta
    assert 1.8 * MiB < len(body) <= limit_for("/webhooks/meta").max_bytes
    r = httpx.post(
        f"{base}/webhooks/meta",
        content=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(META_SECRET, body)},
        timeout=120,
    )
    assert r.status_code == 200 and r.json()["created"] == 1000
    with Session(engine) as s:
        assert s.exec(sql_select(func.count()).select_from(Comment)).one() == 1000
    assert _refused_counts(base) == {}


def test_a_slack_request_echoing_a_40000_character_message_gets_through(base: str) -> None:
    """Slack truncates message text at 40,000 characters; a request that big passes the limit and reaches
    Bolt, which checks its signature and answers (here the url_verification handshake, padded)."""
    body = json.dumps(
        {"type": "url_verification", "challenge": "c-limits", "token": "t", "padding": "é🙂" * 40_000},
    ).encode()
    assert len(body) > 400_000
    ts = str(int(time.time()))
    signature = SignatureVerifier(SLACK_SECRET).generate_signature(timestamp=ts, body=body)
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}
    r = httpx.post(f"{base}/slack/events", content=body, headers=headers, timeout=30)
    assert r.status_code == 200 and r.json() == {"challenge": "c-limits"}
    forged = httpx.post(f"{base}/slack/events", content=body, headers=headers | {"X-Slack-Signature": "v0=0"})
    assert forged.status_code == 401  # read whole, and refused by the signature check, not by size


def test_each_route_has_its_own_limit() -> None:
    assert [(lim.prefix, lim.max_bytes) for lim in LIMITS] == [
        ("/webhooks/meta", 2 * MiB),
        ("/webhooks/x", 1 * MiB),
        ("/slack/events", 1 * MiB),
        ("/api/", 64 * 1024),
    ]
    assert limit_for("/dashboard/signin/token").route == "other"
