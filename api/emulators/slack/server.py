"""`create_workspace_app(config)`: the local Slack workspace as one FastAPI app.

- `{config.api_prefix}/{method}`: the Slack Web API (point `SLACK_API_URL` at `<base>/api/`)
- `/`: the Slack-like page; `/workspace/...`: what the page (and tests) do as users
- `/workspace/response/{token}`: response_url endpoints handed to the bot
- `/openid/connect/authorize`: Sign in with Slack's consent page (`openid.connect.*` in the Web API)
"""

from __future__ import annotations

from fastapi import FastAPI

from api.emulators.slack import faults, openid, page_routes, web_api
from api.emulators.slack.config import WorkspaceConfig
from api.emulators.slack.core import Workspace


def create_workspace_app(config: WorkspaceConfig | None = None) -> FastAPI:
    ws = Workspace(config or WorkspaceConfig())
    app = FastAPI(title="Sowana local Slack workspace", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.workspace = ws
    app.include_router(web_api.build_router(ws), prefix=ws.config.api_prefix.rstrip("/"))
    app.include_router(page_routes.build_router(ws))
    app.include_router(faults.build_router(ws.faults))
    app.include_router(openid.build_page_router(ws))
    return app


def set_request_url(app: FastAPI, url: str | None) -> None:
    """Point deliveries at another URL (e.g. a bot served after the workspace, on a free port)."""
    app.state.workspace.deliverer.request_url = url
