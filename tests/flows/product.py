"""The real product on loopback, as `sowana dev` runs it: Sowana (real triage, retrieval and offline
drafting over the sample brand's knowledge), the local Slack workspace, and the Graph API and X API
emulators that sign their webhooks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from api.app import create_app
from api.devserver import (
    DEV_IG_ID,
    DEV_PAGE_ID,
    DEV_SECRETS,
    DEV_X_USER,
    import_sample_knowledge,
    start_platform_emulators,
)
from api.emulators.slack import RateLimit, WorkspaceConfig
from api.emulators.slack.client import WorkspaceClient, run_workspace
from api.emulators.slack.serving import free_port, serve_in_thread
from bot.db import upgrade
from bot.settings import load_settings

API_TOKEN = "product-token-42"


@dataclass
class Product:
    base: str
    ws: WorkspaceClient
    api: httpx.Client
    graph: httpx.Client
    x: httpx.Client

    def fire_facebook(self, text: str, *, author: str = "Julie Tremblay", comment_id: str | None = None) -> str:
        body: dict[str, Any] = {
            "platform": "facebook",
            "page_id": DEV_PAGE_ID,
            "text": text,
            "from": {"id": "fb-u-1", "name": author},
        }
        if comment_id:
            body["comment_id"] = comment_id
        r = self.graph.post("/_emulator/fire", json=body)
        assert r.status_code == 200 and r.json()["status"] == 200, r.text
        return str(r.json()["comment_ids"][0])

    def comment_by_external(self, external_id: str, timeout: float = 20.0) -> dict[str, Any]:
        def find() -> dict[str, Any] | None:
            for cid in range(1, 200):
                r = self.api.get(f"/api/comments/{cid}")
                if r.status_code == 404:
                    return None
                if r.json()["external_id"] == external_id:
                    return dict(r.json())
            return None

        return self.ws.wait_for(find, timeout=timeout, what=f"comment {external_id} stored")

    def wait_state(self, comment_id: int, state: str, timeout: float = 30.0) -> dict[str, Any]:
        return self.ws.wait_for(
            lambda: (c := self.api.get(f"/api/comments/{comment_id}").json())["state"] == state and c,
            timeout=timeout,
            what=f"comment {comment_id} {state}",
        )


@contextmanager
def run_product(database_url: str, tmp: Path, **overrides: Any) -> Iterator[Product]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with ExitStack() as stack:
        graph, x_api = start_platform_emulators(stack, base)
        ws_config = WorkspaceConfig(request_url=f"{base}/slack/events", rate_limit=RateLimit(enabled=False))
        ws_url = stack.enter_context(run_workspace(ws_config))
        settings = load_settings(
            database_url=database_url,
            chroma_path=str(tmp / "chroma"),
            api_token=API_TOKEN,
            **ws_config.app_settings(ws_url),
            review_channel="C0REVIEW",
            sac_channel="C0SAC",
            approvers=["S0APPROVERS"],
            meta_graph_url=f"{graph}/v21.0",
            meta_page_ids=[DEV_PAGE_ID, DEV_IG_ID],
            x_api_url=f"{x_api}/2",
            x_user_id=DEV_X_USER,
            worker_poll_seconds=0.05,
            **DEV_SECRETS,
            **overrides,
        )
        upgrade(database_url)
        import_sample_knowledge(settings)
        app = create_app(settings)
        stack.enter_context(serve_in_thread(app, port=port))
        yield Product(
            base=base,
            ws=stack.enter_context(WorkspaceClient(ws_url)),
            api=stack.enter_context(
                httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {API_TOKEN}"})
            ),
            graph=stack.enter_context(httpx.Client(base_url=graph, timeout=30)),
            x=stack.enter_context(httpx.Client(base_url=x_api, timeout=30)),
        )
