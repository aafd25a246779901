"""`sowana dev`: everything local on embedded defaults — API, worker, outbox, the local Slack
workspace (its page at /), the Graph API and X API emulators, the sample brand's knowledge, and
sample comments that arrive the way real ones do (signed platform webhooks)."""

from __future__ import annotations

import json
import logging
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from api.app import create_app
from api.devstory import play_private_story
from api.emulators.graph import create_graph_emulator
from api.emulators.slack import WorkspaceConfig, create_workspace_app
from api.emulators.slack.serving import free_port, serve_in_thread
from api.emulators.x import create_x_emulator
from bot.db import upgrade
from bot.settings import Settings, reveal

log = logging.getLogger(__name__)
SAMPLES = Path(__file__).with_name("samples")
SAMPLE_KB = Path(__file__).resolve().parents[1] / "knowledge" / "samples" / "panier_boreal"
DEV_API_TOKEN = "dev-token"
DEV_PAGE_ID, DEV_IG_ID, DEV_X_USER = "104000000000001", "17841400000000001", "1500000000000000001"
DEV_SECRETS = {
    "meta_app_secret": "dev-meta-app-secret",
    "meta_verify_token": "dev-verify-token",
    "meta_page_token": "dev-page-token",
    "x_consumer_secret": "dev-x-consumer-secret",
    "x_bearer_token": "dev-x-bearer-token",
}


def dev_settings(settings: Settings, base: str, graph: str, x_api: str) -> tuple[Settings, WorkspaceConfig]:
    """Point Slack and the platforms at the local workspace and emulators (real values win if set)."""
    workspace = WorkspaceConfig(request_url=f"{base}/slack/events")
    overrides: dict[str, Any] = {
        **workspace.app_settings(base),
        # Sign in with Slack on /dashboard goes through the workspace's /openid/connect/authorize.
        "slack_client_id": workspace.client_id,
        "slack_client_secret": workspace.client_secret,
        "review_channel": settings.review_channel or "C0REVIEW",
        "sac_channel": settings.sac_channel or "C0SAC",
        "api_token": reveal(settings.api_token) or DEV_API_TOKEN,
        "approvers": settings.approvers or ["S0APPROVERS"],
        "meta_graph_url": f"{graph}/v21.0",
        "meta_page_ids": [DEV_PAGE_ID, DEV_IG_ID],
        "x_api_url": f"{x_api}/2",
        "x_user_id": DEV_X_USER,
        # Local: X mentions and direct messages are polled every few seconds, not every minute.
        "x_poll_seconds": min(settings.x_poll_seconds, 5.0),
        **DEV_SECRETS,
    }
    # Validated again (not model_copy), so the secrets among the overrides become SecretStr too.
    return Settings.model_validate({**settings.model_dump(), **overrides}), workspace


def import_sample_knowledge(settings: Settings) -> int:
    # deferred: knowledge.store loads numpy and the embedder (~2 s)
    from knowledge.loaders import load_path
    from knowledge.store import ModelMismatchError, open_store

    store = open_store(settings.chroma_path, settings.chroma_url, **settings.chroma_client())
    try:
        store.count("default")
    except ModelMismatchError as exc:
        # A dev store left by an older release: rebuild it rather than refuse to start.
        log.warning("%s; reindexing the local store", exc)
        for brand in store.brands():
            store.reindex(brand)
    count = 0
    for path in sorted(SAMPLE_KB.iterdir()):
        report = load_path(path)
        count += store.upsert("default", report.entries)
    return count


def replay_samples(base: str, graph: str, x_api: str, token: str) -> int:
    """Each sample arrives through its platform's emulator as a signed webhook (idempotent ids)."""
    sent = 0
    with httpx.Client(timeout=30) as http:
        for line in (SAMPLES / "comments.jsonl").read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            c = json.loads(line)
            author = c["author"]
            if c["platform"] in ("facebook", "instagram"):
                page = DEV_PAGE_ID if c["platform"] == "facebook" else DEV_IG_ID
                body = {
                    "platform": c["platform"],
                    "page_id": page,
                    "text": c["text"],
                    "comment_id": c["external_id"],
                    "from": {"id": author["id"], "name": author["name"], "username": author["name"]},
                }
                r = http.post(f"{graph}/_emulator/fire", json=body)
            elif c["platform"] == "x":
                r = http.post(
                    f"{x_api}/_emulator/fire",
                    json={
                        "id": c["external_id"].removeprefix("sample-x-") + "000000000000000",
                        "text": c["text"],
                        "author": {
                            "id": author["id"],
                            "name": author["name"],
                            "username": author["name"].replace(" ", "").lower(),
                        },
                    },
                )
            else:
                r = http.post(f"{base}/api/comments", json=c, headers={"Authorization": f"Bearer {token}"})
            sent += r.status_code < 300
    return sent


def start_platform_emulators(stack: ExitStack, base: str) -> tuple[str, str]:
    """Serve the Graph API and X API emulators on free loopback ports, their webhooks signed and
    aimed at the app on `base`; returns their base URLs (closed with `stack`)."""
    graph = stack.enter_context(
        serve_in_thread(
            create_graph_emulator(
                app_secret=DEV_SECRETS["meta_app_secret"],
                page_token=DEV_SECRETS["meta_page_token"],
                webhook_url=f"{base}/webhooks/meta",
            ),
            port=free_port(),
        )
    )
    x_api = stack.enter_context(
        serve_in_thread(
            create_x_emulator(
                consumer_secret=DEV_SECRETS["x_consumer_secret"],
                bearer_token=DEV_SECRETS["x_bearer_token"],
                user_id=DEV_X_USER,
                username="panierboreal",
                webhook_url=f"{base}/webhooks/x",
            ),
            port=free_port(),
        )
    )
    return graph, x_api


def run_dev(settings: Settings, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    base = f"http://{host}:{port}"
    with ExitStack() as stack:
        graph, x_api = start_platform_emulators(stack, base)
        settings, workspace = dev_settings(settings, base, graph, x_api)
        upgrade(settings.database_url)
        entries = import_sample_knowledge(settings)
        app = create_app(settings)
        app.mount("/", create_workspace_app(workspace))

        def after_start() -> None:
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            sent = replay_samples(base, graph, x_api, reveal(settings.api_token) or DEV_API_TOKEN)
            log.info(
                "Sowana dev is up: open %s/ (local Slack workspace). %s knowledge entries, %s sample "
                "comments sent through the platform emulators (Graph API %s, X API %s).",
                base,
                entries,
                sent,
                graph,
                x_api,
            )
            log.info(
                "Dashboard: %s/dashboard — Sign in with Slack goes through the local workspace (as the user "
                "its page acts as), or type the API token in the page's form (never in the address).",
                base,
            )
            if reveal(settings.api_token) == DEV_API_TOKEN:
                log.info(
                    "API token for /api/* (Authorization: Bearer): %s (set SOWANA_API_TOKEN to choose one)",
                    DEV_API_TOKEN,
                )
            play_private_story(base, graph, x_api)  # a customer answering a private reply, in the same thread

        threading.Thread(target=after_start, name="sowana-dev-samples", daemon=True).start()
        uvicorn.run(app, host=host, port=port, log_level="info", access_log=False, log_config=None)
