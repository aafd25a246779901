"""The brands: which brand an incoming event belongs to, and each brand's channels, clocks and rules
(`BrandLookups`, falling back to the Settings' values). `SOWANA_BRANDS_FILE` (YAML), or one brand
`default`.

YAML shape:

    brands:
      - brand: panier_boreal          # key used in every row
        name: Panier Boréal
        review_channel: C0REVIEW
        sac_channel: C0SAC
        meta_page_ids: ["1111", "1784"]   # Facebook Page ids and Instagram account ids
        x_user_id: "2244994945"
        persona: chaleureux
        sla:                          # optional: overrides of the SOWANA_SLA_* / business-hours settings
          timezone: America/Montreal
          business_hours: mon-fri 08:00-20:00; sat 10:00-16:00
          first_response_minutes: 30
          lead: U0LEAD                 # told when a clock is breached (a user, or a user group S…)
        digest_time: "17:30"              # daily digest, local time (default SOWANA_DIGEST_TIME)
        timezone: America/Montreal        # default SOWANA_TIMEZONE
        retention_days: 365               # comments older are redacted (default SOWANA_RETENTION_DAYS)
        author_history: false             # leave the author's history off the case card

Without the file: one brand `default` whose pages are `META_PAGE_IDS`; when that is empty, a
single-brand install takes every page's events (there is nobody else they could belong to), and
likewise every X account's while it names no X user id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.settings import Settings, SettingsError
from bot.sla import SlaConfigError, SlaPolicy, parse_business_hours, parse_closed_days

BRAND_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class BrandsError(SettingsError):
    """The brands file is wrong; the message names the file and the entry."""


@dataclass(frozen=True)
class BrandConfig:
    brand: str
    name: str
    review_channel: str | None = None
    sac_channel: str | None = None
    meta_page_ids: tuple[str, ...] = ()
    x_user_id: str | None = None
    persona: str | None = None
    creative_approvals: int | None = None  # distinct approvers a creative reply needs (1 or 2)
    # Overrides of the install's SLA (keys of SLA_KEYS), e.g. {"timezone": "America/Montreal"}.
    sla: dict[str, Any] = field(default_factory=dict, compare=False)
    # Insights (#12): when the daily digest is posted, in the brand's own time zone (else the settings').
    digest_time: str | None = None  # "HH:MM"
    timezone: str | None = None  # IANA name, e.g. America/Montreal
    # Privacy (#23): days after which comments are redacted (else the settings'), and whether the case
    # card shows the author's history with the brand (else the settings').
    retention_days: int | None = None
    author_history: bool | None = None


@dataclass(frozen=True)
class Brands:
    items: tuple[BrandConfig, ...]
    # True for the single-brand fallback (no brands file): accounts it does not list are its own,
    # on a platform where it lists none (there is nobody else they could belong to).
    fallback: bool = False
    _by_page: dict[str, BrandConfig] = field(default_factory=dict, compare=False, repr=False)
    _by_x: dict[str, BrandConfig] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for b in self.items:
            for page in b.meta_page_ids:
                self._by_page[page] = b
            if b.x_user_id:
                self._by_x[b.x_user_id] = b

    def get(self, brand: str) -> BrandConfig | None:
        return next((b for b in self.items if b.brand == brand), None)

    def for_page(self, page_id: str) -> BrandConfig | None:
        """The brand owning a Facebook Page / Instagram account id (None: not one of ours)."""
        found = self._by_page.get(str(page_id))
        if found is None and self.fallback and not self.items[0].meta_page_ids:
            return self.items[0]
        return found

    def for_x_user(self, user_id: str) -> BrandConfig | None:
        found = self._by_x.get(str(user_id))
        if found is None and self.fallback and not self.items[0].x_user_id:
            return self.items[0]
        return found

    def x_accounts(self) -> list[tuple[str, str]]:
        """(brand, X user id) of every brand with an X account: what the mentions poller watches."""
        return [(b.brand, b.x_user_id) for b in self.items if b.x_user_id]


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str | int):
        value = [value]
    if not isinstance(value, list):
        raise BrandsError(f"{where}: must be a list of ids")
    return tuple(str(v).strip() for v in value if str(v).strip())


SLA_KEYS = (
    "first_response_minutes",
    "resolution_minutes",
    "at_risk",
    "business_hours",
    "timezone",
    "lead",
    "holidays",
    "closed_days",
)


def sla_policy(base: SlaPolicy, overrides: dict[str, Any]) -> SlaPolicy:
    """The install's SLA with a brand's overrides applied (raises SlaConfigError on a wrong value)."""
    hours = base.hours
    if "business_hours" in overrides or "timezone" in overrides:
        spec = str(overrides.get("business_hours", "")) or None
        tz = str(overrides.get("timezone") or base.hours.tz.key)
        hours = parse_business_hours(spec, tz) if spec else replace(base.hours, tz=parse_business_hours("24/7", tz).tz)
    closed = base.hours.closed
    if "holidays" in overrides:  # the brand's region replaces the install's ("" or null: none)
        closed = replace(closed, region=parse_closed_days(str(overrides["holidays"] or "")).region)
    if "closed_days" in overrides:  # the brand's own closed days replace the install's
        raw = overrides["closed_days"] or []
        own = parse_closed_days(None, [str(d) for d in (raw if isinstance(raw, list) else [raw])])
        closed = replace(closed, dates=own.dates, yearly=own.yearly)
    hours = replace(hours, closed=closed)
    return replace(
        base,
        first_response=timedelta(minutes=float(overrides.get("first_response_minutes", 0)))
        if "first_response_minutes" in overrides
        else base.first_response,
        resolution=timedelta(minutes=float(overrides.get("resolution_minutes", 0)))
        if "resolution_minutes" in overrides
        else base.resolution,
        at_risk=float(overrides.get("at_risk", base.at_risk)),
        lead=str(overrides["lead"]) if overrides.get("lead") else base.lead,
        hours=hours,
    )


def _sla_overrides(raw: Any, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or set(raw) - set(SLA_KEYS):
        raise BrandsError(f"{where}: 'sla' must be a mapping with keys among {', '.join(SLA_KEYS)}")
    try:
        sla_policy(SlaPolicy(timedelta(hours=1), timedelta(hours=8), parse_business_hours("24/7", "UTC")), raw)
    except (SlaConfigError, ValueError, TypeError) as exc:
        raise BrandsError(f"{where}: sla: {exc}") from None
    return dict(raw)


def parse_brands(data: Any, source: str = "brands file") -> Brands:
    if not isinstance(data, dict) or not isinstance(data.get("brands"), list) or not data["brands"]:
        raise BrandsError(f"{source}: expected a top-level 'brands:' list with at least one brand")
    items: list[BrandConfig] = []
    seen_pages: dict[str, str] = {}
    for i, raw in enumerate(data["brands"], start=1):
        where = f"{source}: brand #{i}"
        if not isinstance(raw, dict):
            raise BrandsError(f"{where}: must be a mapping")
        key = str(raw.get("brand") or "").strip()
        if not BRAND_RE.match(key):
            raise BrandsError(f"{where}: 'brand' must be lowercase letters, digits, '_' or '-', got {key!r}")
        if any(b.brand == key for b in items):
            raise BrandsError(f"{where}: brand {key!r} appears twice")
        pages = _str_list(raw.get("meta_page_ids"), f"{where} meta_page_ids")
        for page in pages:
            if page in seen_pages:
                raise BrandsError(f"{where}: page {page} already belongs to brand {seen_pages[page]!r}")
            seen_pages[page] = key
        x_user = raw.get("x_user_id")
        approvals = raw.get("creative_approvals")
        if approvals not in (None, 1, 2):
            raise BrandsError(f"{where}: 'creative_approvals' must be 1 or 2, got {approvals!r}")
        retention = raw.get("retention_days")
        if retention is not None and (isinstance(retention, bool) or not isinstance(retention, int) or retention < 1):
            raise BrandsError(
                f"{where}: 'retention_days' must be a whole number of days (1 or more), got {retention!r}"
            )
        history = raw.get("author_history")
        if history not in (None, True, False):
            raise BrandsError(f"{where}: 'author_history' must be true or false, got {history!r}")
        items.append(
            BrandConfig(
                brand=key,
                name=str(raw.get("name") or key),
                review_channel=raw.get("review_channel") or None,
                sac_channel=raw.get("sac_channel") or None,
                meta_page_ids=pages,
                x_user_id=str(x_user).strip() if x_user not in (None, "") else None,
                persona=raw.get("persona") or None,
                creative_approvals=approvals,
                sla=_sla_overrides(raw.get("sla"), where),
                digest_time=_digest_time(raw.get("digest_time"), where),
                timezone=_timezone(raw.get("timezone"), where),
                retention_days=retention,
                author_history=history,
            )
        )
    return Brands(tuple(items))


def _digest_time(value: Any, where: str) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, int) and not isinstance(value, bool):  # YAML 1.1 reads an unquoted 17:30 as 1050
        value = f"{value // 60:02d}:{value % 60:02d}"
    text = str(value).strip()
    if not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", text):
        raise BrandsError(f"{where}: 'digest_time' must be HH:MM, got {value!r}")
    return text


def _timezone(value: Any, where: str) -> str | None:
    if value in (None, ""):
        return None

    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise BrandsError(f"{where}: unknown 'timezone' {value!r} (an IANA name such as America/Montreal)") from None
    return str(value)


def load_brands_file(path: str | Path) -> Brands:
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BrandsError(f"SOWANA_BRANDS_FILE: cannot read {p}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise BrandsError(f"SOWANA_BRANDS_FILE: {p} is not valid YAML: {exc}") from None
    return parse_brands(data, source=str(p))


def load_brands(settings: Settings) -> Brands:
    """Brands from `settings.brands_file`, else the single brand `default` from the META_* settings."""
    if settings.brands_file:
        return load_brands_file(settings.brands_file)
    default = BrandConfig(
        brand="default",
        name="default",
        review_channel=settings.review_channel,
        sac_channel=settings.sac_channel,
        meta_page_ids=tuple(settings.meta_page_ids or []),
        x_user_id=settings.x_user_id,
    )
    return Brands((default,), fallback=True)


class BrandLookups:
    """What the bot asks about a brand or a channel, each answer falling back to the Settings' value."""

    def __init__(self, settings: Settings, brands: Brands) -> None:
        self.settings, self.brands = settings, brands
        self.base_sla = settings.sla_policy()
        # A brand's own time zone (brands file) is its clocks' zone unless its `sla:` names another.
        overrides = {b.brand: {"timezone": b.timezone, **b.sla} if b.timezone else b.sla for b in brands.items}
        self._sla = {brand: sla_policy(self.base_sla, o) for brand, o in overrides.items() if o}

    def review_channel(self, brand: str) -> str | None:
        found = self.brands.get(brand)
        return (found.review_channel if found else None) or self.settings.review_channel

    def sac_channel(self, brand: str) -> str | None:
        found = self.brands.get(brand)
        return (found.sac_channel if found else None) or self.settings.sac_channel

    def sla_for(self, brand: str) -> SlaPolicy:
        return self._sla.get(brand, self.base_sla)

    def brand_for_channel(self, channel: str) -> str:
        found = next((b for b in self.brands.items if channel in (b.review_channel, b.sac_channel)), None)
        return found.brand if found else "default"

    def creative_approvals(self, brand: str) -> int:
        found = self.brands.get(brand)
        return (found.creative_approvals if found else None) or self.settings.creative_approvals

    def persona(self, brand: str) -> str | None:
        found = self.brands.get(brand)
        return found.persona if found else None

    def retention_days(self, brand: str) -> int | None:
        found = self.brands.get(brand)
        return (found.retention_days if found else None) or self.settings.retention_days

    def show_author_history(self, brand: str) -> bool:
        found = self.brands.get(brand)
        chosen = found.author_history if found else None
        return self.settings.show_author_history if chosen is None else chosen

    def any_review_channel(self) -> bool:
        return bool(self.settings.review_channel or any(b.review_channel for b in self.brands.items))
