"""Sign in with Slack (OpenID Connect) in the local workspace, on Slack's wire format.

- `GET /openid/connect/authorize?response_type=code&scope=openid…&client_id&redirect_uri&state&nonce`:
  a consent page that signs in the workspace's current user (the one the workspace page acts as, kept in
  the browser's `localStorage["sowana.me"]`); "Allow" POSTs back here and is redirected to
  `redirect_uri?code=…&state=…`, "Cancel" to `redirect_uri?error=access_denied&state=…`.
- Web API `openid.connect.token` (client credentials in HTTP Basic or the form, `code`, `redirect_uri`):
  `{"ok", "access_token", "token_type": "Bearer", "id_token"}`; the id_token is a JWT with `iss`, `sub`,
  `aud` (client id), `exp`, `iat`, `auth_time`, `nonce` and the `https://slack.com/…` claims. Slack signs
  it RS256; here it is HS256 with the client secret (allowed by OpenID Connect for confidential clients).
- Web API `openid.connect.userInfo` (the user's access token): the same claims, `ok: true`.

Codes are single-use and expire after `oauth_code_ttl_s`; errors are Slack's (`invalid_code`,
`bad_client_secret`, `invalid_client_id`, `bad_redirect_uri`, `invalid_grant_type`, `invalid_auth`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.emulators.slack.config import WorkspaceUser
from api.emulators.slack.core import Workspace, WorkspaceError
from api.emulators.slack.state import Grant

AUTHORIZE_PATH = "/openid/connect/authorize"
SCOPES = {"openid", "profile", "email"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_hs256(claims: dict[str, Any], key: str) -> str:
    header = b64url(json.dumps({"typ": "JWT", "alg": "HS256", "kid": "local"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(key.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64url(signature)}"


def _issuer(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _user_team(ws: Workspace, user: WorkspaceUser) -> str:
    return user.team_id or ws.config.team_id


def identity_claims(ws: Workspace, user: WorkspaceUser, scopes: frozenset[str]) -> dict[str, Any]:
    """The claims Slack gives for `openid` (+ `profile`, `email`)."""
    cfg = ws.config
    team = _user_team(ws, user)
    claims: dict[str, Any] = {
        "sub": user.id,
        "https://slack.com/user_id": user.id,
        "https://slack.com/team_id": team,
    }
    if "email" in scopes:
        claims.update(
            {
                "email": user.email or f"{user.name}@{cfg.team_domain}.example",
                "email_verified": True,
                "date_email_verified": 1700000000,
            }
        )
    if "profile" in scopes:
        first, _, rest = user.real_name.partition(" ")
        claims.update(
            {
                "name": user.real_name,
                "picture": "",
                "given_name": first,
                "family_name": rest,
                "locale": "fr-CA",
                "https://slack.com/team_name": cfg.team_name if team == cfg.team_id else team,
                "https://slack.com/team_domain": cfg.team_domain if team == cfg.team_id else team.lower(),
                "https://slack.com/user_image_48": "",
                "https://slack.com/team_image_default": True,
            }
        )
    return claims


# --- the consent page ---------------------------------------------------------------------------


def _error_page(ws: Workspace, error: str, status: int = 400) -> HTMLResponse:
    body = (
        "<!doctype html><meta charset=utf-8><title>Slack</title>"
        "<body style='font-family:sans-serif;padding:3em;max-width:40em'>"
        f"<h1>Connexion impossible · Sign-in failed</h1><p><code>{html.escape(error)}</code></p>"
        f"<p>{html.escape(ws.config.team_name)}</p>"
    )
    return HTMLResponse(body, status_code=status)


def _check_client(ws: Workspace, client_id: str | None, redirect_uri: str | None) -> str | None:
    """Slack shows an error page (and redirects nowhere) for an unknown client or redirect URL."""
    if client_id != ws.config.client_id:
        return "invalid_client_id"
    if not redirect_uri or not redirect_uri.startswith(("http://", "https://")):
        return "bad_redirect_uri"
    allowed = ws.config.redirect_urls
    if allowed and not any(redirect_uri.startswith(prefix) for prefix in allowed):
        return "bad_redirect_uri"
    return None


def _back(redirect_uri: str, **params: str) -> RedirectResponse:
    sep = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(redirect_uri + sep + urlencode(params), status_code=302)


def consent_page(ws: Workspace, query: dict[str, str]) -> str:
    cfg = ws.config
    hidden = "".join(
        f"<input type=hidden name='{k}' value='{html.escape(v, quote=True)}'>"
        for k, v in query.items()
        if k in ("client_id", "redirect_uri", "state", "nonce", "scope", "response_type")
    )
    options = "".join(f"<option value='{u.id}'>{html.escape(u.real_name)}</option>" for u in cfg.users if not u.is_bot)
    scopes = ", ".join(sorted(set(query.get("scope", "").replace(",", " ").split()) & SCOPES))
    return f"""<!doctype html><html lang=fr><head><meta charset=utf-8>
<meta name=viewport content="width=device-width, initial-scale=1">
<title>Se connecter avec Slack · Sign in with Slack</title>
<style>
body{{font-family:-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4ede4;margin:0;color:#1d1c1d}}
.box{{max-width:30em;margin:8vh auto;background:#fff;border-radius:10px;padding:2em 2.4em;
box-shadow:0 1px 4px rgba(0,0,0,.15)}}
h1{{font-size:1.35em;margin:.2em 0 .8em}} .team{{color:#616061;font-size:.95em}}
select{{font-size:1em;padding:.35em;margin:.4em 0 1em;width:100%}}
.row{{display:flex;gap:.8em;margin-top:1.2em}}
button{{font-size:1em;padding:.6em 1.3em;border-radius:6px;border:1px solid #bbb;background:#fff;cursor:pointer}}
button.allow{{background:#007a5a;color:#fff;border-color:#007a5a;font-weight:600}}
</style></head><body><form class=box method=post action="{AUTHORIZE_PATH}">
<div class=team>{html.escape(cfg.team_name)} · {html.escape(cfg.team_domain)}.slack.com</div>
<h1>Se connecter avec Slack · Sign in with Slack</h1>
<p>Une application demande votre identité Slack · An app asks for your Slack identity
(<code>{html.escape(scopes or "openid")}</code>).</p>
<label>Vous êtes · You are<select name=user id=user>{options}</select></label>
{hidden}
<div class=row><button class=allow name=decision value=allow id=allow>Autoriser · Allow</button>
<button name=decision value=deny id=deny>Annuler · Cancel</button></div>
</form>
<script>
// The workspace page's current user (same browser storage as the page at /).
const me = new URLSearchParams(location.search).get("as") || localStorage.getItem("sowana.me");
const sel = document.getElementById("user");
if (me && [...sel.options].some((o) => o.value === me)) sel.value = me;
</script></body></html>"""


def build_page_router(ws: Workspace) -> APIRouter:
    router = APIRouter()

    @router.get(AUTHORIZE_PATH, include_in_schema=False)
    async def authorize(request: Request) -> Response:
        query = dict(request.query_params)
        error = _check_client(ws, query.get("client_id"), query.get("redirect_uri"))
        if error:
            return _error_page(ws, error)
        redirect_uri = query["redirect_uri"]
        state = query.get("state", "")
        if query.get("response_type") != "code":
            return _back(redirect_uri, error="unsupported_response_type", state=state)
        if "openid" not in query.get("scope", "").replace(",", " ").split():
            return _back(redirect_uri, error="invalid_scope", state=state)
        return HTMLResponse(consent_page(ws, query), headers={"Cache-Control": "no-store"})

    @router.post(AUTHORIZE_PATH, include_in_schema=False)
    async def decide(request: Request) -> Response:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        error = _check_client(ws, form.get("client_id"), form.get("redirect_uri"))
        if error:
            return _error_page(ws, error)
        redirect_uri, state = form["redirect_uri"], form.get("state", "")
        if form.get("decision") != "allow":
            return _back(redirect_uri, error="access_denied", state=state)
        user = ws.config.user(form.get("user", ""))
        if user is None or user.is_bot:
            return _error_page(ws, "user_not_found")
        scopes = frozenset(set(form.get("scope", "").replace(",", " ").split()) & SCOPES)
        grant = Grant(
            user.id,
            ws.config.client_id,
            redirect_uri,
            form.get("nonce") or None,
            scopes,
            time.monotonic(),
            int(time.time()),
        )
        return _back(redirect_uri, code=ws.openid.issue_code(grant), state=state)

    return router


# --- Web API methods (authenticated by the app's credentials or the user's token, not the bot's) -----


def _client_credentials(request: Request, params: dict[str, Any]) -> tuple[str, str]:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(auth[6:].strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise WorkspaceError("invalid_auth") from None
        return client_id, secret
    return str(params.get("client_id") or ""), str(params.get("client_secret") or "")


async def connect_token(ws: Workspace, params: dict[str, Any], request: Request) -> dict[str, Any]:
    client_id, secret = _client_credentials(request, params)
    cfg = ws.config
    if client_id != cfg.client_id:
        raise WorkspaceError("invalid_client_id")
    if not hmac.compare_digest(secret.encode(), cfg.client_secret.encode()):
        raise WorkspaceError("bad_client_secret")
    if params.get("grant_type") not in (None, "", "authorization_code"):
        raise WorkspaceError("invalid_grant_type")
    grant = ws.openid.take_code(str(params.get("code") or ""), cfg.oauth_code_ttl_s)
    if grant is None or grant.client_id != client_id:
        raise WorkspaceError("invalid_code")
    if params.get("redirect_uri") != grant.redirect_uri:
        raise WorkspaceError("bad_redirect_uri")
    user = ws.require_user(grant.user_id)
    access_token = f"xoxp-{secrets.randbelow(10**12)}-{secrets.token_hex(16)}"
    with ws.openid.lock:
        ws.openid.tokens[access_token] = grant
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": _issuer(request),
        "aud": client_id,
        "exp": now + 3600,
        "iat": now,
        "auth_time": grant.auth_time,
        **identity_claims(ws, user, grant.scopes),
    }
    if grant.nonce:
        claims["nonce"] = grant.nonce
    claims["at_hash"] = b64url(hashlib.sha256(access_token.encode()).digest()[:16])
    return {"access_token": access_token, "token_type": "Bearer", "id_token": jwt_hs256(claims, cfg.client_secret)}


async def connect_user_info(ws: Workspace, params: dict[str, Any], request: Request) -> dict[str, Any]:
    auth = request.headers.get("authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else str(params.get("token") or "")
    if not token:
        raise WorkspaceError("not_authed")
    with ws.openid.lock:
        grant = ws.openid.tokens.get(token)
    if grant is None:
        raise WorkspaceError("invalid_auth")
    return identity_claims(ws, ws.require_user(grant.user_id), grant.scopes)


METHODS = {"openid.connect.token": connect_token, "openid.connect.userInfo": connect_user_info}
