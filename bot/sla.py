"""Service-level clocks for customer-service cases, counted in the brand's business hours (pure).

Two clocks run from the moment a case is escalated: *first response* stops when someone in customer
service claims it, *resolution* when they resolve it. Time outside business hours (nights,
weekends, in the brand's time zone) does not count: a complaint escalated on Friday at 17:30 with a
one-hour target is due on Monday at 09:30. A clock is *at risk* past a fraction of its budget
(80 % by default: the owner is reminded) and *breached* past the budget (the lead is told).

Business hours are written `mon-fri 09:00-18:00`, `mon,wed,fri 08:30-17:00`, `sat 10:00-14:00` —
several groups separated by `;` — or `24/7`. Closed days stop the clocks all day: the public holidays
of the brand's country and region (`CA-QC`, `FR`, from the maintained `holidays` package) and the
brand's own (`2026-12-24`, `12-31` every year, `2026-12-24..2027-01-02`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_GROUP = re.compile(r"^\s*(?P<days>[a-z,\-]+)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$")
_MAX_DAYS = 3660  # a clock never looks further than ten years ahead


class SlaConfigError(ValueError):
    """Business hours, a time zone or a target that cannot be understood; the message says which."""


@lru_cache(maxsize=128)
def _public_holidays(country: str, subdiv: str | None, year: int) -> dict[date, str]:
    """One year of a region's public holidays, named in French where the package has it. Built whole
    per year and never mutated after, so threads can read it (a `holidays` object fills years lazily)."""
    cls = holidays.country_holidays(country, subdiv=subdiv, years=year)
    language = "fr" if "fr" in getattr(cls, "supported_languages", ()) else None
    return dict(holidays.country_holidays(country, subdiv=subdiv, years=year, language=language))


@dataclass(frozen=True)
class ClosedDays:
    """Whole days off: a region's public holidays (`CA-QC`, `FR`) and the brand's own closed days."""

    region: str | None = None  # country code, optionally "-" subdivision
    dates: frozenset[date] = frozenset()
    yearly: frozenset[tuple[int, int]] = frozenset()  # (month, day), every year

    def reason(self, day: date) -> str | None:
        """Why the brand is closed that day (the holiday's name, or "closed day"), None when it is open."""
        if day in self.dates or (day.month, day.day) in self.yearly:
            return "fermeture · closed day"
        if self.region:
            country, _, subdiv = self.region.partition("-")
            return _public_holidays(country, subdiv or None, day.year).get(day)
        return None


NO_CLOSED_DAYS = ClosedDays()
_YEARLY = re.compile(r"^(\d{2})-(\d{2})$")


def _iso_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SlaConfigError(f"closed day {text!r}: expected 2026-12-24, 12-24 (every year) or a..b") from None


def parse_closed_days(region: str | None, days: Iterable[str] = ()) -> ClosedDays:
    """`region` is a country code with an optional subdivision (`CA-QC`, `FR`, `FR-57`); `days` are ISO
    dates, `MM-DD` every year, or `first..last` ranges. Raises SlaConfigError naming what is wrong."""
    code = (region or "").strip().upper() or None
    if code is not None:
        country, _, subdiv = code.partition("-")
        supported = holidays.list_supported_countries()
        if country not in supported:
            raise SlaConfigError(f"unknown holidays country {country!r} (e.g. CA-QC, FR)")
        if subdiv and subdiv not in supported[country]:
            raise SlaConfigError(
                f"unknown subdivision {subdiv!r} of {country} for holidays (e.g. {', '.join(supported[country][:5])})"
            )
    dates: set[date] = set()
    yearly: set[tuple[int, int]] = set()
    for raw in days:
        text = raw.strip()
        if not text:
            continue
        if m := _YEARLY.match(text):
            month, day = int(m[1]), int(m[2])
            _iso_day(f"2000-{text}")  # a leap year: 02-29 is a valid yearly day
            yearly.add((month, day))
        elif ".." in text:
            first, last = (_iso_day(part.strip()) for part in text.split("..", 1))
            if last < first or (last - first).days > 366:
                raise SlaConfigError(f"closed days {text!r}: the range must run forward, a year at most")
            dates.update(first + timedelta(days=i) for i in range((last - first).days + 1))
        else:
            dates.add(_iso_day(text))
    return ClosedDays(code, frozenset(dates), frozenset(yearly))


@dataclass(frozen=True)
class BusinessHours:
    """Open intervals per weekday (0 = Monday), in `tz`. Empty everywhere is refused at parse time."""

    tz: ZoneInfo
    week: tuple[tuple[tuple[time, time], ...], ...]  # 7 tuples of (start, end); end may be 24:00 = time.max
    closed: ClosedDays = field(default=NO_CLOSED_DAYS)

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's open intervals as UTC datetimes (DST handled by the zone); none on a closed day."""
        if self.closed.reason(day) is not None:
            return []
        spans = []
        for start, end in self.week[day.weekday()]:
            a = datetime.combine(day, start, tzinfo=self.tz).astimezone(UTC)
            b = (
                datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
                if end == time.max
                else datetime.combine(day, end, tzinfo=self.tz)
            ).astimezone(UTC)
            spans.append((a, b))
        return spans

    def local_day(self, moment: datetime) -> date:
        return _utc(moment).astimezone(self.tz).date()


ALWAYS_OPEN = ((time(0), time.max),)


def _parse_days(text: str) -> set[int]:
    found: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise SlaConfigError(f"unknown day in {text!r}: use mon, tue, wed, thu, fri, sat, sun")
        a, b = DAYS.index(first), DAYS.index(last or first)
        found.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return found


def _parse_time(text: str) -> time:
    hours, minutes = (int(x) for x in text.split(":"))
    if hours == 24 and minutes == 0:
        return time.max
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise SlaConfigError(f"not a time of day: {text!r}")
    return time(hours, minutes)


def parse_business_hours(spec: str, timezone: str, closed: ClosedDays = NO_CLOSED_DAYS) -> BusinessHours:
    try:
        tz = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SlaConfigError(f"unknown time zone {timezone!r} (e.g. Europe/Paris, America/Montreal)") from None
    text = spec.strip().lower()
    if text in ("24/7", "always"):
        return BusinessHours(tz, (ALWAYS_OPEN,) * 7, closed)
    week: list[list[tuple[time, time]]] = [[] for _ in range(7)]
    for group in filter(None, (g.strip() for g in text.split(";"))):
        m = _GROUP.match(group)
        if not m:
            raise SlaConfigError(f"business hours {group!r}: expected e.g. 'mon-fri 09:00-18:00' or '24/7'")
        start, end = _parse_time(m["start"]), _parse_time(m["end"])
        if start == time.max or (end != time.max and end <= start):
            raise SlaConfigError(f"business hours {group!r}: the end must come after the start")
        for day in _parse_days(m["days"]):
            week[day].append((start, end))
    if not any(week):
        raise SlaConfigError(f"business hours {spec!r} never open")
    return BusinessHours(tz, tuple(tuple(sorted(d)) for d in week), closed)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def business_seconds(start: datetime, end: datetime, hours: BusinessHours) -> float:
    """Open time between two moments, in seconds (0 when `end` is not after `start`)."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        return 0.0
    total = 0.0
    day = hours.local_day(start) - timedelta(days=1)  # an interval of the day before may reach past midnight
    last = hours.local_day(end)
    while day <= last:
        for a, b in hours.intervals(day):
            lo, hi = max(a, start), min(b, end)
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return total


def add_business(start: datetime, seconds: float, hours: BusinessHours) -> datetime:
    """The moment `seconds` of open time after `start`: a clock's deadline."""
    start = _utc(start)
    remaining = max(0.0, seconds)
    day = hours.local_day(start) - timedelta(days=1)
    for _ in range(_MAX_DAYS):
        for a, b in hours.intervals(day):
            lo = max(a, start)
            if b <= lo:
                continue
            span = (b - lo).total_seconds()
            if remaining <= span:
                return lo + timedelta(seconds=remaining)
            remaining -= span
        day += timedelta(days=1)
    raise SlaConfigError("no business hours in the next ten years")


class ClockState(StrEnum):
    ok = "ok"
    at_risk = "at_risk"
    breached = "breached"
    stopped = "stopped"


@dataclass(frozen=True)
class SlaPolicy:
    first_response: timedelta
    resolution: timedelta
    hours: BusinessHours
    at_risk: float = 0.8  # fraction of the budget after which the owner is reminded
    lead: str | None = None  # Slack user (U…) or user group (S…) told when a clock is breached

    def __post_init__(self) -> None:
        if not 0 < self.at_risk < 1:
            raise SlaConfigError(f"at-risk fraction must be between 0 and 1, got {self.at_risk}")
        if self.first_response <= timedelta(0) or self.resolution <= timedelta(0):
            raise SlaConfigError("SLA targets must be positive")


@dataclass(frozen=True)
class Clock:
    """One clock of one case at one moment."""

    name: str  # first_response | resolution
    budget: float  # business seconds
    elapsed: float  # business seconds, up to `now` or to when it stopped
    state: ClockState
    due: datetime
    at_risk_from: datetime

    @property
    def fraction(self) -> float:
        return self.elapsed / self.budget


def clock(
    name: str, started: datetime, stopped: datetime | None, now: datetime, budget: timedelta, policy: SlaPolicy
) -> Clock:
    seconds = budget.total_seconds()
    elapsed = business_seconds(started, stopped or now, policy.hours)
    if stopped is not None:
        state = ClockState.stopped
    elif elapsed >= seconds:
        state = ClockState.breached
    elif elapsed >= seconds * policy.at_risk:
        state = ClockState.at_risk
    else:
        state = ClockState.ok
    return Clock(
        name=name,
        budget=seconds,
        elapsed=elapsed,
        state=state,
        due=add_business(started, seconds, policy.hours),
        at_risk_from=add_business(started, seconds * policy.at_risk, policy.hours),
    )


def case_clocks(
    created: datetime, claimed: datetime | None, resolved: datetime | None, now: datetime, policy: SlaPolicy
) -> tuple[Clock, Clock]:
    """(first response, resolution) of a case escalated at `created`."""
    return (
        clock("first_response", created, claimed or resolved, now, policy.first_response, policy),
        clock("resolution", created, resolved, now, policy.resolution, policy),
    )


def human_duration(seconds: float) -> str:
    """`1 h 05 min`, `12 min`, `2 j 3 h` — short enough for a Slack context line."""
    minutes = int(round(seconds / 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d}"
    days, hours = divmod(hours, 24)
    return f"{days} j {hours} h"
