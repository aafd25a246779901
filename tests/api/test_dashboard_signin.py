"""Sign in with Slack on `/dashboard`, through the local Slack workspace, both on real loopback servers:
the whole authorization-code flow as a browser would follow it, and every way it must refuse."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from api.app import create_app
from api.emulators.slack import WorkspaceConfig, WorkspaceUser, create_workspace_app
from api.routes.dashboard_signin import SESSION_COOKIE, id_token_claims
from bot.brain import Brain
from bot.db import make_engine, upgrade
from bot.settings import load_settings
from tests.servers import serve

TOKEN = "dash-token-signin-0123456789"
OUTSIDER = WorkspaceUser("U0EXT", "alex", "Alex (autre équipe)", "Agence", team_id="T0OTHERTEAM")
HTML = {"Accept": "text/html,application/xhtml+xml"}


@dataclass
class Servers:
    app: str
    workspace: str
    config: WorkspaceConfig


@contextmanager
def _servers(
    tmp_path, *, client_secret: str | None = None, session_hours: float = 12.0, **extra: str
) -> Iterator[Servers]:
    config = WorkspaceConfig(request_url=None, users=(*WorkspaceConfig().users, OUTSIDER))
    url = f"sqlite:///{tmp_path}/sowana.db"
    upgrade(url)
    engine = make_engine(url)
    with serve(create_workspace_app(config)) as ws:
        settings = load_settings(
            database_url=url,
            api_token=TOKEN,
            slack_bot_token=config.bot_token,
            slack_signing_secret=config.signing_secret,
            slack_api_url=f"{ws}/api/",
            slack_client_id=config.client_id,
            slack_client_secret=client_secret or config.client_secret,
            session_hours=session_hours,
            **extra,  # type: ignore[arg-type]
        )
        app = create_app(settings, engine=engine, run_worker=False, brain=Brain())
        with serve(app) as base:
            yield Servers(base, ws, config)
    engine.dispose()


@pytest.fixture
def servers(tmp_path) -> Iterator[Servers]:
    with _servers(tmp_path) as s:
        yield s


def _form(page: str) -> dict[str, str]:
    """The consent form's fields, as the browser would post them."""
    fields = {m[0]: unescape(m[1]) for m in re.findall(r"<input type=hidden name='(\w+)' value='([^']*)'>", page)}
    return fields


def _to_consent(c: httpx.Client, base: str) -> httpx.Response:
    """From the refused dashboard to the workspace's consent page, following the sign-in button."""
    refused = c.get(f"{base}/dashboard", headers=HTML)
    assert refused.status_code == 401 and "Se connecter avec Slack · Sign in with Slack" in refused.text
    href = unescape(re.search(r"id='signin' href='([^']+)'", refused.text)[1])  # type: ignore[index]
    consent = c.get(base + href, headers=HTML, follow_redirects=True)
    assert consent.status_code == 200 and "/openid/connect/authorize" in str(consent.url)
    return consent


def _sign_in(c: httpx.Client, s: Servers, user: str = "U0CM") -> httpx.Response:
    consent = _to_consent(c, s.app)
    form = _form(consent.text) | {"user": user, "decision": "allow"}
    return c.post(f"{s.workspace}/openid/connect/authorize", data=form, headers=HTML, follow_redirects=True)


def test_a_workspace_member_signs_in_and_sees_the_dashboard(servers):
    with httpx.Client(timeout=30) as c:
        landed = _sign_in(c, servers)
        assert landed.status_code == 200 and "tableau de bord · dashboard" in landed.text
        assert str(landed.url) == f"{servers.app}/dashboard"
        set_cookie = next(r for r in landed.history if SESSION_COOKIE in r.headers.get("set-cookie", ""))
        header = set_cookie.headers["set-cookie"].lower()
        assert "httponly" in header and "samesite=lax" in header and "max-age=43200" in header
        data = c.get(f"{servers.app}/dashboard/data")
        assert data.status_code == 200
        assert data.json()["viewer"] == {"via": "slack", "name": "Camille (CM)", "user": "U0CM"}
        # Sign out: the session is gone, the browser is offered the sign-in again.
        out = c.post(f"{servers.app}/dashboard/signout", headers=HTML, follow_redirects=True)
        assert "Se connecter avec Slack" in out.text
        assert c.get(f"{servers.app}/dashboard/data").status_code == 401


def test_the_dashboard_address_asked_for_is_where_the_sign_in_returns(servers):
    with httpx.Client(timeout=30) as c:
        r = c.get(f"{servers.app}/dashboard?days=7&topic=livraison", headers=HTML)
        href = unescape(re.search(r"id='signin' href='([^']+)'", r.text)[1])  # type: ignore[index]
        consent = c.get(servers.app + href, follow_redirects=True)
        form = _form(consent.text) | {"user": "U0SAC", "decision": "allow"}
        landed = c.post(f"{servers.workspace}/openid/connect/authorize", data=form, follow_redirects=True)
        assert landed.url.path == "/dashboard" and landed.url.params["topic"] == "livraison"
        assert c.get(f"{servers.app}/dashboard/data").json()["viewer"]["name"] == "Sami (SAC)"


def test_behind_a_tls_proxy_slack_sends_people_back_to_the_public_address(tmp_path):
    public = "https://sowana.agence.example"
    with _servers(tmp_path, public_url=public) as s, httpx.Client(timeout=30) as c:
        start = c.get(f"{s.app}/dashboard/signin", headers=HTML)  # the proxy spoke plain http to Sowana
        assert start.status_code == 302
        asked = httpx.URL(start.headers["location"]).params["redirect_uri"]
        assert asked == f"{public}/dashboard/signin/callback"


def test_a_forged_state_is_refused(servers):
    with httpx.Client(timeout=30) as c:
        consent = _to_consent(c, servers.app)
        form = _form(consent.text) | {"user": "U0CM", "decision": "allow", "state": "forged-by-someone-else"}
        r = c.post(f"{servers.workspace}/openid/connect/authorize", data=form, follow_redirects=True)
        assert r.status_code == 400 and "invalid or expired sign-in state" in r.text
        assert c.get(f"{servers.app}/dashboard/data").status_code == 401
    # A callback link planted on someone who never started a sign-in (no state cookie) is refused too.
    with httpx.Client(timeout=30) as c:
        r = c.get(f"{servers.app}/dashboard/signin/callback", params={"code": "1.2.3", "state": "x"})
        assert r.status_code == 400 and "sign-in state" in r.text


def test_a_code_is_good_once_and_a_cancelled_sign_in_names_slacks_error(servers):
    with httpx.Client(timeout=30) as c:
        consent = _to_consent(c, servers.app)
        form = _form(consent.text) | {"user": "U0CM", "decision": "allow"}
        back = c.post(f"{servers.workspace}/openid/connect/authorize", data=form)
        callback = back.headers["location"]
        assert c.get(callback, follow_redirects=True).status_code == 200
    with httpx.Client(timeout=30) as c:  # replaying the callback in another browser
        consent = _to_consent(c, servers.app)
        state = _form(consent.text)["state"]
        replay = re.sub(r"state=[^&]+", f"state={state}", callback)
        r = c.get(replay)
        assert r.status_code == 400 and "invalid_code" in r.text
    with httpx.Client(timeout=30) as c:
        consent = _to_consent(c, servers.app)
        r = c.post(
            f"{servers.workspace}/openid/connect/authorize",
            data=_form(consent.text) | {"decision": "deny"},
            follow_redirects=True,
        )
        assert r.status_code == 400 and "access_denied" in r.text


def test_a_user_of_another_workspace_is_refused(servers):
    with httpx.Client(timeout=30) as c:
        r = _sign_in(c, servers, user=OUTSIDER.id)
        assert r.status_code == 403 and "not a member of Sowana's workspace" in unescape(r.text)
        assert c.get(f"{servers.app}/dashboard/data").status_code == 401


def test_a_wrong_client_secret_is_refused_by_slack(tmp_path):
    with _servers(tmp_path, client_secret="not-the-secret") as s, httpx.Client(timeout=30) as c:
        r = _sign_in(c, s)
        assert r.status_code == 400 and "bad_client_secret" in r.text
        assert c.get(f"{s.app}/dashboard/data").status_code == 401


def test_the_session_expires(tmp_path):
    with _servers(tmp_path, session_hours=2 / 3600) as s, httpx.Client(timeout=30) as c:  # two seconds
        assert _sign_in(c, s).status_code == 200
        deadline = time.monotonic() + 30
        status = 200
        while time.monotonic() < deadline:
            status = c.get(f"{s.app}/dashboard/data").status_code
            if status == 401:
                break
            time.sleep(0.2)
        assert status == 401
        c.cookies.clear()
        assert c.get(f"{s.app}/dashboard", headers=HTML).text.count("Sign in with Slack") >= 1


def test_api_clients_still_get_401_and_the_token_still_works(servers):
    with httpx.Client(base_url=servers.app, timeout=30) as c:
        assert c.get("/dashboard").status_code == 401
        assert c.get("/dashboard", headers={"Accept": "application/json"}).status_code == 401
        assert c.get("/dashboard/data", headers=HTML).status_code == 401
        c.cookies.set(SESSION_COOKIE, "eyJ1IjoiVTBDTSIsImV4cCI6OTk5OTk5OTk5OX0.c2lnbmF0dXJl")  # not our signature
        assert c.get("/dashboard/data").status_code == 401
        c.cookies.clear()
        ok = c.get("/dashboard/data", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200 and ok.json()["viewer"]["via"] == "token"


def test_without_client_credentials_the_token_is_the_only_way(tmp_path):
    url = f"sqlite:///{tmp_path}/sowana.db"
    upgrade(url)
    engine = make_engine(url)
    app = create_app(load_settings(database_url=url, api_token=TOKEN), engine=engine, run_worker=False, brain=Brain())
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as c:
        r = c.get("/dashboard", headers=HTML)
        assert r.status_code == 401 and "Sign in with Slack" not in r.text
        assert c.get("/dashboard/signin").status_code == 404
    engine.dispose()


def test_the_workspace_speaks_slacks_openid_connect(servers):
    """openid.connect.token and openid.connect.userInfo through slack_sdk, as Slack answers them."""
    with httpx.Client(timeout=30) as c:
        consent = _to_consent(c, servers.app)
        form = _form(consent.text) | {"user": "U0GUEST", "decision": "allow"}
        back = c.post(f"{servers.workspace}/openid/connect/authorize", data=form)
    code = httpx.URL(back.headers["location"]).params["code"]
    api = WebClient(base_url=f"{servers.workspace}/api/")
    cfg = servers.config
    with pytest.raises(SlackApiError) as refused:
        api.openid_connect_token(client_id="someone-else", client_secret=cfg.client_secret, code=code)
    assert refused.value.response["error"] == "invalid_client_id"
    with pytest.raises(SlackApiError) as refused:
        api.openid_connect_token(client_id=cfg.client_id, client_secret=cfg.client_secret, code=code)
    assert refused.value.response["error"] == "bad_redirect_uri"  # it was given at authorize: required here
    # (a refused exchange has used the code up, as Slack does: sign in again for a fresh one)
    with httpx.Client(timeout=30) as c:
        consent = _to_consent(c, servers.app)
        fields = _form(consent.text)
        back = c.post(
            f"{servers.workspace}/openid/connect/authorize", data=fields | {"user": "U0GUEST", "decision": "allow"}
        )
    code = httpx.URL(back.headers["location"]).params["code"]
    token = api.openid_connect_token(
        client_id=cfg.client_id, client_secret=cfg.client_secret, code=code, redirect_uri=fields["redirect_uri"]
    )
    assert token["ok"] and token["token_type"] == "Bearer" and token["access_token"].startswith("xoxp-")
    claims = id_token_claims(token["id_token"])
    assert claims is not None
    assert claims["https://slack.com/user_id"] == "U0GUEST" and claims["sub"] == "U0GUEST"
    assert claims["https://slack.com/team_id"] == cfg.team_id and claims["aud"] == cfg.client_id
    assert claims["nonce"] == fields["nonce"] and claims["iss"] == servers.workspace
    info = WebClient(token=token["access_token"], base_url=f"{servers.workspace}/api/").openid_connect_userInfo()
    assert info["ok"] and info["https://slack.com/user_id"] == "U0GUEST" and info["name"] == "Gabriel (stagiaire)"
    with pytest.raises(SlackApiError) as refused:
        WebClient(token="xoxp-made-up", base_url=f"{servers.workspace}/api/").openid_connect_userInfo()
    assert refused.value.response["error"] == "invalid_auth"
