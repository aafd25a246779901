"""The dashboard in a real browser, with a replayed day of comments: opened once with the token typed in
the sign-in form (then by its cookie; the token is never in an address), it draws the volume by
sentiment, response times, topics and the bad-buzz alert, and follows the alert to the comments it is
about. Screenshots go to tests/artifacts/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect, sync_playwright

from api.app import create_app
from bot.brain import Brain
from bot.db import make_engine, session_scope, upgrade
from bot.insights.buzz import BuzzParams, BuzzWatch
from bot.insights.scheduler import BrandSchedule
from bot.models import Comment
from bot.settings import load_settings
from tests.browser.test_workspace_page import ARTIFACTS, chromium_path
from tests.insights.rows import add_comment, replay_day
from tests.servers import serve

pytestmark = pytest.mark.browser
TOKEN = "dash-token-browser-123"


def test_the_dashboard_draws_a_replayed_day(tmp_path):
    executable = chromium_path()
    ARTIFACTS.mkdir(exist_ok=True)
    url = f"sqlite:///{tmp_path}/sowana.db"
    upgrade(url)
    engine = make_engine(url)
    end = datetime.now(UTC)
    expected = replay_day(engine, end, spike_minutes_ago=35)  # still under way
    watch = BuzzWatch(engine, BuzzParams(), lambda b, t, s: "")
    now = end - timedelta(hours=4)
    while now <= end:
        watch.run(BrandSchedule("default", None), now)
        now += timedelta(minutes=10)
    app = create_app(load_settings(database_url=url, api_token=TOKEN), engine=engine, run_worker=False, brain=Brain())
    with serve(app) as base, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1500})
        refused = page.goto(base + "/dashboard")
        assert refused is not None and refused.status == 401
        page.locator("#token").fill(TOKEN)
        page.locator("#token-signin").click()
        page.wait_for_url(f"{base}/dashboard")
        assert TOKEN not in page.url
        expect(page.locator("body[data-loaded='1']")).to_be_attached(timeout=15000)
        expect(page.locator(".kpi").first).to_contain_text(str(expected["received"]))
        assert page.locator("#volume rect").count() >= 15  # stacked bars by sentiment, hour by hour
        assert page.locator("#reply circle").count() >= 5
        expect(page.locator("#topics .topic").first).to_contain_text("livraison")
        alert = page.locator("#alerts li").first
        expect(alert).to_contain_text("livraison")
        expect(page.locator("#banner")).to_contain_text("Bad buzz")
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        alert.get_by_role("link").first.click()
        expect(page.locator("#neg-title")).to_contain_text("livraison", timeout=15000)
        expect(page.locator("#negatives tr").first).to_contain_text("livraison")
        page.goto(base + "/dashboard")  # the cookie opens it from now on
        expect(page.locator("body[data-loaded='1']")).to_be_attached(timeout=15000)
        browser.close()
    engine.dispose()


def test_signing_in_with_slack_opens_the_dashboard(tmp_path):
    """Refused dashboard → "Sign in with Slack" → the local workspace's consent page (the workspace's
    current user) → back on the dashboard with its figures, the user's name and a way to sign out."""
    from api.emulators.slack import WorkspaceConfig, create_workspace_app

    executable = chromium_path()
    ARTIFACTS.mkdir(exist_ok=True)
    url = f"sqlite:///{tmp_path}/sowana.db"
    upgrade(url)
    engine = make_engine(url)
    expected = replay_day(engine, datetime.now(UTC), spike_minutes_ago=35)
    config = WorkspaceConfig(request_url=None)
    with serve(create_workspace_app(config)) as ws:
        settings = load_settings(
            database_url=url,
            api_token=TOKEN,
            slack_bot_token=config.bot_token,
            slack_signing_secret=config.signing_secret,
            slack_api_url=f"{ws}/api/",
            slack_client_id=config.client_id,
            slack_client_secret=config.client_secret,
        )
        app = create_app(settings, engine=engine, run_worker=False, brain=Brain())
        with serve(app) as base, sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=executable,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
            )
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(f"{ws}/?as=U0SAC")  # the workspace page remembers who acts: Sami
            page.evaluate("localStorage.setItem('sowana.me', 'U0SAC')")
            page.goto(base + "/dashboard?days=7")
            signin = page.locator("#signin")
            expect(signin).to_contain_text("Se connecter avec Slack · Sign in with Slack")
            page.screenshot(path=str(ARTIFACTS / "dashboard-signin.png"))
            signin.click()
            expect(page.locator("#allow")).to_be_visible(timeout=15000)
            assert page.url.startswith(ws + "/openid/connect/authorize")
            expect(page.locator("#user")).to_have_value("U0SAC")
            page.screenshot(path=str(ARTIFACTS / "dashboard-signin-consent.png"))
            page.locator("#allow").click()
            expect(page.locator("body[data-loaded='1']")).to_be_attached(timeout=15000)
            assert page.url == f"{base}/dashboard?days=7"
            expect(page.locator(".kpi").first).to_contain_text(str(expected["received"]))
            expect(page.locator("#viewer-name")).to_have_text("Sami (SAC)")
            page.screenshot(path=str(ARTIFACTS / "dashboard-signed-in.png"))
            page.locator("#signout").click()
            expect(page.locator("#signin")).to_be_visible(timeout=15000)
            browser.close()
    engine.dispose()


HOSTILE = (
    "Remboursez ! <!channel> <!here> <!everyone> <@U0BOSS> <#C0GENERAL> <!subteam^S0ALL> "
    "<https://evil.example|votre remboursement> <img src=x onerror=\"document.body.dataset.pwned='1'\">"
)
NAME = "<!channel> <b>Julie</b> <script>document.body.dataset.pwned='1'</script>"
TOPIC = "<!channel> <i>remboursement</i>"


def test_hostile_comments_are_shown_as_text(tmp_path):
    """The negative comments of a bad buzz, written to ping, to inject markup and to run script: the page
    shows their text as typed, adds no element of theirs, and links only an http(s) comment URL."""
    executable = chromium_path()
    ARTIFACTS.mkdir(exist_ok=True)
    url = f"sqlite:///{tmp_path}/sowana.db"
    upgrade(url)
    engine = make_engine(url)
    now = datetime.now(UTC)
    for i, link in enumerate(["javascript:document.body.dataset.pwned='1'", "https://www.facebook.com/c/1"]):
        cid = add_comment(
            engine, now - timedelta(minutes=5 + i), text=HOSTILE, author=NAME, sentiment="neg", topics=(TOPIC,)
        )
        with session_scope(engine, write=True) as s:
            comment = s.get(Comment, cid)
            assert comment is not None
            comment.url = link
            s.add(comment)
    app = create_app(load_settings(database_url=url, api_token=TOKEN), engine=engine, run_worker=False, brain=Brain())
    with serve(app) as base, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        context = browser.new_context(extra_http_headers={"Authorization": f"Bearer {TOKEN}"})
        page = context.new_page()
        page.goto(f"{base}/dashboard")
        expect(page.locator("body[data-loaded='1']")).to_be_attached(timeout=15000)
        rows = page.locator("#negatives tr")
        expect(rows).to_have_count(2)
        for i in range(2):
            expect(rows.nth(i)).to_contain_text(HOSTILE)  # as typed, markup and all
            expect(rows.nth(i)).to_contain_text(NAME)
        expect(page.locator("#topics .topic").first).to_contain_text(TOPIC)
        negatives = page.locator("#negatives")
        assert negatives.locator("img, b, i, script").count() == 0  # nothing of theirs became an element
        links = negatives.locator("a")
        assert links.count() == 1 and links.first.get_attribute("href") == "https://www.facebook.com/c/1"
        page.screenshot(path=str(ARTIFACTS / "dashboard-hostile.png"), full_page=True)
        assert page.evaluate("document.body.dataset.pwned") is None
        browser.close()
    engine.dispose()
