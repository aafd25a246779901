"""Brand mapping (SOWANA_BRANDS_FILE or the single-brand fallback) and the pure webhook parsers."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.platforms.events import EditedComment, MalformedPayload, NewComment, RemovedComment, Skipped
from api.platforms.meta_events import parse_meta
from api.platforms.signatures import meta_signature, verify_meta, verify_x, x_signature
from api.platforms.x_events import parse_x_activity
from bot.brands import BrandsError, load_brands, parse_brands
from bot.settings import load_settings

YAML = """
brands:
  - brand: panier_boreal
    name: Panier Boréal
    review_channel: C0REVIEW
    sac_channel: C0SAC
    meta_page_ids: ["1111", "17841400000000"]
    x_user_id: "2244994945"
    persona: chaleureux
  - brand: velo_nord
    name: Vélo Nord
    meta_page_ids: [2222]
"""


def feed(page: str, **value: object) -> dict[str, object]:
    base: dict[str, object] = {
        "item": "comment",
        "verb": "add",
        "comment_id": "5_6",
        "post_id": f"{page}_5",
        "parent_id": f"{page}_5",
        "from": {"id": "42", "name": "Julie"},
        "message": "Bonjour",
        "created_time": 1763647380,
    }
    base.update(value)
    return {
        "object": "page",
        "entry": [{"id": page, "time": 1763647381, "changes": [{"field": "feed", "value": base}]}],
    }


def test_brands_file_maps_pages_and_x_accounts(tmp_path: Path) -> None:
    path = tmp_path / "brands.yaml"
    path.write_text(YAML, encoding="utf-8")
    brands = load_brands(load_settings(brands_file=str(path)))
    assert brands.for_page("1111").brand == "panier_boreal"  # type: ignore[union-attr]
    assert brands.for_page("2222").brand == "velo_nord"  # type: ignore[union-attr]
    assert brands.for_page("9999") is None
    assert brands.for_x_user("2244994945").persona == "chaleureux"  # type: ignore[union-attr]
    assert brands.for_x_user("1") is None
    assert brands.x_accounts() == [("panier_boreal", "2244994945")]
    [event] = parse_meta(feed("2222"), brands)
    assert isinstance(event, NewComment) and event.comment.brand == "velo_nord"


def test_single_brand_fallback(tmp_path: Path) -> None:
    listed = load_brands(load_settings(meta_page_ids="1111, 17841400000000", brands_file=None))
    assert listed.for_page("1111").brand == "default" and listed.for_page("3333") is None  # type: ignore[union-attr]
    assert listed.for_x_user("123").brand == "default"  # type: ignore[union-attr]
    open_ = load_brands(load_settings(meta_page_ids="", brands_file=None))
    assert open_.for_page("3333").brand == "default"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("brands: []", "at least one brand"),
        ("brands:\n  - brand: Bad Name\n", "lowercase"),
        ("brands:\n  - {brand: a, meta_page_ids: [1]}\n  - {brand: b, meta_page_ids: [1]}\n", "already belongs"),
        ("brands: [", "not valid YAML"),
    ],
)
def test_wrong_brands_file_names_the_problem(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "brands.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BrandsError, match=needle):
        load_brands(load_settings(brands_file=str(path)))


def test_meta_parser_kinds() -> None:
    brands = parse_brands({"brands": [{"brand": "b", "meta_page_ids": ["1111"]}]})
    [edit] = parse_meta(feed("1111", verb="edited", message="Bonsoir"), brands)
    assert isinstance(edit, EditedComment) and edit.comment.text == "Bonsoir"
    [gone] = parse_meta(feed("1111", verb="remove", message=None), brands)
    assert isinstance(gone, RemovedComment) and gone.external_id == "5_6"
    [like] = parse_meta(feed("1111", item="reaction"), brands)
    assert like == Skipped("not_handled", "1111", "page.feed.reaction")
    [sticker] = parse_meta(feed("1111", message=None), brands)
    assert isinstance(sticker, Skipped) and sticker.reason == "no_text"
    [own] = parse_meta(feed("1111", **{"from": {"id": "1111", "name": "Page"}}), brands)
    assert own.reason == "own_comment"  # type: ignore[union-attr]
    assert parse_meta({"object": "user", "entry": []}, brands) == [Skipped("not_handled", None, "object.user")]
    with pytest.raises(MalformedPayload, match="'entry'"):
        parse_meta({"object": "page", "entry": {}}, brands)


def test_x_parser_long_text_and_retweets() -> None:
    brands = parse_brands({"brands": [{"brand": "b", "x_user_id": "99"}]})
    long_text = "@brand " + "très long message " * 20
    tweet = {
        "id_str": "10",
        "text": "@brand très…",
        "truncated": True,
        "extended_tweet": {"full_text": long_text},
        "user": {"id_str": "5", "name": "Ana", "screen_name": "ana"},
        "created_at": "Wed Oct 10 20:19:24 +0000 2018",
    }
    rt = {"id_str": "11", "text": "RT @brand", "retweeted_status": {}, "user": {"id_str": "6", "name": "B"}}
    new, skipped = parse_x_activity({"for_user_id": "99", "tweet_create_events": [tweet, rt]}, brands)
    assert isinstance(new, NewComment) and new.comment.text == long_text
    assert new.comment.created_at is not None and new.comment.created_at.year == 2018
    assert skipped == Skipped("not_handled", "99", "retweet")
    assert parse_x_activity({"for_user_id": "1", "tweet_create_events": [tweet]}, brands)[0].reason == "unknown_account"  # type: ignore[union-attr]


def test_signatures_are_exact() -> None:
    body = '{"text": "Ça marche"}'.encode()
    sig = meta_signature("s3cret", body)
    assert verify_meta("s3cret", body, sig) and verify_meta("s3cret", body, sig.upper().replace("SHA256", "sha256"))
    assert not verify_meta("s3cret", body + b" ", sig) and not verify_meta("other", body, sig)
    assert not verify_meta("s3cret", body, None) and not verify_meta("s3cret", body, "sha1=abc")
    assert verify_x("k", body, x_signature("k", body)) and not verify_x("k", body, x_signature("j", body))
