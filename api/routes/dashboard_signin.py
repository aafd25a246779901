"""Sign in with Slack for `/dashboard` (OpenID Connect, authorization-code flow), for real Slack and the
local workspace alike: the authorize page is at SLACK_API_URL's origin + `/openid/connect/authorize`.

1. `GET /dashboard/signin`: a random `state` and `nonce` go into a short-lived signed cookie, the browser
   goes to Slack with them (`scope=openid profile`, `team=` the bot's team).
2. `GET /dashboard/signin/callback?code&state`: the state must be the cookie's (CSRF), the code is
   exchanged server-side with the client secret (`openid.connect.token`), the id_token's `aud`, `iss`,
   `exp`, `nonce` are checked, and its `https://slack.com/team_id` must be the bot's (`auth.test`).
   The id_token comes straight from Slack over TLS, authenticated by our secret, so its signature is not
   checked again (OpenID Connect Core 3.1.3.7).
3. A session cookie (signed, HttpOnly, SameSite=Lax, `SOWANA_SESSION_HOURS`) opens the dashboard;
   `POST /dashboard/signout` removes it.

Who may sign in: any member of the bot's workspace (the dashboard shows team figures and comments that are
already in the review channel, nothing personal to the viewer). SOWANA_APPROVERS is not consulted: it
governs who may act on a reply, not who may look. Tokens, codes and cookies are never logged.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import json
import logging
import secrets
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from api.deps import context_of
from bot.settings import Settings, reveal

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
COOKIE = "sowana_dashboard"  # the token sign-in's (dashboard.py); signing out ends both
SESSION_COOKIE = "sowana_session"
STATE_COOKIE = "sowana_signin"
STATE_SECONDS = 600  # time allowed between leaving for Slack and coming back
SCOPES = "openid profile"
PAGE = Path(__file__).resolve().parents[1] / "static" / "dashboard.signin.html"
_teams: dict[tuple[str, str], str] = {}
_teams_lock = threading.Lock()


# --- pure parts --------------------------------------------------------------------------------------


def signing_key(settings: Settings) -> bytes | None:
    """Cookies are signed with a key derived from SLACK_SIGNING_SECRET (else SOWANA_API_TOKEN)."""
    secret = reveal(settings.slack_signing_secret) or reveal(settings.api_token)
    if not secret:
        return None
    return hmac.new(secret.encode(), b"sowana-dashboard-session-v1", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal(key: bytes, payload: dict[str, Any]) -> str:
    """`payload` (with an `exp`) as `body.signature`: readable by its holder, unforgeable."""
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body}.{_b64(hmac.new(key, body.encode(), hashlib.sha256).digest())}"


def unseal(key: bytes, value: str, now: float) -> dict[str, Any] | None:
    """The payload if the signature is ours and `exp` is still ahead, else None."""
    body, _, signature = value.partition(".")
    expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    if not signature or not hmac.compare_digest(signature.encode(), expected.encode()):
        return None
    try:
        payload = json.loads(_unb64(body))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int | float) or payload["exp"] <= now:
        return None
    return payload


def slack_origin(settings: Settings) -> str:
    """`https://slack.com` for `https://slack.com/api/`; the local workspace's base URL for its API."""
    parsed = urlparse(settings.slack_api_url)
    return f"{parsed.scheme}://{parsed.netloc}"


def authorize_url(settings: Settings, redirect_uri: str, state: str, nonce: str, team: str | None) -> str:
    query = {
        "response_type": "code",
        "scope": SCOPES,
        "client_id": settings.slack_client_id or "",
        "state": state,
        "nonce": nonce,
        "redirect_uri": redirect_uri,
    }
    if team:
        query["team"] = team  # Slack skips its workspace picker
    return f"{slack_origin(settings)}/openid/connect/authorize?{urlencode(query)}"


def id_token_claims(id_token: str) -> dict[str, Any] | None:
    parts = id_token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(_unb64(parts[1]))
    except (ValueError, binascii.Error):
        return None
    return claims if isinstance(claims, dict) else None


def claims_refusal(claims: dict[str, Any], *, client_id: str, issuer: str, nonce: str, now: float) -> str | None:
    """Why this id_token is not for us (None when it is)."""
    aud = claims.get("aud")
    if aud != client_id and not (isinstance(aud, list) and client_id in aud):
        return "id_token: audience is another app"
    if claims.get("iss") != issuer:
        return "id_token: issuer is not Slack"
    if not isinstance(claims.get("exp"), int | float) or claims["exp"] < now - 60:
        return "id_token: expired"
    if not hmac.compare_digest(str(claims.get("nonce", "")).encode(), nonce.encode()):
        return "id_token: nonce does not match"
    if not claims.get("https://slack.com/user_id") or not claims.get("https://slack.com/team_id"):
        return "id_token: no Slack user or team"
    return None


def safe_next(value: str | None) -> str:
    """Only a dashboard address may be returned to (no open redirect)."""
    if value and value.startswith("/dashboard") and not value.startswith("/dashboard/signin"):
        return value
    return "/dashboard"


def token_form(next_address: str) -> str:
    """The API token's way in: a POST form (a token in a URL would sit in logs, history and Referer)."""
    return (
        "<form class='token' method='post' action='/dashboard/signin/token'>"
        "<label for='token'>Avec le jeton de l'API · with the API token</label>"
        "<input type='password' id='token' name='token' autocomplete='current-password' required>"
        f"<input type='hidden' name='next' value='{html.escape(next_address, quote=True)}'>"
        "<button type='submit' id='token-signin'>Ouvrir · Open</button></form>"
    )


def page(title: str, message: str, *, button: str | None = None, token_next: str | None = None) -> str:
    action = ""
    if button:
        action = (
            f"<a class='slack' id='signin' href='{html.escape(button, quote=True)}'>"
            "Se connecter avec Slack · Sign in with Slack</a>"
        )
    return (
        PAGE.read_text(encoding="utf-8")
        .replace("{{title}}", html.escape(title))
        .replace("{{message}}", message)
        .replace("{{action}}", action)
        .replace("{{token}}", token_form(token_next) if token_next is not None else "")
    )


# --- settings and Slack ------------------------------------------------------------------------------


def enabled(settings: Settings) -> bool:
    """Offered only with the app's credentials, a bot token (to learn the team) and a key for cookies."""
    return bool(
        settings.slack_client_id and settings.slack_client_secret and settings.slack_bot_token and signing_key(settings)
    )


def bot_team(settings: Settings) -> str:
    """The bot's workspace (auth.test), asked once per token."""
    token = reveal(settings.slack_bot_token)
    assert token
    key = (settings.slack_api_url, hashlib.sha256(token.encode()).hexdigest())
    with _teams_lock:
        if key in _teams:
            return _teams[key]
    team = str(WebClient(token=token, base_url=settings.slack_api_url, timeout=15).auth_test()["team_id"])
    with _teams_lock:
        _teams[key] = team
    return team


def session(request: Request) -> dict[str, Any] | None:
    """The signed-in Slack user of this request (`u` user id, `t` team id, `n` name), if any."""
    settings = context_of(request).settings
    key = signing_key(settings)
    value = request.cookies.get(SESSION_COOKIE)
    if not key or not value or not enabled(settings):
        return None
    return unseal(key, value, time.time())


def _refuse(status: int, reason: str, settings: Settings) -> HTMLResponse:
    message = f"<p class='reason'>{html.escape(reason)}</p>"
    return HTMLResponse(
        page("Connexion refusée · Sign-in refused", message, button="/dashboard/signin" if status != 403 else None),
        status_code=status,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},  # the address holds code/state
    )


# --- routes ------------------------------------------------------------------------------------------


def callback_uri(request: Request, settings: Settings) -> str:
    """Where Slack sends the person back. From SOWANA_PUBLIC_URL when it is set: behind a TLS proxy the
    request itself says http:// and the proxy's host may differ; from the request otherwise (`sowana dev`)."""
    if "public_url" in settings.model_fields_set:
        path = request.app.url_path_for("dashboard_signin_callback")
        return settings.public_url.rstrip("/") + str(path)
    return str(request.url_for("dashboard_signin_callback"))


@router.get("/dashboard/signin")
def signin(request: Request, next: str | None = None) -> Response:  # noqa: A002 - the query's name
    settings = context_of(request).settings
    key = signing_key(settings)
    if not enabled(settings) or key is None:
        return HTMLResponse(page("Sowana", "<p>Sign in with Slack is not configured.</p>"), status_code=404)
    try:
        team: str | None = bot_team(settings)
    except SlackApiError:
        team = None  # Slack will ask which workspace; the callback still checks the team
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    response = RedirectResponse(
        authorize_url(settings, callback_uri(request, settings), state, nonce, team), status_code=302
    )
    cookie = seal(key, {"s": state, "n": nonce, "r": safe_next(next), "exp": int(time.time()) + STATE_SECONDS})
    response.set_cookie(
        STATE_COOKIE,
        cookie,
        max_age=STATE_SECONDS,
        path="/dashboard/signin",
        httponly=True,
        samesite="lax",  # sent on the top-level navigation back from Slack
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/dashboard/signin/callback", name="dashboard_signin_callback")
def callback(request: Request, code: str | None = None, state: str | None = None, error: str | None = None) -> Response:
    settings = context_of(request).settings
    key = signing_key(settings)
    if not enabled(settings) or key is None:
        return HTMLResponse(page("Sowana", "<p>Sign in with Slack is not configured.</p>"), status_code=404)
    pending = unseal(key, request.cookies.get(STATE_COOKIE, ""), time.time())
    if pending is None or not state or not hmac.compare_digest(str(pending["s"]).encode(), state.encode()):
        return _refuse(
            400,
            "État de connexion invalide ou expiré · invalid or expired sign-in state "
            "(recommencez depuis le tableau de bord · start again from the dashboard)",
            settings,
        )
    if error or not code:
        return _refuse(400, f"Slack a refusé · Slack refused: {error or 'no code'}", settings)
    client = WebClient(base_url=settings.slack_api_url, timeout=15)
    try:
        answer = client.openid_connect_token(
            client_id=settings.slack_client_id or "",
            client_secret=reveal(settings.slack_client_secret) or "",
            code=code,
            redirect_uri=callback_uri(request, settings),
            grant_type="authorization_code",
        )
    except SlackApiError as exc:
        reason = str(exc.response.get("error") or exc.response.status_code)
        log.info("dashboard sign-in: openid.connect.token refused (%s)", reason)
        return _refuse(400, f"Slack a refusé le code · Slack refused the code: {reason}", settings)
    claims = id_token_claims(str(answer.get("id_token") or ""))
    problem = (
        "id_token: missing or unreadable"
        if claims is None
        else claims_refusal(
            claims,
            client_id=settings.slack_client_id or "",
            issuer=slack_origin(settings),
            nonce=str(pending["n"]),
            now=time.time(),
        )
    )
    if claims is None or problem:
        return _refuse(400, problem or "id_token", settings)
    team = str(claims["https://slack.com/team_id"])
    try:
        ours = bot_team(settings)
    except SlackApiError as exc:
        return _refuse(502, f"auth.test: {exc.response.get('error')}", settings)
    if team != ours:
        log.info("dashboard sign-in refused: a user of another workspace")
        return _refuse(
            403,
            "Ce compte Slack n'est pas membre de l'espace de travail de Sowana · this Slack account is not a "
            "member of Sowana's workspace",
            settings,
        )
    user = str(claims["https://slack.com/user_id"])
    expires = int(time.time() + settings.session_hours * 3600)
    response = RedirectResponse(safe_next(str(pending.get("r"))), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        seal(key, {"u": user, "t": team, "n": str(claims.get("name") or user)[:80], "exp": expires}),
        max_age=max(1, int(settings.session_hours * 3600)),
        path="/dashboard",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(STATE_COOKIE, path="/dashboard/signin")
    return response


@router.post("/dashboard/signout")
def signout(request: Request) -> Response:
    response = RedirectResponse("/dashboard", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/dashboard")
    response.delete_cookie(COOKIE, path="/dashboard")
    return response
