"""Learning from the team: a reviewer's correction counts for the next similar comment, without a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.triage import TriageInput, Triager

# A Québec expression the shipped examples do not know: "c'est de la bouette" (it's mud) about a product.
MISREAD = "Le nouveau smoothie vert goûte la bouette de printemps, mais mes enfants le boivent quand même 😂"
SIMILAR = "Votre smoothie vert goûte vraiment la bouette de printemps, mais les enfants le boivent quand même 😂"
UNRELATED = "Do you deliver to Sudbury on Mondays?"


@pytest.fixture()
def fresh(triage_cache: Path) -> Triager:
    return Triager(cache_dir=triage_cache)


def test_a_correction_is_followed_by_the_next_similar_comment(fresh: Triager) -> None:
    before = fresh.triage(TriageInput(text=SIMILAR))
    target = "complaint" if before.intent != "complaint" else "praise"
    fresh.add_correction(MISREAD, {"intent": target, "humor_ok": False, "sentiment": "neg", "needs_sac": False})

    after = fresh.triage(TriageInput(text=SIMILAR))
    assert after.intent == target
    assert not after.humor_ok and "team_correction" in after.humor_off_reasons
    # Unrelated comments are untouched.
    assert fresh.triage(TriageInput(text=UNRELATED)).intent == "question"


def test_corrections_persisted_by_the_bot_are_reloaded_at_start(triage_cache: Path) -> None:
    saved = [{"text": MISREAD, "labels": {"intent": "complaint", "humor_ok": False}}]
    restarted = Triager(cache_dir=triage_cache, extra_examples=saved)
    result = restarted.triage(TriageInput(text=SIMILAR))
    assert result.intent == "complaint" and not result.humor_ok
    # Flat rows work too (as a DB row would be).
    flat = Triager(cache_dir=triage_cache, extra_examples=[{"text": MISREAD, "intent": "complaint"}])
    assert flat.triage(TriageInput(text=SIMILAR)).intent == "complaint"


def test_a_correction_can_allow_wit_but_never_past_the_safety_floor(fresh: Triager) -> None:
    fresh.add_correction("Mon gars veut marier la courge spaghetti 😂", {"intent": "banter", "humor_ok": True})
    assert fresh.triage(TriageInput(text="Mon gars veut vraiment marier la courge spaghetti 😂")).humor_ok
    fresh.add_correction("Je veux mourir tellement la courge était bonne 😂", {"intent": "banter", "humor_ok": True})
    floor = fresh.triage(TriageInput(text="Je veux mourir tellement la courge était bonne 😂😂"))
    assert not floor.humor_ok and floor.priority == "urgent"


def test_bad_corrections_are_refused_clearly(fresh: Triager) -> None:
    with pytest.raises(ValueError, match="intent"):
        fresh.add_correction("whatever", {"intent": "angry"})
    with pytest.raises(ValueError, match="humor_ok"):
        fresh.add_correction("whatever", {"humor_ok": "yes"})
    with pytest.raises(ValueError, match="correctable"):
        fresh.add_correction("whatever", {"priority": "urgent"})
    with pytest.raises(ValueError, match="text"):
        fresh.add_correction("   ", {"intent": "other"})
