"""`sowana dev`: everything local on embedded defaults — API, worker, outbox, the local Slack
workspace (its page at /), the sample brand's knowledge and a handful of sample comments."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from api.app import create_app
from bot.comments import CommentIn, ingest
from bot.db import make_engine, upgrade
from bot.settings import Settings
from bot.workspace import WorkspaceConfig, create_workspace_app

log = logging.getLogger(__name__)
SAMPLES = Path(__file__).with_name("samples")
DEV_API_TOKEN = "dev-token"


def dev_settings(settings: Settings, base: str) -> tuple[Settings, WorkspaceConfig]:
    """Point Slack at the local workspace served by the same process."""
    workspace = WorkspaceConfig(request_url=f"{base}/slack/events")
    overrides = {
        "slack_bot_token": workspace.bot_token,
        "slack_signing_secret": workspace.signing_secret,
        "slack_api_url": f"{base}/api/",
        "review_channel": settings.review_channel or "C0REVIEW",
        "sac_channel": settings.sac_channel or "C0SAC",
        "api_token": settings.api_token or DEV_API_TOKEN,
        "approvers": settings.approvers or ["S0APPROVERS"],
    }
    return settings.model_copy(update=overrides), workspace


def replay_samples(settings: Settings) -> int:
    """Ingest the sample comments (idempotent: a restart adds nothing)."""
    engine = make_engine(settings.database_url)
    created = 0
    for line in (SAMPLES / "comments.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            _comment, new = ingest(engine, CommentIn.model_validate_json(line), actor="sample")
            created += new
    engine.dispose()
    return created


def run_dev(settings: Settings, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    base = f"http://{host}:{port}"
    settings, workspace = dev_settings(settings, base)
    upgrade(settings.database_url)
    app = create_app(settings)
    app.mount("/", create_workspace_app(workspace))

    def after_start() -> None:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        created = replay_samples(settings)
        app.state.wake_worker and app.state.wake_worker()
        log.info("Sowana dev is up: open %s/ (local Slack workspace); %s sample comments added", base, created)
        log.info(
            "API token for /api/*: %s",
            "dev-token (SOWANA_API_TOKEN unset)" if settings.api_token == DEV_API_TOKEN else "from SOWANA_API_TOKEN",
        )

    threading.Thread(target=after_start, name="sowana-dev-samples", daemon=True).start()
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)
