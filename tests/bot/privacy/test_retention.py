"""Retention: a comment older than its brand's limit is redacted like an erasure, nothing younger; the
brands file's limit wins over SOWANA_RETENTION_DAYS; the count reaches the audit log (digest, /metrics)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.brands import BrandLookups, parse_brands
from bot.comments.ingest import CommentIn, ingest
from bot.db import session_scope
from bot.models import Comment, utcnow
from bot.privacy.erase import Eraser
from bot.privacy.retention import redacted_count, retention_pass
from bot.settings import load_settings


def _comment(engine: Any, brand: str, external_id: str, text: str, age_days: float) -> int:
    data = CommentIn.model_validate(
        {
            "platform": "facebook",
            "external_id": external_id,
            "brand": brand,
            "author": {"id": f"p-{external_id}", "name": "Chloé Roy"},
            "text": text,
        }
    )
    comment, _ = ingest(engine, data)
    with session_scope(engine, write=True) as s:
        row = s.get(Comment, comment.id)
        assert row is not None
        row.received_at = utcnow() - timedelta(days=age_days)
        s.add(row)
    assert comment.id is not None
    return comment.id


def test_retention_redacts_what_is_older_than_the_brands_limit_and_nothing_younger(engine: Any, database_url: str):
    brands = parse_brands(
        {"brands": [{"brand": "boreal", "retention_days": 30}, {"brand": "atlas"}, {"brand": "keepall"}]}
    )
    lookups = BrandLookups(load_settings(database_url=database_url, retention_days=90), brands)
    old = _comment(engine, "boreal", "1", "Vieux commentaire · an old comment", 31)
    young = _comment(engine, "boreal", "2", "Commentaire récent · a recent one", 29)
    atlas_mid = _comment(engine, "atlas", "3", "Atlas, 60 jours · sixty days", 60)  # install's 90 days
    atlas_old = _comment(engine, "atlas", "4", "Atlas, 100 jours · a hundred days", 100)
    before = utcnow()

    done = retention_pass(Eraser(engine), lookups.retention_days, utcnow())

    assert done == {"boreal": 1, "atlas": 1}
    with session_scope(engine) as s:
        rows = {c.id: c for c in s.exec(select(Comment)).all()}
    assert rows[old].text == "" and rows[old].author_name == "" and rows[old].erased_at is not None
    assert rows[atlas_old].text == "" and rows[atlas_old].author_id == ""
    assert rows[young].text == "Commentaire récent · a recent one" and rows[young].author_name == "Chloé Roy"
    assert rows[atlas_mid].erased_at is None
    assert len(rows) == 4  # still counted by the statistics
    assert redacted_count(engine, "boreal", before, utcnow() + timedelta(seconds=1)) == 1
    assert redacted_count(engine, None, before, utcnow() + timedelta(seconds=1)) == 2
    # A second pass the same day finds nothing more.
    assert retention_pass(Eraser(engine), lookups.retention_days, utcnow()) == {}


def test_without_a_limit_nothing_is_redacted(engine: Any, database_url: str):
    lookups = BrandLookups(load_settings(database_url=database_url), parse_brands({"brands": [{"brand": "x1"}]}))
    _comment(engine, "x1", "9", "Très vieux · very old", 4000)
    assert retention_pass(Eraser(engine), lookups.retention_days, utcnow()) == {}


def test_the_digest_counts_what_retention_redacted_that_day(engine: Any, database_url: str):
    from bot.blocks.digest import digest_message
    from bot.insights.digest import build_digest

    lookups = BrandLookups(
        load_settings(database_url=database_url), parse_brands({"brands": [{"brand": "d1", "retention_days": 7}]})
    )
    _comment(engine, "d1", "20", "Vieux · old", 8)
    _comment(engine, "d1", "21", "Vieux aussi · old too", 9)
    retention_pass(Eraser(engine), lookups.retention_days, utcnow())
    digest = build_digest(engine, load_settings(database_url=database_url), "d1", "UTC", utcnow())
    assert digest.redacted == 2
    text = str(digest_message(digest)[1])
    assert "2 commentaires expurgés" in text and "comments redacted" in text
