"""`POST /api/comments` and `GET /api/comments/{id}` over a real HTTP server, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import Session, func, select

from api.app import create_app
from bot.brain import Brain
from bot.models import Comment
from bot.settings import load_settings
from tests.servers import serve

TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def payload(**over):
    body = {
        "platform": "facebook",
        "external_id": "fb_123_456",
        "author": {"id": "100200", "name": "Julie Tremblay"},
        "text": "Bonjour! Est-ce que vous livrez à Sherbrooke? 😊",
        "post_id": "123",
        "url": "https://facebook.com/123_456",
        "created_at": "2026-11-20T14:03:00Z",
    }
    body.update(over)
    return body


@pytest.fixture
def api(database_url, engine):
    settings = load_settings(database_url=database_url, api_token=TOKEN)
    app = create_app(settings, engine=engine, run_worker=False, brain=Brain())
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client


def _count(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(Comment)).one()


def test_ingest_then_read_back(api, engine):
    r = api.post("/api/comments", json=payload(), headers=AUTH)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["state"] == "received" and body["duplicate"] is False
    got = api.get(f"/api/comments/{body['id']}", headers=AUTH).json()
    assert got["text"] == payload()["text"]
    assert got["author"] == {"id": "100200", "name": "Julie Tremblay"}
    assert got["state"] == "received" and got["proposals"] == [] and got["publications"] == []
    assert got["created_at"].startswith("2026-11-20T14:03:00")


def test_same_external_id_twice_is_one_comment(api, engine):
    first = api.post("/api/comments", json=payload(), headers=AUTH).json()
    again = api.post("/api/comments", json=payload(text="an edited copy"), headers=AUTH)
    assert again.status_code == 202
    assert again.json()["id"] == first["id"] and again.json()["duplicate"] is True
    assert _count(engine) == 1
    # the same id on another platform or for another brand is another comment
    api.post("/api/comments", json=payload(platform="instagram"), headers=AUTH)
    api.post("/api/comments", json=payload(brand="autre-marque"), headers=AUTH)
    assert _count(engine) == 3


def test_twenty_concurrent_identical_posts_store_one_row(api, engine):
    body = payload(external_id="x_1800000000000000001", platform="x")
    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(lambda _: api.post("/api/comments", json=body, headers=AUTH), range(20)))
    assert {r.status_code for r in responses} == {202}
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(not r.json()["duplicate"] for r in responses) == 1
    assert _count(engine) == 1


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}])
def test_missing_or_wrong_token_is_401_and_stores_nothing(api, engine, headers):
    r = api.post("/api/comments", json=payload(), headers=headers)
    assert r.status_code == 401
    assert api.get("/api/comments/1", headers=headers).status_code == 401
    assert _count(engine) == 0


def test_api_refuses_everything_when_no_token_is_configured(database_url, engine):
    app = create_app(
        load_settings(database_url=database_url, api_token=None), engine=engine, run_worker=False, brain=Brain()
    )
    with serve(app) as base:
        r = httpx.post(f"{base}/api/comments", json=payload(), headers={"Authorization": "Bearer anything"})
    assert r.status_code == 401 and "SOWANA_API_TOKEN" in r.json()["detail"]
    assert _count(engine) == 0


def test_body_over_64_kib_is_413(api, engine):
    big = payload(text="é" * 40_000)  # 80 KB of UTF-8
    r = api.post("/api/comments", json=big, headers=AUTH)
    assert r.status_code == 413
    # also when the client streams it without a Content-Length
    chunks = iter([json.dumps(big).encode()[i : i + 8192] for i in range(0, 90_000, 8192)])
    r = api.post("/api/comments", content=chunks, headers=AUTH | {"Content-Type": "application/json"})
    assert r.status_code == 413
    assert _count(engine) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   \n\t "}, "text"),
        ({"text": "\u200b\u200b"}, "text"),
        ({"platform": "tiktok"}, "platform"),
        ({"external_id": ""}, "external_id"),
        ({"author": {"id": "1"}}, "name"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"brand": "Not A Slug!"}, "brand"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_invalid_fields_are_422_naming_the_field(api, engine, change, field):
    r = api.post("/api/comments", json=payload(**change), headers=AUTH)
    assert r.status_code == 422
    assert field in {str(p) for e in r.json()["detail"] for p in e["loc"]}
    assert _count(engine) == 0


def test_missing_text_and_non_json_bodies(api, engine):
    body = payload()
    del body["text"]
    assert api.post("/api/comments", json=body, headers=AUTH).status_code == 422
    r = api.post("/api/comments", content=b"{not json", headers=AUTH | {"Content-Type": "application/json"})
    assert r.status_code == 422
    assert _count(engine) == 0


@pytest.mark.parametrize(
    "text",
    [
        "Merci Panier Boréal 🥕🥬 vous êtes les meilleurs!!",
        "👩🏽‍🌾 famille: 👨‍👩‍👧‍👦",  # zero-width joiners inside emoji sequences
        "مرحبا، هل توصلون إلى مونتريال؟",  # right-to-left
        "caf\u0065\u0301 vs café",  # decomposed and precomposed accents stay as sent
        "a\u200bb\u200dc\ufeff",
        "ligne 1\r\nligne 2\n\n  indentée",
    ],
)
def test_unicode_is_stored_byte_exact(api, engine, text):
    r = api.post("/api/comments", json=payload(external_id=f"u-{hash(text)}", text=text), headers=AUTH)
    assert r.status_code == 202
    got = api.get(f"/api/comments/{r.json()['id']}", headers=AUTH).json()["text"]
    assert got.encode("utf-8") == text.encode("utf-8")
    with Session(engine) as s:
        assert s.get(Comment, r.json()["id"]).text.encode("utf-8") == text.encode("utf-8")


def test_unknown_comment_is_404(api):
    assert api.get("/api/comments/999999", headers=AUTH).status_code == 404


def test_healthz_and_metrics(api):
    assert api.get("/healthz").json() == {"status": "ok", "database": "ok"}
    api.post("/api/comments", json=payload(), headers=AUTH)
    api.post("/api/comments", json=payload(), headers=AUTH)
    metrics = api.get("/metrics").text
    assert 'sowana_comments_ingested_total{outcome="created",platform="facebook"} 1.0' in metrics
    assert 'sowana_comments_ingested_total{outcome="duplicate",platform="facebook"} 1.0' in metrics
    assert 'sowana_comments{state="received"} 1.0' in metrics
