"""`/api/personas` over real HTTP (TestClient runs the app in-process): auth, list, read, brand override, 404."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.deps import AppContext, install
from api.routes.personas import router
from bot.settings import load_settings

AUTH = {"Authorization": "Bearer t"}


def _client(persona_dirs: list[Path] | None = None) -> TestClient:
    app = FastAPI()
    install(app, AppContext(settings=load_settings(api_token="t"), persona_dirs=persona_dirs or []))
    app.include_router(router)
    return TestClient(app)


def test_personas_need_the_api_token() -> None:
    client = _client()
    assert client.get("/api/personas").status_code == 401
    assert client.get("/api/personas", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_list_shows_the_shipped_personas_and_the_default() -> None:
    body = _client().get("/api/personas", headers=AUTH).json()
    names = [p["name"] for p in body["personas"]]
    assert {"informatif", "espiegle", "empathique"} <= set(names)
    assert body["default"] == "informatif" and body["errors"] == []
    espiegle = next(p for p in body["personas"] if p["name"] == "espiegle")
    assert espiegle["register"] == "tu" and espiegle["humor"] > 0
    assert espiegle["description"]["fr"] and espiegle["description"]["en"]


def test_get_one_persona_in_full_and_404_for_unknown() -> None:
    client = _client()
    body = client.get("/api/personas/empathique", headers=AUTH).json()
    assert body["name"] == "empathique" and body["register"] == "vous" and body["humor"] == 0
    assert body["greeting"]["fr"].startswith("Bonjour") and body["signature"]["en"]
    missing = client.get("/api/personas/sarcastique", headers=AUTH)
    assert missing.status_code == 404 and "informatif" in missing.json()["detail"]


def test_brand_folder_from_app_state_overrides_and_reports_broken_files(tmp_path: Path) -> None:
    (tmp_path / "informatif.yaml").write_text(
        "name: informatif\ndescription: {fr: Maison, en: House}\nregister: tu\n"
        "greeting: {fr: 'Allo {name}!', en: 'Hello {name}!'}\n",
        encoding="utf-8",
    )
    (tmp_path / "broken.yaml").write_text("name: broken\nhumor: 9\n", encoding="utf-8")
    client = _client([tmp_path])
    body = client.get("/api/personas/informatif", headers=AUTH).json()
    assert body["register"] == "tu" and body["greeting"]["fr"] == "Allo {name}!"
    listing = client.get("/api/personas", headers=AUTH).json()
    assert any("broken.yaml" in e and "description" in e for e in listing["errors"])
    assert client.get("/api/personas/broken", headers=AUTH).status_code == 404
