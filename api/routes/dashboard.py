"""`/dashboard`: the team's page (volume by sentiment, response times, topics, bad-buzz alerts), drawn by
the page itself from `/dashboard/data` (SVG, no outside script: the page works offline).

Access: the API token, as `Authorization: Bearer …`, or typed once in the sign-in page's form (a POST to
`/dashboard/signin/token`), which sets an HttpOnly cookie (a digest of the token, never the token); or Sign in
with Slack (api/routes/dashboard_signin.py) when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set. The token
never travels in a URL (it would sit in access logs, the browser's history and `Referer` headers): an old
`?token=…` link is not honoured, only stripped from the address. Refused: 401 — for a browser (Accept:
text/html) with the sign-in page as its body."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request, status
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlmodel import col

from api.deps import context_of
from api.routes import dashboard_signin as signin
from bot.brands import load_brands
from bot.db import session_scope
from bot.insights.digest import sla_targets
from bot.insights.overview import build_overview, negative_comments, period
from bot.models import Comment
from bot.settings import Settings, reveal

router = APIRouter(tags=["dashboard"], include_in_schema=False)
router.include_router(signin.router)
STATIC = Path(__file__).resolve().parents[1] / "static"
ASSETS = {"dashboard.css": "text/css", "dashboard.js": "text/javascript"}
COOKIE = signin.COOKIE
REFUSED = (
    "<!doctype html><meta charset=utf-8><title>Sowana</title><body style='font-family:sans-serif;padding:3em'>"
    "<h1>Accès refusé · Access denied</h1><p>Ouvrez le tableau de bord dans un navigateur, ou avec l'en-tête"
    " <code>Authorization: Bearer</code> · open the dashboard in a browser, or with an"
    " <code>Authorization: Bearer</code> header.</p>"
)
# No cache, and no `Referer` to anywhere: nothing of the address leaves the page.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _cookie_value(token: str) -> str:
    return hmac.new(token.encode(), b"sowana-dashboard-v1", hashlib.sha256).hexdigest()


def _viewer(request: Request) -> dict[str, str] | None:
    """Who is looking: the API token's holder, or the Slack user signed in; None if nobody."""
    if _token_ok(request):
        return {"via": "token", "name": "API"}
    found = signin.session(request)
    if found is None:
        return None
    return {"via": "slack", "name": str(found.get("n", "")), "user": str(found.get("u", ""))}


def _authorized(request: Request) -> bool:
    return _viewer(request) is not None


def _refused(request: Request, target: str, reason: str | None = None) -> Response:
    """A browser gets the sign-in page (the token form, and Sign in with Slack when configured); anyone
    else a plain 401."""
    if "text/html" not in request.headers.get("accept", ""):
        return HTMLResponse(REFUSED, status_code=401, headers=PRIVATE)
    settings = context_of(request).settings
    slack = signin.enabled(settings)
    message = (f"<p class='reason'>{reason}</p>" if reason else "") + (
        "<p>Connectez-vous avec votre compte Slack de l'équipe · sign in with your team's Slack account.</p>"
        if slack
        else "<p>Entrez le jeton de l'API · enter the API token.</p>"
    )
    return HTMLResponse(
        signin.page(
            "Tableau de bord · Dashboard",
            message,
            button="/dashboard/signin?" + urlencode({"next": target}) if slack else None,
            token_next=target,
        ),
        status_code=401,  # still refused: the page only offers the ways in
        headers=PRIVATE,
    )


def _token_matches(given: str, settings: Settings) -> bool:
    token = reveal(settings.api_token)
    return bool(token) and hmac.compare_digest(given.encode(), token.encode())  # type: ignore[union-attr]


def _token_ok(request: Request) -> bool:
    settings = context_of(request).settings
    token = reveal(settings.api_token)
    if not token:
        return False
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer ") and _token_matches(auth[7:].strip(), settings):
        return True
    cookie = request.cookies.get(COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), _cookie_value(token).encode())


def _address(request: Request, *, without: str | None = None) -> str:
    rest = [(k, v) for k, v in request.query_params.multi_items() if k != without]
    return request.url.path + (f"?{urlencode(rest)}" if rest else "")


@router.get("/dashboard", response_class=HTMLResponse)
def page(request: Request) -> Response:
    if "token" in request.query_params:
        # An old `?token=` link: never honoured (the token would be in the history and the logs), only
        # taken out of the address bar; the page then asks for it in its form.
        return RedirectResponse(_address(request, without="token"), status_code=303, headers=PRIVATE)
    if not _authorized(request):
        return _refused(request, _address(request))
    return FileResponse(STATIC / "dashboard.html", media_type="text/html", headers=PRIVATE)


@router.post("/dashboard/signin/token")
def token_signin(
    request: Request,
    token: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2048)] = "/dashboard",  # noqa: A002 - the form field's name
) -> Response:
    """The sign-in form: the token in a POST body (never in a URL); a cookie holding its digest."""
    settings = context_of(request).settings
    secret = reveal(settings.api_token)
    if not secret or not _token_matches(token.strip(), settings):
        return _refused(request, signin.safe_next(next), "Jeton refusé · wrong token")
    response = RedirectResponse(signin.safe_next(next), status_code=303, headers=PRIVATE)
    response.set_cookie(
        COOKIE,
        _cookie_value(secret),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/dashboard",
        max_age=30 * 24 * 3600,
    )
    return response


@router.get("/dashboard/assets/{name}")
def asset(name: str) -> Response:
    if name not in ASSETS:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return FileResponse(STATIC / name, media_type=ASSETS[name])


def _brands(request: Request) -> list[str]:
    configured = [b.brand for b in load_brands(context_of(request).settings).items]
    with session_scope(context_of(request).require_engine()) as s:
        seen = [row[0] for row in s.execute(select(col(Comment.brand)).distinct()).all()]
    return sorted(set(configured) | set(seen))


def _parse_time(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{name}: not an ISO-8601 time") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@router.get("/dashboard/data")
def data(
    request: Request,
    brand: str | None = None,
    days: Annotated[int, Query(ge=1, le=90)] = 1,
    until: str | None = None,
    topic: str | None = None,
    since: str | None = None,
) -> dict[str, Any]:
    """Figures of a brand over `days` ending `until` (default now); the negative comments of `topic`
    since `since` (a bad-buzz alert's link) or over the period."""
    viewer = _viewer(request)
    if viewer is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "dashboard: API token or Slack sign-in required")
    brands = _brands(request)
    chosen = brand or (brands[0] if brands else "default")
    end = _parse_time(until, "until") or datetime.now(UTC)
    p = period(end, days)
    engine = context_of(request).require_engine()
    out = build_overview(engine, chosen, p, sla_targets(context_of(request).settings))
    start = _parse_time(since, "since") or p.start
    out["brand"] = chosen
    out["viewer"] = viewer
    out["brands"] = brands
    out["filter"] = {"topic": topic, "since": start.isoformat()}
    out["negatives"] = negative_comments(engine, chosen, start, max(p.end, end), topic=topic, limit=50 if topic else 20)
    return out
