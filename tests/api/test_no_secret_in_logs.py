"""No secret in a URL that Sowana builds, and none in a log line: a real `sowana serve` (its own logging, its
access log on) is signed in to with the token form and with Sign in with Slack through the local workspace,
is sent an old `?token=` link and Meta's verification handshake; then its whole log is read."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import httpx
import pytest

from api.accesslog import redact
from api.emulators.slack import WorkspaceConfig, create_workspace_app
from tests.servers import serve, sowana_env, sowana_serve

TOKEN = "api-token-must-never-be-logged-7f3a"
VERIFY = "meta-verify-token-never-logged-91c2"
APP_SECRET = "meta-app-secret-never-logged-55d0"
HTML = {"Accept": "text/html"}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, WorkspaceConfig, Path]]:
    config = WorkspaceConfig(request_url=None)
    log = tmp_path / "serve.log"
    with serve(create_workspace_app(config)) as ws:
        env = sowana_env(
            SOWANA_DATABASE_URL=f"sqlite:///{tmp_path}/sowana.db",
            SOWANA_CHROMA_PATH=str(tmp_path / "chroma"),
            SOWANA_API_TOKEN=TOKEN,
            SLACK_BOT_TOKEN=config.bot_token,
            SLACK_SIGNING_SECRET=config.signing_secret,
            SLACK_API_URL=f"{ws}/api/",
            SLACK_CLIENT_ID=config.client_id,
            SLACK_CLIENT_SECRET=config.client_secret,
            META_VERIFY_TOKEN=VERIFY,
            META_APP_SECRET=APP_SECRET,
        )
        with sowana_serve(env, tmp_path, log) as base:
            yield base, ws, config, log


def test_no_token_code_or_state_ever_reaches_the_log(served: tuple[str, str, WorkspaceConfig, Path]) -> None:
    base, ws, config, log = served
    seen: list[str] = []  # every one-time value that went by
    with httpx.Client(timeout=30) as c:
        # 1. The token form.
        form = c.get(f"{base}/dashboard?days=7", headers=HTML)
        assert form.status_code == 401 and TOKEN not in form.text
        signed = c.post(f"{base}/dashboard/signin/token", data={"token": TOKEN, "next": "/dashboard?days=7"})
        assert signed.status_code == 303
        assert c.get(f"{base}/dashboard?days=7", headers=HTML).status_code == 200
    with httpx.Client(timeout=30) as c:
        # 2. An old bookmarked link with the token: not honoured, and it still must not be logged.
        old = c.get(f"{base}/dashboard?token={TOKEN}&days=7", headers=HTML, follow_redirects=True)
        assert old.status_code == 401 and TOKEN not in str(old.url)
    with httpx.Client(timeout=30) as c:
        # 3. Sign in with Slack: state and code travel in addresses by design (OpenID Connect).
        refused = c.get(f"{base}/dashboard", headers=HTML)
        href = unescape(re.search(r"id='signin' href='([^']+)'", refused.text)[1])  # type: ignore[index]
        consent = c.get(base + href, headers=HTML, follow_redirects=True)
        fields = {
            m[0]: unescape(m[1]) for m in re.findall(r"<input type=hidden name='(\w+)' value='([^']*)'>", consent.text)
        }
        back = c.post(f"{ws}/openid/connect/authorize", data=fields | {"user": "U0CM", "decision": "allow"})
        callback = httpx.URL(back.headers["location"])
        seen += [callback.params["code"], callback.params["state"], fields["nonce"]]
        landed = c.get(str(callback), headers=HTML, follow_redirects=True)
        assert landed.status_code == 200 and str(landed.url) == f"{base}/dashboard"
    # 4. Meta's subscription handshake carries the verify token in its query.
    hub = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "4242"}
    assert httpx.get(f"{base}/webhooks/meta", params=hub).text == "4242"

    time.sleep(0.5)  # let the last access lines be written
    text = log.read_text(encoding="utf-8", errors="replace")
    # The log is real and complete: an access line for each step, with its secrets taken out.
    assert "POST /dashboard/signin/token HTTP/1.1" in text
    assert "/dashboard?token=[redacted]&days=7" in text
    assert "/dashboard/signin/callback?code=[redacted]&state=[redacted]" in text
    assert "hub.verify_token=[redacted]" in text
    secrets = [TOKEN, VERIFY, APP_SECRET, config.client_secret, config.signing_secret, config.bot_token, *seen]
    leaked = [s for s in secrets if s in text]
    assert not leaked, f"secrets in the log: {leaked}"


def test_redaction_keeps_the_rest_of_the_address() -> None:
    assert redact("GET /dashboard?days=7&token=abc HTTP/1.1") == "GET /dashboard?days=7&token=[redacted] HTTP/1.1"
    assert (
        redact("/dashboard/signin?next=%2Fdashboard%3Ftoken%3Dabc")
        == "/dashboard/signin?next=%2Fdashboard%3Ftoken%3D[redacted]"
    )
    assert redact("/webhooks/x?crc_token=c1&nonce=n") == "/webhooks/x?crc_token=c1&nonce=[redacted]"
    assert redact("/dashboard/data?brand=code&topic=state") == "/dashboard/data?brand=code&topic=state"
