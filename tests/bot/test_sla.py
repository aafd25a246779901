"""Business-hours arithmetic and SLA clock states (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.brands import BrandsError, parse_brands, sla_policy
from bot.settings import SettingsError, load_settings
from bot.sla import (
    ClockState,
    SlaConfigError,
    SlaPolicy,
    add_business,
    business_seconds,
    case_clocks,
    human_duration,
    parse_business_hours,
    parse_closed_days,
)

PARIS = ZoneInfo("Europe/Paris")
OFFICE = parse_business_hours("mon-fri 09:00-18:00", "Europe/Paris")


def paris(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=PARIS)


def test_friday_evening_is_due_on_monday_morning():
    assert add_business(paris(20, 17, 30), 3600, OFFICE) == paris(23, 9, 30)
    assert business_seconds(paris(20, 17, 30), paris(23, 9, 30), OFFICE) == 3600


def test_time_outside_hours_counts_for_nothing():
    assert business_seconds(paris(21, 10), paris(22, 23), OFFICE) == 0  # a whole weekend
    assert business_seconds(paris(23, 6), paris(23, 9, 15), OFFICE) == 15 * 60
    assert business_seconds(paris(23, 12), paris(23, 11), OFFICE) == 0  # end before start


def test_daylight_saving_change_keeps_local_opening_hours():
    # Europe/Paris leaves summer time on 2026-10-25 (a Sunday): Monday still opens at 09:00 local.
    assert add_business(paris(23, 17, month=10), 2 * 3600, OFFICE) == paris(26, 10, month=10)
    assert add_business(paris(23, 17, month=10), 2 * 3600, OFFICE).astimezone(UTC).hour == 9


def test_groups_around_the_clock_and_past_midnight():
    always = parse_business_hours("24/7", "UTC")
    start = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)
    assert add_business(start, 2 * 3600, always) == start + timedelta(hours=2)
    evenings = parse_business_hours("mon-fri 09:00-12:00; sat 20:00-24:00", "UTC")
    assert add_business(start, 1800, evenings) == datetime(2026, 11, 21, 23, 30, tzinfo=UTC)
    assert add_business(start, 2 * 3600, evenings) == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    weekend_wrap = parse_business_hours("fri-mon 10:00-11:00", "UTC")
    assert weekend_wrap.week[6] and weekend_wrap.week[0] and not weekend_wrap.week[2]


@pytest.mark.parametrize(
    ("spec", "tz", "words"),
    [
        ("lun-ven 9-18", "UTC", "expected e.g."),
        ("mon-fri 18:00-09:00", "UTC", "after the start"),
        ("mon-fri 09:00-18:00", "Mars/Olympus", "unknown time zone"),
        ("mon-fry 09:00-18:00", "UTC", "unknown day"),
        ("mon 25:00-26:00", "UTC", "not a time"),
    ],
)
def test_wrong_hours_are_refused_with_the_reason(spec: str, tz: str, words: str):
    with pytest.raises(SlaConfigError, match=words):
        parse_business_hours(spec, tz)


def test_settings_refuse_bad_hours_naming_the_variable():
    with pytest.raises(SettingsError, match="SOWANA_BUSINESS_HOURS"):
        load_settings(business_hours="weekdays")
    with pytest.raises(SettingsError, match="SOWANA_TIMEZONE"):
        load_settings(timezone="Quebec")
    policy = load_settings(timezone="America/Montreal", sla_first_response_minutes=30).sla_policy()
    assert policy.first_response == timedelta(minutes=30) and policy.hours.tz.key == "America/Montreal"


def test_clock_states_from_ok_to_breached_and_stopped():
    policy = SlaPolicy(timedelta(hours=1), timedelta(hours=4), OFFICE, at_risk=0.8)
    created = paris(23, 10)
    first, resolution = case_clocks(created, None, None, paris(23, 10, 30), policy)
    assert (first.state, resolution.state) == (ClockState.ok, ClockState.ok)
    assert first.due == paris(23, 11) and first.at_risk_from == paris(23, 10, 48)
    assert case_clocks(created, None, None, paris(23, 10, 50), policy)[0].state == ClockState.at_risk
    assert case_clocks(created, None, None, paris(23, 11), policy)[0].state == ClockState.breached
    first, resolution = case_clocks(created, paris(23, 10, 5), None, paris(23, 13, 20), policy)
    assert first.state == ClockState.stopped and first.elapsed == 300
    assert resolution.state == ClockState.at_risk


def test_durations_read_like_a_person_would_write_them():
    assert [human_duration(s) for s in (59, 49 * 60, 3600, 3 * 3600 + 5 * 60, 27 * 3600)] == [
        "1 min",
        "49 min",
        "1 h 00",
        "3 h 05",
        "1 j 3 h",
    ]


def test_a_brand_overrides_the_install_sla():
    base = load_settings().sla_policy()
    brands = parse_brands(
        {
            "brands": [
                {
                    "brand": "boreal",
                    "sla": {"timezone": "America/Montreal", "first_response_minutes": 30, "lead": "S0LEADS"},
                }
            ]
        }
    )
    policy = sla_policy(base, brands.items[0].sla)
    assert policy.first_response == timedelta(minutes=30) and policy.resolution == base.resolution
    assert policy.hours.tz.key == "America/Montreal" and policy.hours.week == base.hours.week
    assert policy.lead == "S0LEADS"
    with pytest.raises(BrandsError, match="sla"):
        parse_brands({"brands": [{"brand": "x", "sla": {"business_hours": "never"}}]})
    with pytest.raises(BrandsError, match="keys among"):
        parse_brands({"brands": [{"brand": "x", "sla": {"first_reply": 3}}]})


MONTREAL_OFFICE = parse_business_hours("mon-fri 09:00-18:00", "America/Montreal", parse_closed_days("CA-QC"))


def montreal(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=ZoneInfo("America/Montreal"))


def test_a_quebec_public_holiday_stops_the_clocks_all_day():
    # Tuesday 23 June 2026 at 17:30, one hour to answer: Wednesday 24 June is la Fête nationale du Québec.
    assert add_business(montreal(6, 23, 17, 30), 3600, MONTREAL_OFFICE) == montreal(6, 25, 9, 30)
    assert business_seconds(montreal(6, 24, 9), montreal(6, 24, 18), MONTREAL_OFFICE) == 0
    assert MONTREAL_OFFICE.closed.reason(montreal(6, 24, 12).date()) == "Fête nationale du Québec"
    # Christmas falls on a Friday in 2026: escalated on Thursday evening, due on Monday morning.
    assert add_business(montreal(12, 24, 17, 30), 3600, MONTREAL_OFFICE) == montreal(12, 28, 9, 30)


def test_france_has_its_own_holidays():
    paris_office = parse_business_hours("mon-fri 09:00-18:00", "Europe/Paris", parse_closed_days("FR"))
    assert paris_office.closed.reason(paris(14, 12, month=7).date()) == "Fête nationale"
    assert paris_office.closed.reason(paris(24, 12, month=6).date()) is None  # not a holiday in France
    assert add_business(paris(13, 17, 30, month=7), 3600, paris_office) == paris(15, 9, 30, month=7)


def test_a_brands_own_closed_days_count_like_holidays():
    closed = parse_closed_days(None, ["2026-11-24", "12-31", "2026-12-28..2026-12-30"])
    hours = parse_business_hours("mon-fri 09:00-18:00", "Europe/Paris", closed)
    assert add_business(paris(23, 17, 30), 3600, hours) == paris(25, 9, 30)  # Tuesday 24 closed
    assert [hours.closed.reason(paris(d, 12, month=12).date()) is not None for d in (25, 28, 29, 30, 31)] == [
        False,
        True,
        True,
        True,
        True,
    ]
    assert hours.closed.reason(datetime(2027, 12, 31).date()) is not None  # every year


@pytest.mark.parametrize(
    ("region", "days", "words"),
    [
        ("XX", [], "unknown holidays country"),
        ("CA-ZZ", [], "unknown subdivision"),
        (None, ["24/12/2026"], "expected 2026-12-24"),
        (None, ["02-30"], "expected 2026-12-24"),
        (None, ["2026-12-30..2026-12-01"], "run forward"),
    ],
)
def test_wrong_closed_days_are_refused_with_the_reason(region: str | None, days: list[str], words: str):
    with pytest.raises(SlaConfigError, match=words):
        parse_closed_days(region, days)


def test_settings_read_holidays_and_closed_days_and_name_the_variable_when_wrong():
    policy = load_settings(holidays="ca-qc", closed_days="12-24, 2026-12-31").sla_policy()
    assert policy.hours.closed.region == "CA-QC"
    assert policy.hours.closed.reason(montreal(12, 24, 12).date()) is not None
    with pytest.raises(SettingsError, match="SOWANA_HOLIDAYS"):
        load_settings(holidays="QC")
    with pytest.raises(SettingsError, match="SOWANA_CLOSED_DAYS"):
        load_settings(closed_days="tomorrow")


def test_a_brand_sets_its_own_holidays_and_closed_days():
    base = load_settings(holidays="FR", closed_days="2026-11-24").sla_policy()
    brands = parse_brands(
        {
            "brands": [
                {"brand": "boreal", "sla": {"timezone": "America/Montreal", "holidays": "CA-QC"}},
                {"brand": "lavande", "sla": {"closed_days": ["08-15"]}},
                {"brand": "nuit", "sla": {"holidays": None, "closed_days": []}},
            ]
        }
    )
    boreal, lavande, nuit = (sla_policy(base, b.sla).hours.closed for b in brands.items)
    assert (boreal.region, boreal.dates) == ("CA-QC", base.hours.closed.dates)
    assert lavande.region == "FR" and lavande.yearly == {(8, 15)} and not lavande.dates
    assert nuit.region is None and nuit.reason(paris(25, 12, month=12).date()) is None
    with pytest.raises(BrandsError, match="unknown holidays country"):
        parse_brands({"brands": [{"brand": "x", "sla": {"holidays": "Narnia"}}]})
