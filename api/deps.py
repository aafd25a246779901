"""What the routes get from the app: one typed `AppContext` (set by `create_app`, or by a test that
mounts a router on its own app) and the `Annotated` dependencies that hand out its parts."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine

from bot.brands import Brands
from bot.settings import Settings, reveal

if TYPE_CHECKING:  # only for annotations: the routes never reach the pieces behind these
    from api.metrics import Metrics
    from bot.comments.outbox import Outbox
    from bot.comments.worker import Worker
    from bot.privacy.erase import Eraser
    from bot.runtime.loop import PollingLoop
    from bot.sac.keeper import CaseKeeper
    from bot.slack.sender import SlackSender
    from knowledge.retrieval import Retriever
    from knowledge.store import KnowledgeStore

_bearer = HTTPBearer(auto_error=False)


@dataclass
class AppContext:
    """The app's shared state. Only `settings` is required: a router mounted alone (tests) gets the
    rest built on first use (knowledge store, brands) or goes without (metrics, wake-ups)."""

    settings: Settings
    engine: Engine | None = None
    metrics: Metrics | None = None
    brands: Brands | None = None  # loaded from settings on first use when unset
    knowledge: KnowledgeStore | None = None  # opened from settings on first use when unset
    knowledge_retriever: Retriever | None = None
    persona_dirs: list[Path] = field(default_factory=list)  # brand persona folders beside the defaults
    wake_worker: Callable[[], None] | None = None  # new work: look now instead of at the next poll
    on_comment_changed: Callable[[int, str], None] | None = None  # (comment id, "edited" | "deleted")
    worker: Worker | None = None
    outbox: Outbox | None = None
    sender: SlackSender | None = None
    cases: CaseKeeper | None = None
    loops: list[PollingLoop] = field(default_factory=list)  # the background loops readiness watches
    eraser: Eraser | None = None  # privacy erasures (DELETE /api/authors/…); database only when unset

    def require_engine(self) -> Engine:
        assert self.engine is not None, "this app has no database"
        return self.engine


def install(app: object, context: AppContext) -> AppContext:
    """Put the context where `get_context` finds it."""
    app.state.context = context  # type: ignore[attr-defined]
    return context


def context_of(request: Request) -> AppContext:
    """The context, for a helper that holds the request rather than a dependency."""
    context: AppContext = request.app.state.context
    return context


# Every dependency below is `async def` on purpose: each only reads memory, and a plain `def`
# dependency costs a hop to the thread pool and back on every request (measurable in bench/ingest.py).
async def get_context(request: Request) -> AppContext:
    return context_of(request)


Context = Annotated[AppContext, Depends(get_context)]


async def get_app_settings(context: Context) -> Settings:
    return context.settings


AppSettings = Annotated[Settings, Depends(get_app_settings)]


async def get_engine(context: Context) -> Engine:
    return context.require_engine()


DbEngine = Annotated[Engine, Depends(get_engine)]


async def require_api_token(
    settings: AppSettings,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
) -> None:
    """`/api/*` is refused unless SOWANA_API_TOKEN is set and the bearer token matches it."""
    token = reveal(settings.api_token)
    if not token:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "SOWANA_API_TOKEN is not set: /api is disabled")
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "missing bearer token", headers={"WWW-Authenticate": "Bearer"}
        )
    if not hmac.compare_digest(credentials.credentials.encode(), token.encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong bearer token", headers={"WWW-Authenticate": "Bearer"})
