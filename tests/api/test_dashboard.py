"""`/dashboard` over a real HTTP server: refused without the API token, opened with it (a header, or typed
once in the sign-in form, which leaves a cookie — never in a URL), and its figures are those of a replayed
day of comments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from api.app import create_app
from bot.brain import Brain
from bot.insights.buzz import BuzzParams, BuzzWatch
from bot.insights.scheduler import BrandSchedule
from bot.settings import load_settings
from tests.insights.rows import add_comment, replay_day
from tests.servers import serve

TOKEN = "dash-token-0123456789"


@pytest.fixture
def base(database_url, engine):
    settings = load_settings(database_url=database_url, api_token=TOKEN)
    app = create_app(settings, engine=engine, run_worker=False, brain=Brain())
    with serve(app) as url:
        yield url


def test_the_dashboard_is_refused_without_the_token(base):
    with httpx.Client(base_url=base) as c:
        assert c.get("/dashboard").status_code == 401
        assert c.get("/dashboard?token=wrong", follow_redirects=True).status_code == 401
        assert c.post("/dashboard/signin/token", data={"token": "wrong"}).status_code == 401
        assert c.get("/dashboard/data").status_code == 401
        assert c.get("/dashboard/data", headers={"Authorization": "Bearer wrong"}).status_code == 401
    with httpx.Client(base_url=base, cookies={"sowana_dashboard": TOKEN}) as c:
        assert c.get("/dashboard").status_code == 401  # the raw token is not the cookie


def test_the_sign_in_form_takes_the_token_in_a_post_and_leaves_a_cookie(base):
    with httpx.Client(base_url=base) as c:
        refused = c.get("/dashboard?days=7", headers={"Accept": "text/html"})
        assert refused.status_code == 401 and "action='/dashboard/signin/token'" in refused.text
        assert "value='/dashboard?days=7'" in refused.text  # where the form returns to
        assert refused.headers["referrer-policy"] == "no-referrer"
        r = c.post("/dashboard/signin/token", data={"token": TOKEN, "next": "/dashboard?days=7"})
        assert r.status_code == 303 and r.headers["location"] == "/dashboard?days=7"
        cookie = r.headers["set-cookie"]
        assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and TOKEN not in cookie
        page = c.get("/dashboard?days=7")
        assert page.status_code == 200 and "tableau de bord · dashboard" in page.text
        assert c.get("/dashboard/data").status_code == 200
        assert c.get("/dashboard/assets/dashboard.js").status_code == 200
        assert c.get("/dashboard/assets/../app.py").status_code == 404
        # Only a dashboard address may be returned to.
        away = c.post("/dashboard/signin/token", data={"token": TOKEN, "next": "https://evil.example/"})
        assert away.headers["location"] == "/dashboard"


def test_a_token_in_the_url_is_never_honoured_only_taken_out_of_the_address(base):
    with httpx.Client(base_url=base) as c:
        r = c.get(f"/dashboard?token={TOKEN}&days=7")
        assert r.status_code == 303 and r.headers["location"] == "/dashboard?days=7"
        assert "set-cookie" not in r.headers
        assert c.get("/dashboard?days=7").status_code == 401


def test_the_figures_are_those_of_the_replayed_day(base, engine):
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    expected = replay_day(engine, end)
    add_comment(engine, end - timedelta(days=3), intent="complaint", sentiment="neg")  # outside the day
    watch = BuzzWatch(engine, BuzzParams(), lambda b, t, s: "")
    now = end - timedelta(hours=4)
    while now <= end:
        watch.run(BrandSchedule("default", None), now)
        now += timedelta(minutes=10)
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        data = c.get("/dashboard/data", params={"days": 1}).json()
        assert data["brand"] == "default" and data["step"] == "hour"
        volume = data["volume"]
        assert len(volume) == 25  # the last 24 h in whole hours
        assert sum(r["pos"] + r["neu"] + r["neg"] + r["untriaged"] for r in volume) == expected["received"]
        assert sum(r["neg"] for r in volume) == expected["neg"]
        assert data["kpis"]["received"] == expected["received"]
        assert data["kpis"]["replies"] == expected["replies"]
        assert data["topics"][0]["topic"] == "livraison"
        assert [a["topic"] for a in data["alerts"]] and {a["topic"] for a in data["alerts"]} <= {"livraison", "retard"}
        # The alert's link: negative comments of the topic since the episode opened.
        since = data["alerts"][0]["opened_at"]
        filtered = c.get("/dashboard/data", params={"topic": "retard", "since": since}).json()
        assert filtered["negatives"] and all("retard" in n["topics"] for n in filtered["negatives"])
        assert all(n["at"] >= since[:16] for n in filtered["negatives"])
        assert c.get("/dashboard/data", params={"until": "yesterday"}).status_code == 422


def test_the_dashboard_never_lists_a_direct_message_and_counts_them_apart(base, engine):
    """#24: a direct message is personal data: neither in the negative comments list (nor the list a
    bad-buzz alert links to), nor in the volumes; only its number, labelled on the page."""
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    late = "Encore en retard"
    add_comment(engine, end - timedelta(hours=2), intent="complaint", sentiment="neg", topics=("retard",), text=late)
    secret = "Mon adresse : 12 rue des Érables, code porte 4471"
    for minutes in (30, 50):
        add_comment(
            engine,
            end - timedelta(minutes=minutes),
            intent="complaint",
            sentiment="neg",
            topics=("retard",),
            text=secret,
            author="Cliente en privé",
            private=True,
        )
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        for params in ({"days": 1}, {"days": 1, "topic": "retard", "since": (end - timedelta(hours=3)).isoformat()}):
            data = c.get("/dashboard/data", params=params).json()
            assert [n["text"] for n in data["negatives"]] == [late]
            assert "Érables" not in str(data) and "Cliente en privé" not in str(data)
            assert data["kpis"]["received"] == 1 and data["kpis"]["negative_share"] == 1.0
            assert sum(r["neg"] for r in data["volume"]) == 1
            assert data["topics"] == [{"topic": "retard", "n": 1, "neg": 1}]
            assert data["kpis"]["private_messages"] == 2
        page = c.get("/dashboard/assets/dashboard.js").text
        assert "Messages privés · private messages" in page and "k.private_messages" in page
