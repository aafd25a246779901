"""FastAPI dependencies shared by the routers."""

from __future__ import annotations

import hmac

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bot.settings import Settings, reveal

_bearer = HTTPBearer(auto_error=False)


# Both are `async def` on purpose: they only compare strings, and a plain `def` dependency costs a
# hop to the thread pool and back on every request (measurable in bench/ingest.py).
async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def require_api_token(
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    settings: Settings = Depends(get_app_settings),
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
