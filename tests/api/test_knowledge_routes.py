from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.deps import AppContext, install
from api.routes.knowledge import router
from bot.settings import load_settings
from knowledge.embeddings import get_embedder
from knowledge.loaders import load_path
from knowledge.store import open_store

SAMPLES = Path(__file__).resolve().parents[2] / "knowledge/samples/panier_boreal"
AUTH = {"Authorization": "Bearer t"}
_real_connect = socket.socket.connect


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def guard(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else address
        if self.family != socket.AF_UNIX and str(host) not in ("127.0.0.1", "::1", "localhost", "testserver"):
            raise OSError(f"test tried to reach the network: {address!r}")
        return _real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guard)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path = tmp_path_factory.mktemp("chroma")
    # Seed through the library, then let the router build its own store lazily from settings.
    open_store(str(path), None, get_embedder()).upsert("panier_boreal", load_path(SAMPLES).entries)
    app = FastAPI()
    install(app, AppContext(settings=load_settings(api_token="t", chroma_path=str(path))))
    app.include_router(router)
    with TestClient(app) as test_client:
        yield test_client


def test_refused_without_the_token(client: TestClient) -> None:
    assert client.get("/api/knowledge").status_code == 401
    assert client.get("/api/knowledge", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_list_pages_through_a_brand(client: TestClient) -> None:
    first = client.get("/api/knowledge", params={"brand": "panier_boreal", "limit": 10}, headers=AUTH).json()
    second = client.get(
        "/api/knowledge", params={"brand": "panier_boreal", "limit": 10, "offset": 10}, headers=AUTH
    ).json()
    assert first["total"] == 32 and len(first["items"]) == 10
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    viral = client.get("/api/knowledge", params={"brand": "panier_boreal", "collection": "viral"}, headers=AUTH).json()
    assert viral["total"] == 6 and all(i["meta"]["likes"] > 0 for i in viral["items"])
    assert client.get("/api/knowledge", params={"brand": "empty"}, headers=AUTH).json()["total"] == 0


def test_upsert_get_search_and_delete(client: TestClient) -> None:
    body = {"question": "Livrez-vous le samedi?", "answer": "Oui, à Montréal le samedi matin.", "lang": "fr"}
    put = client.put("/api/knowledge/samedi", params={"brand": "panier_boreal"}, json=body, headers=AUTH)
    assert put.status_code == 200 and put.json()["id"] == "samedi"
    again = client.put("/api/knowledge/samedi", params={"brand": "panier_boreal"}, json=body, headers=AUTH)
    assert again.status_code == 200
    got = client.get("/api/knowledge/samedi", params={"brand": "panier_boreal"}, headers=AUTH).json()
    assert got["answer"] == body["answer"] and got["collection"] == "faq"
    found = client.get(
        "/api/knowledge/search",
        params={"q": "Do you deliver on Saturdays?", "brand": "panier_boreal", "lang": "en", "k": 3},
        headers=AUTH,
    ).json()
    assert "samedi" in [p["id"] for p in found["passages"]] and found["no_answer"] is False
    assert client.delete("/api/knowledge/samedi", params={"brand": "panier_boreal"}, headers=AUTH).status_code == 204
    assert client.get("/api/knowledge/samedi", params={"brand": "panier_boreal"}, headers=AUTH).status_code == 404
    assert client.delete("/api/knowledge/samedi", params={"brand": "panier_boreal"}, headers=AUTH).status_code == 404


def test_post_creates_with_detected_language_and_viral_metadata(client: TestClient) -> None:
    body = {
        "id": "viral-rain",
        "question": "It rained on my basket and the carrots look happier than me",
        "answer": "Carrots love a good shower, we recommend a warm tea for you ☕",
        "collection": "viral",
        "meta": {"platform": "instagram", "likes": 120, "url": "https://www.instagram.com/p/x/"},
    }
    created = client.post("/api/knowledge", params={"brand": "demo"}, json=body, headers=AUTH)
    assert created.status_code == 201
    assert created.json()["lang"] == "en" and created.json()["meta"]["likes"] == 120


@pytest.mark.parametrize(
    "body",
    [
        {"question": "Sans réponse?"},
        {"question": "Blank?", "answer": "   "},
        {"question": "Q?", "answer": "A.", "collection": "secrets"},
        {"question": "Q?", "answer": "A.", "lang": "french"},
        {"question": "", "answer": "A faq entry needs a question."},
    ],
)
def test_invalid_bodies_are_422(client: TestClient, body: dict[str, object]) -> None:
    assert client.post("/api/knowledge", json=body, headers=AUTH).status_code == 422


def test_search_says_nothing_good_enough_and_validates_k(client: TestClient) -> None:
    params = {"q": "Quelle est la capitale de l'Australie?", "brand": "panier_boreal"}
    assert client.get("/api/knowledge/search", params=params, headers=AUTH).json()["no_answer"] is True
    assert client.get("/api/knowledge/search", params={**params, "k": 0}, headers=AUTH).status_code == 422
