"""Hostile input on the webhooks and the generic ingest, signed as the platforms sign (so the parsers, not only
the signature check, meet it), over real HTTP on SQLite and PostgreSQL: invalid UTF-8, deeply nested JSON,
huge arrays, NUL bytes, odd Unicode, 10,000-character comments, emoji-only ones, wrong types and absurd
times. Every answer is a clean 2xx or 4xx, never a 5xx; what is stored is whole (text as written, NUL and
unpaired surrogates shown as U+FFFD), and nothing is half-stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.platforms.signatures import meta_signature, x_signature
from bot.models import Comment
from tests.api.platforms.conftest import APP_SECRET, FB_PAGE, X_BRAND, X_SECRET, make_settings, start_app

TOKEN = "hostile-token"
ODD = {
    "rtl override": "Remboursez \u202emoi\u202c svp",
    "zwj family": "Pour nous 👨\u200d👩\u200d👧\u200d👦 c'est trop cher",
    "zalgo": "Z̷̢̛̛a̸̧̛l̴̨̛g̸̢̛o̶̧̕ livraison?",
    "line separator": "ligne 1\u2028ligne 2\u2029fin",
    "bom and bidi": "\ufeff\u200fمرحبا\u200e hello",
    "astral": "𝕭𝖔𝖓𝖏𝖔𝖚𝖗 𓂀 🥕",
}
EMOJI_ONLY = "🥕🥕🔥💚"
LONG = ("Mes légumes sont arrivés abîmés et personne ne répond au téléphone. " * 200)[:10_000]


@pytest.fixture
def app_url(database_url: str, engine: Engine) -> Iterator[str]:
    with start_app(make_settings(database_url, api_token=TOKEN), engine, []) as url:
        yield url


def _fb(comment_id: str, message: Any, **over: Any) -> dict[str, Any]:
    value = {
        "item": "comment",
        "verb": "add",
        "comment_id": comment_id,
        "post_id": f"{FB_PAGE}_1",
        "message": message,
        "from": {"id": "100200", "name": "Julie"},
        "created_time": 1773500966,
    } | over
    return {
        "object": "page",
        "entry": [{"id": FB_PAGE, "time": 1773500966, "changes": [{"field": "feed", "value": value}]}],
    }


def _tweet(tweet_id: str, text_: Any, **over: Any) -> dict[str, Any]:
    tweet = {
        "id_str": tweet_id,
        "text": text_,
        "user": {"id_str": "5", "name": "Ana", "screen_name": "ana"},
        "created_at": "Wed Oct 10 20:19:24 +0000 2018",
    } | over
    return {"for_user_id": X_BRAND, "tweet_create_events": [tweet]}


def _raw(payload: Any) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()


def meta(url: str, payload: Any) -> httpx.Response:
    body = _raw(payload)
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(APP_SECRET, body)}
    return httpx.post(f"{url}/webhooks/meta", content=body, headers=headers, timeout=60)


def x(url: str, payload: Any) -> httpx.Response:
    body = _raw(payload)
    headers = {"x-twitter-webhooks-signature": x_signature(X_SECRET, body)}
    return httpx.post(f"{url}/webhooks/x", content=body, headers=headers, timeout=60)


def api(url: str, payload: Any) -> httpx.Response:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    return httpx.post(f"{url}/api/comments", content=_raw(payload), headers=headers, timeout=60)


def _generic(external_id: Any, text_: Any, **over: Any) -> dict[str, Any]:
    return {
        "platform": "other",
        "external_id": external_id,
        "author": {"id": "a1", "name": "Zoé"},
        "text": text_,
    } | over


def _deep(depth: int) -> bytes:
    return b'{"object":"page","entry":' + b"[" * depth + b"]" * depth + b"}"


def _stored(engine: Engine) -> dict[str, str]:
    with Session(engine) as s:
        return {c.external_id: c.text for c in s.exec(select(Comment)).all()}


def test_hostile_deliveries_get_clean_answers_and_nothing_is_half_stored(app_url: str, engine: Engine) -> None:
    answers: list[tuple[str, int]] = []

    def send(what: str, response: httpx.Response, expected: int) -> httpx.Response:
        answers.append((what, response.status_code))
        assert response.status_code == expected, (what, response.status_code, response.text[:300])
        return response

    # Bytes that are not UTF-8, JSON nested past any parser's recursion, NaN: refused whole, 400.
    bad_utf8 = _raw(_fb("1_9", "PLACEHOLDER")).replace(b"PLACEHOLDER", b"\xff\xfe\xc3(")
    send("meta invalid utf-8", meta(app_url, bad_utf8), 400)
    send("x invalid utf-8", x(app_url, _raw(_tweet("9", "PLACEHOLDER")).replace(b"PLACEHOLDER", b"\xff\xfe")), 400)
    send(
        "api invalid utf-8", api(app_url, _raw(_generic("g9", "PLACEHOLDER")).replace(b"PLACEHOLDER", b"\xc0\xaf")), 400
    )
    send("meta nested 200k deep", meta(app_url, _deep(200_000)), 400)
    send("x nested 200k deep", x(app_url, b"[" * 200_000 + b"]" * 200_000), 400)
    send("api nested 30k deep", api(app_url, b"[" * 30_000 + b"]" * 30_000), 400)
    send("meta NaN time", meta(app_url, _raw(_fb("1_8", "hi")).replace(b"1773500966,", b"NaN,", 1)), 400)
    # Huge arrays: 100,000 entries for pages nobody owns, 150,000 non-objects as changes: answered, counted.
    many = {"object": "page", "entry": [{"id": "9"}] * 100_000}
    assert send("meta 100k entries", meta(app_url, many), 200).json()["skipped"] == {"unknown_account": 100_000}
    junk = {"object": "page", "entry": [{"id": FB_PAGE, "changes": [0] * 150_000}]}
    assert send("meta 150k junk changes", meta(app_url, junk), 200).json()["skipped"] == {"malformed_change": 150_000}
    send("api huge array", api(app_url, [_generic("g", "x")] * 5_000), 413)
    send("api array", api(app_url, [_generic("g", "x")] * 3), 422)

    # NUL bytes: shown as U+FFFD in what people wrote; an id holding one is no id.
    send(
        "meta NUL text",
        meta(app_url, _fb("1_1", "Bonjour\u0000 à tous", **{"from": {"id": "7", "name": "Ju\u0000lie"}})),
        200,
    )
    assert send("meta NUL id", meta(app_url, _fb("1_\u0000", "salut")), 200).json()["skipped"] == {
        "malformed_change": 1
    }
    send("x NUL text", x(app_url, _tweet("101", "@brand allo\u0000?")), 200)
    send("api NUL text", api(app_url, _generic("g1", "nul\u0000nul")), 202)
    send("api NUL id", api(app_url, _generic("g\u0000", "salut")), 422)
    # Unpaired surrogates (valid JSON escapes, not encodable text): the same.
    send(
        "meta lone surrogate",
        meta(app_url, _raw(_fb("1_2", "XX")).replace(b'"XX"', b'"avant \\ud800 apr\\u00e8s"')),
        200,
    )
    send("api lone surrogate id", api(app_url, _raw(_generic("SURR", "ok")).replace(b'"SURR"', b'"g\\udc00"')), 422)
    # Odd Unicode, a 10,000-character comment, emoji only: stored exactly as written.
    for i, (what, odd) in enumerate(ODD.items()):
        send(f"meta {what}", meta(app_url, _fb(f"1_3{i}", odd)), 200)
        send(f"x {what}", x(app_url, _tweet(f"20{i}", odd)), 200)
        send(f"api {what}", api(app_url, _generic(f"g3{i}", odd)), 202)
    send("meta 10k characters", meta(app_url, _fb("1_4", LONG)), 200)
    send("x 10k characters", x(app_url, _tweet("104", LONG)), 200)
    send("api 10k characters", api(app_url, _generic("g4", LONG)), 202)
    send("meta emoji only", meta(app_url, _fb("1_5", EMOJI_ONLY)), 200)
    send("x emoji only", x(app_url, _tweet("105", EMOJI_ONLY)), 200)
    send("api emoji only", api(app_url, _generic("g5", EMOJI_ONLY)), 202)
    # Invisible-only text, wrong types, absurd times: answered, the comment kept when it can be.
    assert send("meta zero-width only", meta(app_url, _fb("1_6", "\u200b\u200d\ufeff")), 200).json()["skipped"] == {
        "no_text": 1
    }
    send("meta message is a number", meta(app_url, _fb("1_7", 42)), 200)
    send("meta author is a list", meta(app_url, _fb("1_10", "qui suis-je", **{"from": ["x"]})), 200)
    send("meta id is an object", meta(app_url, _fb({"a": 1}, "objet")), 200)  # type: ignore[arg-type]
    send("meta time 1e300", meta(app_url, _fb("1_11", "loin", created_time=1e300)), 200)
    send("meta time past year 9999", meta(app_url, _fb("1_12", "loin", created_time="9999-12-31T23:59:59-14:00")), 200)
    send("x time nonsense", x(app_url, _tweet("106", "quand?", created_at="Feb 30 99:99")), 200)
    send("api time past year 9999", api(app_url, _generic("g6", "loin", created_at="9999-12-31T23:59:59-14:00")), 202)
    send("x tweets not a list", x(app_url, {"for_user_id": X_BRAND, "tweet_create_events": "nope"}), 400)

    assert all(status < 500 for _what, status in answers)
    stored = _stored(engine)
    assert (
        stored["1_1"] == "Bonjour\ufffd à tous"
        and stored["101"] == "@brand allo\ufffd?"
        and stored["g1"] == "nul\ufffdnul"
    )
    assert stored["1_2"] == "avant \ufffd après"
    for i, odd in enumerate(ODD.values()):
        assert stored[f"1_3{i}"] == odd and stored[f"20{i}"] == odd and stored[f"g3{i}"] == odd
    assert stored["1_4"] == stored["104"] == stored["g4"] == LONG and len(LONG) == 10_000
    assert stored["1_5"] == stored["105"] == stored["g5"] == EMOJI_ONLY
    assert {"1_10", "1_11", "1_12", "106", "g6"} <= stored.keys()  # kept, with a usable time or none
    assert not {"1_6", "1_7", "1_8", "1_9", "9", "g9", "g"} & stored.keys()
    with Session(engine) as s:
        names = {c.external_id: c.author_name for c in s.exec(select(Comment)).all()}
    assert names["1_1"] == "Ju\ufffdlie" and names["1_10"] == "Facebook user"
    with engine.connect() as conn:  # every comment has its audit row: none half-stored
        orphans = conn.execute(
            text("SELECT count(*) FROM comment c WHERE NOT EXISTS (SELECT 1 FROM auditlog a WHERE a.comment_id = c.id)")
        ).scalar_one()
    assert orphans == 0
    assert httpx.get(f"{app_url}/healthz").status_code == 200
