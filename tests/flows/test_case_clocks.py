"""SLA clocks of customer-service cases, with a clock the test moves: reminders when at risk, the lead
told on a breach, business hours and time zones, and a restart in the middle — through the local
Slack workspace, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.brain import Brain
from bot.brands import BrandLookups, load_brands
from bot.db import make_engine
from bot.sac.cards import CaseSlack
from bot.sac.keeper import CaseKeeper
from bot.settings import reveal
from bot.slack.review import make_web_client
from tests.flows.conftest import CM, PERSONAS, REVIEW, SAC, SAC_AGENT, Flow, run_flow, simple_drafter

MONTREAL = ZoneInfo("America/Montreal")
LEAD = "U0GUEST"  # the team lead told of breaches


class MovableClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, local: datetime) -> None:
        self.now = local.astimezone(UTC)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=MONTREAL)  # 2026-11-20 is a Friday


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(local(23, 10).astimezone(UTC))  # Monday 10:00 in Montréal


@contextmanager
def montreal_office(database_url: str, engine: Any, clock: MovableClock, **settings: Any) -> Iterator[Flow]:
    """A brand open mon-fri 09:00-18:00 in Montréal, one hour to a first response, four to resolve."""
    brain = Brain(drafter=simple_drafter, personas=lambda: PERSONAS)
    with run_flow(
        database_url,
        engine,
        clock=clock,
        brain=brain,
        sla_first_response_minutes=60,
        sla_resolution_minutes=240,
        business_hours="mon-fri 09:00-18:00",
        timezone="America/Montreal",
        sla_lead=LEAD,
        **settings,
    ) as running:
        yield running


@pytest.fixture
def sla_flow(database_url: str, engine: Any, clock: MovableClock) -> Iterator[Flow]:
    with montreal_office(database_url, engine, clock) as running:
        yield running


def escalate(flow: Flow, text: str) -> tuple[int, dict[str, Any], dict[str, Any]]:
    cid = flow.comment(text)
    review = flow.review_message(cid)
    flow.ws.click(CM, REVIEW, review["ts"], "escalate_case", value=str(cid))
    card = flow.ws.wait_for(
        lambda: next((m for m in flow.ws.messages(SAC) if f"Cas #{cid}" in str(m.get("blocks"))), None),
        what="case card",
    )
    return cid, review, card


def card_thread(flow: Flow, card: dict[str, Any]) -> list[str]:
    return [m.get("text", "") for m in flow.ws.thread(SAC, card["ts"])[1:]]


def wait_notice(flow: Flow, card: dict[str, Any], words: str) -> str:
    return flow.ws.wait_for(
        lambda: next((t for t in card_thread(flow, card) if words in t), None), timeout=10, what=words
    )


def settle(flow: Flow) -> None:
    """Let the case keeper run a few rounds (it polls every 50 ms) before asserting that nothing came."""
    time.sleep(0.6)


def test_first_response_reminds_when_at_risk_then_tells_the_lead_once_breached(sla_flow: Flow, clock: MovableClock):
    cid, review, card = escalate(sla_flow, "Ma commande 48213 n'est jamais arrivée")
    assert "Mon 23/11 11:00 (America/Montreal)" in str(card["blocks"])  # due in an hour, Montréal time

    clock.set(local(23, 10, 47))  # 78 % of the hour: not yet
    settle(sla_flow)
    assert card_thread(sla_flow, card) == []

    clock.set(local(23, 10, 49))  # 82 %: at risk, nobody owns the case yet → the channel hears it
    notice = wait_notice(sla_flow, card, "SLA at risk")
    assert "<!here>" in notice and "49 min / 1 h 00" in notice
    sla_flow.ws.wait_for(
        lambda: any("SLA at risk" in m.get("text", "") for m in sla_flow.ws.thread(REVIEW, review["ts"])),
        what="reminder in the review thread",
    )

    clock.set(local(23, 11, 5))
    breach = wait_notice(sla_flow, card, "SLA breached")
    assert f"<@{LEAD}>" in breach
    settle(sla_flow)
    texts = card_thread(sla_flow, card)
    assert sum("SLA at risk" in t for t in texts) == 1 and sum("SLA breached" in t for t in texts) == 1
    case = sla_flow.case(cid)["escalation"]
    assert case["first_response_breached"] and not case["resolution_breached"]


def test_claiming_stops_first_response_and_the_owner_is_reminded_of_resolution(sla_flow: Flow, clock: MovableClock):
    cid, _review, card = escalate(sla_flow, "Double prélèvement sur ma carte pour la commande 5521")
    clock.set(local(23, 10, 20))
    sla_flow.ws.click(SAC_AGENT, SAC, card["ts"], "claim_case", value=str(cid))
    sla_flow.ws.wait_for(
        lambda: "20 min / 1 h 00" in str(next(m for m in sla_flow.ws.messages(SAC) if m["ts"] == card["ts"])["blocks"]),
        what="first response recorded on the card",
    )
    assert sla_flow.case(cid)["escalation"]["first_response_seconds"] == 20 * 60

    clock.set(local(23, 13, 13))  # 3 h 13 of 4 h = 80.4 % → the owner is reminded, first response is done
    notice = wait_notice(sla_flow, card, "SLA at risk")
    assert f"<@{SAC_AGENT}>" in notice and "résolution" in notice
    settle(sla_flow)
    assert sum("SLA" in t for t in card_thread(sla_flow, card)) == 1


def test_nights_and_weekends_do_not_count(sla_flow: Flow, clock: MovableClock):
    clock.set(local(20, 17, 30))  # Friday 17:30: half an hour of business time left this week
    cid, _review, card = escalate(sla_flow, "Mon colis est arrivé écrasé, commande 7781")
    assert "Mon 23/11 09:30" in str(card["blocks"])  # due Monday 09:30, not Friday 18:30

    clock.set(local(21, 12))  # Saturday noon: 30 business minutes so far
    settle(sla_flow)
    clock.set(local(23, 9, 17))  # Monday 09:17: 47 min (78 %)
    settle(sla_flow)
    assert card_thread(sla_flow, card) == []
    clock.set(local(23, 9, 19))  # 49 min: at risk
    assert "49 min / 1 h 00" in wait_notice(sla_flow, card, "SLA at risk")
    assert sla_flow.case(cid)["escalation"]["status"] == "open"


def test_a_case_escalated_on_a_quebec_holiday_says_closed_today_and_is_due_the_next_opening(
    database_url: str, engine: Any
):
    clock = MovableClock(datetime(2026, 6, 24, 11, tzinfo=MONTREAL).astimezone(UTC))  # la Fête nationale
    with montreal_office(database_url, engine, clock, holidays="CA-QC") as flow:
        _cid, _review, card = escalate(flow, "My order 5521 arrived crushed, I want a replacement")
        text = str(card["blocks"])
        assert "Fermé aujourd'hui (Fête nationale du Québec)" in text and "Closed today" in text
        assert "Thu 25/06 10:00" in text  # the hour of first response starts at Thursday's opening


def test_clocks_survive_a_restart(sla_flow: Flow, clock: MovableClock, database_url: str):
    _cid, _review, card = escalate(sla_flow, "Remboursement jamais reçu pour la commande 3310")
    clock.set(local(23, 10, 50))
    wait_notice(sla_flow, card, "SLA at risk")

    # The process dies; another one starts on the same database, with nothing in memory.
    sla_flow.app.state.context.cases.stop()
    settings = sla_flow.app.state.context.settings
    brands = BrandLookups(settings, load_brands(settings))
    sla_for, sac_channel_for = brands.sla_for, brands.sac_channel
    fresh_engine = make_engine(database_url)
    try:
        restarted = CaseKeeper(
            fresh_engine,
            CaseSlack(
                make_web_client(reveal(settings.slack_bot_token), settings.slack_api_url), fresh_engine, sla_for, clock
            ),
            sac_channel_for=sac_channel_for,
            sla_for=sla_for,
            now=clock,
            clock_check_seconds=0,  # every round, so each run_once below looks at the clocks
        )
        assert restarted.run_once() == 0  # the reminder was already sent: not again
        clock.set(local(23, 11, 1))
        assert restarted.run_once() == 1  # the breach, once
        assert restarted.run_once() == 0
    finally:
        fresh_engine.dispose()
    texts = card_thread(sla_flow, card)
    assert sum("SLA at risk" in t for t in texts) == 1 and sum("SLA breached" in t for t in texts) == 1


def test_a_cm_note_reaches_the_case_card(sla_flow: Flow, clock: MovableClock):
    cid, _review, card = escalate(sla_flow, "Livraison manquée deux fois, commande 1204")
    sla_flow.ws.click(CM, SAC, card["ts"], "add_case_note", value=str(cid))
    view = sla_flow.ws.wait_for(lambda: sla_flow.ws.open_view(CM), what="note modal")
    sla_flow.ws.submit_view(CM, view["id"], {"case_note_text": "Cliente fidèle depuis 2019, déjà relancée hier"})
    sla_flow.ws.wait_for(
        lambda: (
            "fidèle depuis 2019" in str(next(m for m in sla_flow.ws.messages(SAC) if m["ts"] == card["ts"])["blocks"])
        ),
        what="note on the card",
    )
