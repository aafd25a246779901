"""`/readyz` for a load balancer or a Kubernetes readiness probe: ready only when the database is at the
schema this release needs, the knowledge store answers and the background loops run and are not
stuck; each failure says why. `/healthz` (liveness) stays the database alone."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import AppContext
from api.routes.health import loops_check
from bot.brain import Brain
from bot.db import head_revision, make_engine, upgrade
from bot.runtime.loop import PollingLoop
from bot.settings import load_settings
from knowledge.store import open_store
from tests.servers import chroma_server_process


def _app(tmp_path: Path, *, revision: str = "head", brain: Brain | None = None, run_worker: bool = True) -> Any:
    url = f"sqlite:///{tmp_path}/sowana.db"
    upgrade(url, revision)
    settings = load_settings(database_url=url, chroma_path=str(tmp_path / "chroma"))
    return create_app(settings, engine=make_engine(url), run_worker=run_worker, brain=brain or Brain())


def test_a_process_with_its_loops_running_is_ready(tmp_path: Path) -> None:
    with TestClient(_app(tmp_path)) as client:
        answer = client.get("/readyz")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["status"] == "ready" and body["checks"]["database"]["revision"] == head_revision()
        names = {loop["name"] for loop in body["checks"]["loops"]["loops"]}
        assert {"sowana-worker", "sowana-outbox", "sowana-cases"} <= names
        assert all(loop["running"] for loop in body["checks"]["loops"]["loops"])
        assert client.get("/healthz").status_code == 200


def test_a_database_behind_the_release_is_not_ready(tmp_path: Path) -> None:
    with TestClient(_app(tmp_path, revision="0003", run_worker=False)) as client:
        answer = client.get("/readyz")
        assert answer.status_code == 503
        reason = answer.json()["checks"]["database"]["reason"]
        assert "schema at 0003" in reason and "sowana db upgrade" in reason
        assert client.get("/healthz").status_code == 200  # alive all the same: no restart loop


def test_a_chroma_server_that_stops_answering_makes_the_process_not_ready(tmp_path: Path) -> None:
    (tmp_path / "chroma-server").mkdir()
    with chroma_server_process(tmp_path / "chroma-server") as server:
        brain = Brain(store=open_store("unused", server.url))
        with TestClient(_app(tmp_path, brain=brain, run_worker=False)) as client:
            assert client.get("/readyz").status_code == 200
            server.stop()
            answer = client.get("/readyz")
            assert answer.status_code == 503
            assert "Chroma does not answer" in answer.json()["checks"]["knowledge"]["reason"]


class Blocked(PollingLoop):
    """A loop whose round never ends (a call that hangs)."""

    name = "sowana-blocked"

    def __init__(self, poll_seconds: float = 0.01) -> None:
        super().__init__(poll_seconds)
        self.release = threading.Event()
        self.entered = threading.Event()

    def run_once(self) -> int:
        self.entered.set()
        self.release.wait(10)
        return 0


def test_a_stuck_or_stopped_loop_is_named(monkeypatch) -> None:
    loop = Blocked()
    context = AppContext(settings=load_settings(), loops=[loop])
    assert loops_check(context)["reason"] == "sowana-blocked stopped"  # never started
    loop.start()
    try:
        assert loop.entered.wait(5)
        assert loops_check(context)["ok"]  # a round in progress is fine…
        monkeypatch.setattr("bot.runtime.loop.STUCK_AFTER", 0.0)
        stuck = Blocked(poll_seconds=0.0)  # …until it runs longer than the limit (here: any time at all)
        stuck.start()
        assert stuck.entered.wait(5)
        check = loops_check(AppContext(settings=load_settings(), loops=[stuck]))
        assert not check["ok"] and check["reason"] == "sowana-blocked stuck"
        stuck.release.set()
        stuck.stop()
    finally:
        loop.release.set()
        loop.stop()
