"""Real HTTP on loopback: the Sowana app with the webhook router, and the platform emulators."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from api.app import create_app
from api.emulators.graph import create_graph_emulator
from api.emulators.x import create_x_emulator
from api.routes.webhooks import router
from bot.settings import Settings, load_settings
from tests.servers import serve

APP_SECRET = "meta-app-secret-for-tests"
VERIFY_TOKEN = "verify-me-please"
PAGE_TOKEN = "EAAG-page-token"
FB_PAGE = "1111"
IG_ACCOUNT = "17841400000000"
X_SECRET = "x-consumer-secret-for-tests"
X_TOKEN = "x-user-token"
X_BRAND = "2244994945"

_real_connect = socket.socket.connect


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    def guard(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if self.family != socket.AF_UNIX and str(host) not in ("127.0.0.1", "::1", "localhost"):
            raise OSError(f"test tried to reach the network: {address!r}")
        return _real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guard)


def make_settings(database_url: str, **over: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "meta_app_secret": APP_SECRET,
        "meta_verify_token": VERIFY_TOKEN,
        "meta_page_token": PAGE_TOKEN,
        "meta_page_ids": [FB_PAGE, IG_ACCOUNT],
        "x_consumer_secret": X_SECRET,
        "x_bearer_token": X_TOKEN,
        "brands_file": None,
    }
    values.update(over)
    return load_settings(**values)


@dataclass
class Stack:
    app: str  # base URL of the Sowana app
    graph: str  # base URL of the Graph emulator (API under /v21.0)
    x: str  # base URL of the X emulator (API under /2)
    client: httpx.Client
    engine: Engine
    changed: list[tuple[int, str]]

    def fire_meta(self, **event: Any) -> dict[str, Any]:
        r = self.client.post(f"{self.graph}/_emulator/fire", json=event)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def fire_x(self, **event: Any) -> dict[str, Any]:
        r = self.client.post(f"{self.x}/_emulator/fire", json=event)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]


def start_app(settings: Settings, engine: Engine, changed: list[tuple[int, str]]) -> Any:
    app = create_app(settings, engine=engine, run_worker=False)
    app.include_router(router)
    app.state.context.on_comment_changed = lambda comment_id, kind: changed.append((comment_id, kind))
    return serve(app)


@pytest.fixture(scope="module")
def emulators() -> Iterator[tuple[str, str]]:
    """Both emulators, served once per module and reset before each test."""
    graph = create_graph_emulator(app_secret=APP_SECRET, page_token=PAGE_TOKEN)
    x = create_x_emulator(consumer_secret=X_SECRET, bearer_token=X_TOKEN, user_id=X_BRAND, username="panierboreal")
    with serve(graph) as graph_url, serve(x) as x_url:
        yield graph_url, x_url


@pytest.fixture
def stack(database_url: str, engine: Engine, emulators: tuple[str, str]) -> Iterator[Stack]:
    changed: list[tuple[int, str]] = []
    graph_url, x_url = emulators
    with start_app(make_settings(database_url), engine, changed) as app_url, httpx.Client(timeout=30) as client:
        for base, route in ((graph_url, "meta"), (x_url, "x")):
            client.post(f"{base}/_emulator/reset")
            client.post(f"{base}/_emulator/config", json={"webhook_url": f"{app_url}/webhooks/{route}"})
        yield Stack(app_url, graph_url, x_url, client, engine, changed)


@pytest.fixture(scope="module")
def graph_only() -> Iterator[str]:
    """A Graph emulator with no webhook target, for publisher tests (no database needed)."""
    app = create_graph_emulator(app_secret=APP_SECRET, page_token=PAGE_TOKEN, webhook_url=None)
    with serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def x_only() -> Iterator[str]:
    app = create_x_emulator(consumer_secret=X_SECRET, bearer_token=X_TOKEN, user_id=X_BRAND, username="panierboreal")
    with serve(app) as url:
        yield url


@pytest.fixture
def xapi(x_only: str) -> Iterator[httpx.Client]:
    """A client of the X emulator, reset for each test."""
    with httpx.Client(base_url=x_only, timeout=10) as c:
        c.post("/_emulator/reset")
        yield c


@pytest.fixture
def graph(graph_only: str) -> Iterator[httpx.Client]:
    """A client of the Graph emulator, reset for each test."""
    with httpx.Client(base_url=graph_only, timeout=10) as c:
        c.post("/_emulator/reset")
        yield c
