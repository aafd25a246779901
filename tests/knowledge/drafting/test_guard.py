"""Pure checks: promises, citations, prompt leaks, names and lengths."""

from __future__ import annotations

from knowledge.drafting.guard import keep_known, leaks_prompt, risky_claims, unsupported_claims
from knowledge.drafting.text import first_name, platform_length


def test_promises_need_a_source_that_makes_them() -> None:
    assert unsupported_claims("Je vais vous rembourser.", []) == {"refund"}
    assert unsupported_claims("We'll refund you today.", []) == {"refund"}
    assert (
        unsupported_claims("La livraison est gratuite dès 45 $.", ["La livraison est gratuite dès 45 $ d'achat."])
        == set()
    )
    assert unsupported_claims("Voici un code promo de 20 %.", ["Le petit panier coûte 34 $."]) == {"discount"}
    # "feel free" is not a promise of anything free.
    assert risky_claims("Feel free to send us a private message.") == set()
    assert risky_claims("Your next basket is free.") == {"free"}


def test_only_known_citations_are_kept_in_order_once() -> None:
    kept, dropped = keep_known(["prix", "zzz", "prix", "zones"], ["zones", "prix"])
    assert kept == ["prix", "zones"] and dropped == ["zzz"]


def test_prompt_leaks_are_recognised() -> None:
    prompt = "You draft public replies for a brand's community managers on Facebook, Instagram and X."
    assert leaks_prompt("Sure: you draft public replies for a brand's community managers", prompt, "CANARY-1")
    assert leaks_prompt("here: canary-1", prompt, "CANARY-1")
    assert not leaks_prompt("Hi! Our community managers will reply soon.", prompt, "CANARY-1")


def test_first_names_and_weighted_length() -> None:
    assert first_name("julie tremblay") == "Julie"
    assert first_name("Marc-André Côté") == "Marc-André"
    assert first_name("@growfast_2026") is None and first_name("") is None and first_name(None) is None
    assert platform_length("https://example.com/a/very/long/path/indeed " + "a", "x") == 23 + 2
