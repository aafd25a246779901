"""Follow-ups of a resolved case: public without the file's details, private with what was done."""

from __future__ import annotations

from knowledge.drafting.followup import PRIVATE, PUBLIC, REREAD, followup_drafts


def test_french_public_and_private_follow_ups():
    drafts = followup_drafts(
        lang="fr",
        author_name="Julie Tremblay",
        note="panier relivré ce matin, crédit de 10 $ sur le compte",
        targets=(PUBLIC, PRIVATE),
    )
    public, private = drafts
    assert public.target == PUBLIC and public.text.startswith("Bonne nouvelle Julie")
    assert "en privé" in public.text and "10 $" not in public.text  # nothing of the file in public
    assert private.target == PRIVATE and "Panier relivré ce matin, crédit de 10 $ sur le compte." in private.text
    assert private.note == REREAD


def test_english_public_only_fits_on_x():
    (public,) = followup_drafts(lang="en", author_name="@dan_w", note="refunded", targets=(PUBLIC,), public_limit=280)
    assert public.text == "Good news: it's sorted! Thank you for your patience." or public.text.startswith("Good news")
    assert "private" not in public.text and len(public.text) <= 280


def test_nothing_asked_nothing_drafted_and_unknown_language_falls_back_to_french():
    assert followup_drafts(lang="en", author_name="Dan", note="done", targets=()) == []
    (private,) = followup_drafts(lang="de", author_name="", note="erledigt", targets=(PRIVATE,))
    assert private.text.startswith("Bonjour,")
