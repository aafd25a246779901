"""Minimisation (#23): the case card shows the author's history with this brand only, and a brand may
keep it off the card altogether (`author_history: false` in the brands file)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.brands import BrandLookups, BrandsError, parse_brands
from bot.comments.ingest import CommentIn, ingest
from bot.db import session_scope
from bot.models import Escalation, utcnow
from bot.sac.cards import CaseSlack
from bot.settings import load_settings


def _comment(engine: Any, brand: str, n: int, text: str) -> int:
    data = CommentIn.model_validate(
        {
            "platform": "instagram",
            "external_id": f"m-{brand}-{n}",
            "brand": brand,
            "author": {"id": "ig-77", "name": "Léa Fortin"},
            "text": text,
        }
    )
    comment, _ = ingest(engine, data)
    assert comment.id is not None
    return comment.id


def _card(engine: Any, database_url: str, brand: str) -> str:
    brands = parse_brands(
        {"brands": [{"brand": "shows"}, {"brand": "hides", "author_history": False}, {"brand": "other"}]}
    )
    lookups = BrandLookups(load_settings(database_url=database_url), brands)
    _comment(engine, brand, 1, "Premier message · first message")
    _comment(engine, "other", 1, "Chez une autre marque · at another brand")
    cid = _comment(engine, brand, 2, "Toujours rien reçu · still nothing")
    with session_scope(engine, write=True) as s:
        s.add(Escalation(brand=brand, comment_id=cid, requested_by="U0CM"))
    cases = CaseSlack(None, engine, lookups.sla_for, utcnow, show_history=lookups.show_author_history)  # type: ignore[arg-type]
    return str(cases.card(cid)[1])


def test_the_card_shows_this_brands_history_only(engine: Any, database_url: str):
    card = _card(engine, database_url, "shows")
    assert "Premier message" in card and "Historique" in card
    assert "autre marque" not in card


def test_a_brand_can_keep_the_history_off_the_card(engine: Any, database_url: str):
    card = _card(engine, database_url, "hides")
    assert "Toujours rien reçu" in card  # the comment itself is the case
    assert "Premier message" not in card and "Historique" not in card


def test_the_switch_is_checked_in_the_brands_file():
    with pytest.raises(BrandsError, match="author_history"):
        parse_brands({"brands": [{"brand": "b", "author_history": "no"}]})
    with pytest.raises(BrandsError, match="retention_days"):
        parse_brands({"brands": [{"brand": "b", "retention_days": 0}]})
