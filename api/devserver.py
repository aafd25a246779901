"""`sowana dev`: everything local on embedded defaults."""

from __future__ import annotations

import logging

import uvicorn

from api.app import create_app
from bot.db import upgrade
from bot.settings import Settings

log = logging.getLogger(__name__)


def run_dev(settings: Settings, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    upgrade(settings.database_url)
    app = create_app(settings)
    log.info("Sowana dev on http://%s:%s (database %s)", host, port, settings.database_url.split("@")[-1])
    uvicorn.run(app, host=host, port=port, log_level="info")
