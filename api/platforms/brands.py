"""Which brand an incoming event belongs to: `SOWANA_BRANDS_FILE` (YAML), or one brand `default`.

YAML shape:

    brands:
      - brand: panier_boreal          # key used in every row
        name: Panier Boréal
        review_channel: C0REVIEW
        sac_channel: C0SAC
        meta_page_ids: ["1111", "1784"]   # Facebook Page ids and Instagram account ids
        x_user_id: "2244994945"
        persona: chaleureux

Without the file: one brand `default` whose pages are `META_PAGE_IDS`; when that is empty, a
single-brand install takes every page's events (there is nobody else they could belong to), and
likewise every X account's while it names no X user id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.settings import SettingsError

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
            )
        )
    return Brands(tuple(items))


def load_brands_file(path: str | Path) -> Brands:
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BrandsError(f"SOWANA_BRANDS_FILE: cannot read {p}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise BrandsError(f"SOWANA_BRANDS_FILE: {p} is not valid YAML: {exc}") from None
    return parse_brands(data, source=str(p))


def load_brands(settings: Any) -> Brands:
    """Brands from `settings.brands_file`, else the single brand `default` from the META_* settings."""
    if getattr(settings, "brands_file", None):
        return load_brands_file(settings.brands_file)
    pages = tuple(getattr(settings, "meta_page_ids", []) or [])
    x_user = settings.x_user_id
    default = BrandConfig(
        brand="default",
        name="default",
        review_channel=getattr(settings, "review_channel", None),
        sac_channel=getattr(settings, "sac_channel", None),
        meta_page_ids=pages,
        x_user_id=x_user,
    )
    return Brands((default,), fallback=True)
