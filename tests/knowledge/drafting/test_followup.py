"""Follow-ups of a resolved case: public without the file's details, private with what was done."""

from __future__ import annotations

import time
from typing import Any

from langchain_core.messages import AIMessage

from knowledge.drafting.followup import PRIVATE, PUBLIC, REREAD, followup_drafts

from .test_llm import ToolFake


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


# -- with a chat model (SOWANA_LLM): checked, templates as fallback ------------------------------------

FOLLOW_NOTE = "colis relivré ce matin, crédit de 10 $ appliqué, commande 48213"


def _followup_model(public: str | None, private: str | None, delay: float = 0.0) -> Any:
    args = {"public_reply": public, "private_reply": private}
    message = AIMessage(content="", tool_calls=[{"name": "LLMFollowup", "args": args, "id": "call-1"}])
    return ToolFake(messages=iter([message]), delay=delay, seen=[])


def test_the_model_writes_both_follow_ups_when_they_pass_the_checks():
    public = "Bonne nouvelle Julie : c'est réglé! Merci de ta patience, on t'a écrit en privé."
    private = "Bonjour Julie, ton colis a été relivré ce matin et un crédit de 10 $ a été appliqué à ton compte."
    drafts = followup_drafts(
        lang="fr",
        author_name="Julie Tremblay",
        note=FOLLOW_NOTE,
        targets=(PUBLIC, PRIVATE),
        public_limit=280,
        llm=_followup_model(public, private),
    )
    assert [(d.target, d.text, d.source) for d in drafts] == [(PUBLIC, public, "llm"), (PRIVATE, private, "llm")]
    assert drafts[1].note == REREAD  # still to reread: it comes from the customer-service note


def test_a_public_follow_up_with_a_detail_of_the_file_falls_back_to_the_template():
    public = "Good news Dan: your $10 credit for order 48213 is on your account!"
    private = "Hi Dan, your box was delivered again this morning and a credit was applied."
    drafts = followup_drafts(
        lang="en",
        author_name="Dan",
        note="box redelivered this morning, credit applied",
        targets=(PUBLIC, PRIVATE),
        llm=_followup_model(public, private),
    )
    assert drafts[0].source == "template" and "48213" not in drafts[0].text and drafts[0].text.startswith("Good news")
    assert drafts[1].source == "llm" and drafts[1].text == private


def test_a_private_follow_up_promising_what_the_note_does_not_say_falls_back():
    private = "Hi Dan, we refunded your whole order and your next box is free."
    (draft,) = followup_drafts(
        lang="en", author_name="Dan", note="box redelivered", targets=(PRIVATE,), llm=_followup_model(None, private)
    )
    assert draft.source == "template" and "refund" not in draft.text.lower()


def test_a_slow_or_broken_model_leaves_the_templates():
    started = time.perf_counter()
    drafts = followup_drafts(
        lang="fr",
        author_name="Julie",
        note="réglé",
        targets=(PUBLIC,),
        llm=_followup_model("Bonne nouvelle : c'est réglé!", None, delay=3.0),
        timeout=0.3,
    )
    assert time.perf_counter() - started < 2.0 and drafts[0].source == "template"
    wrong_lang = followup_drafts(
        lang="fr",
        author_name="Julie",
        note="réglé",
        targets=(PUBLIC,),
        llm=_followup_model("Good news: it's all sorted now, thank you for waiting!", None),
    )
    assert wrong_lang[0].source == "template" and wrong_lang[0].text.startswith("Bonne nouvelle")
