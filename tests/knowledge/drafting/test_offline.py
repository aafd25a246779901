"""The offline composer, as a CM would read its proposals: greeting, register, signature, length,
citations, hand-offs, and wit only as a marked past example when it is safe."""

from __future__ import annotations

import json

import pytest

from knowledge.drafting import CommentIn, Draft, draft_reply, platform_length
from knowledge.drafting.text import has_emoji
from knowledge.personas import get_persona

from .helpers import PRICE_EN, PRIX_FR, VIRAL_FR, ZONES_FR, passage, triage

INFORMATIF = get_persona("informatif")
ESPIEGLE = get_persona("espiegle")
EMPATHIQUE = get_persona("empathique")


def _serious(draft: Draft) -> list:
    return [p for p in draft.proposals if p.kind == "serious"]


def test_french_question_informatif_greets_vouvoie_signs_and_cites() -> None:
    comment = CommentIn(text="Combien coûte un panier?", platform="facebook", author_name="julie tremblay")
    draft = draft_reply(comment, triage("fr"), [passage("prix", PRIX_FR), passage("price-en", PRICE_EN, "en", 0.6)])
    main, alt = draft.first("serious", "main"), draft.first("serious", "alternative")
    assert main is not None and alt is not None and draft.source == "offline"
    assert main.text.startswith("Bonjour Julie!")
    assert PRIX_FR in main.text and "N'hésitez pas si vous avez d'autres questions." in main.text
    assert main.text.endswith("Bonne journée!")
    assert main.cited_ids == ["prix"] and alt.cited_ids == ["prix"]
    assert main.lang == alt.lang == "fr" and main.persona == "informatif"
    # A real alternative: answer first and short (the delivery fee left out), then a private follow-up offer.
    assert alt.text.startswith("Le petit panier") and len(alt.text) < len(main.text)
    assert "4,95 $" not in alt.text and "message privé" in alt.text and "message privé" not in main.text
    assert not [p for p in draft.proposals if p.kind == "creative"]


def test_english_question_prefers_the_english_passage_of_a_bilingual_faq() -> None:
    comment = CommentIn(text="how much is the small basket?", platform="instagram", author_name="Sam")
    # The French entry scores a little higher, but the English one says the same thing.
    draft = draft_reply(
        comment, triage("en"), [passage("prix", PRIX_FR, "fr", 0.72), passage("price-en", PRICE_EN, "en", 0.68)]
    )
    main = draft.first()
    assert main is not None and main.text.startswith("Hi Sam!") and PRICE_EN in main.text
    assert main.cited_ids == ["price-en"] and main.lang == "en" and main.text.endswith("Have a great day!")


def test_espiegle_tutoie_in_french_and_flags_the_faq_vouvoiement() -> None:
    comment = CommentIn(text="Ça coûte combien?", platform="facebook", author_name="Léa")
    draft = draft_reply(
        comment, triage("fr"), [passage("prix", PRIX_FR), passage("zones", ZONES_FR, score=0.5)], ESPIEGLE
    )
    main = draft.first()
    assert main is not None and main.text.startswith("Salut Léa!") and "N'hésite pas si tu as" in main.text
    assert main.text.endswith("À bientôt!")
    english = draft_reply(
        CommentIn(text="price?", author_name="Léa"), triage("en"), [passage("price-en", PRICE_EN, "en")], ESPIEGLE
    )
    assert english.first() is not None and english.first().text.startswith("Hey Léa!")  # type: ignore[union-attr]
    zones = draft_reply(comment, triage("fr"), [passage("zones", ZONES_FR)], ESPIEGLE).first()
    assert zones is not None and zones.note and "vouvoie" in zones.note


def test_x_replies_fit_280_weighted_characters_without_cutting_a_sentence() -> None:
    comment = CommentIn(text="Vous livrez où exactement?", platform="x", author_name="Marc-André")
    draft = draft_reply(comment, triage("fr"), [passage("zones", ZONES_FR)], ESPIEGLE)
    assert draft.proposals
    for proposal in draft.proposals:
        assert platform_length(proposal.text, "x") <= 280
        assert proposal.text.rstrip().endswith(("!", ".", "?"))
    main = draft.first()
    assert main is not None and main.cited_ids == ["zones"] and main.text.startswith("Panier Boréal livre")
    assert main.note and "Raccourcie" in main.note
    # Facebook keeps the whole answer.
    fb = draft_reply(comment.model_copy(update={"platform": "facebook"}), triage("fr"), [passage("zones", ZONES_FR)])
    assert fb.first() is not None and ZONES_FR in fb.first().text  # type: ignore[union-attr]


def test_emoji_weigh_double_on_x() -> None:
    assert platform_length("🥕" * 10, "x") == 20
    assert platform_length("🥕" * 10, "facebook") == 10


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("fr", "Écrivez-nous en message privé"), ("en", "Send us a private message")],
)
def test_no_good_answer_moves_to_private_messages_without_inventing(lang: str, expected: str) -> None:
    comment = CommentIn(text="Vous livrez sur la lune?" if lang == "fr" else "Do you deliver to the moon?")
    weak = [passage("zones", ZONES_FR, lang, score=0.05)]
    draft = draft_reply(comment, triage(lang), weak, no_answer=True)
    for proposal in _serious(draft):
        assert proposal.cited_ids == [] and "Sherbrooke" not in proposal.text
    main = draft.first()
    assert main is not None and expected in main.text


def test_answer_only_in_the_other_language_is_not_translated_but_noted() -> None:
    recipes_fr = "Chaque semaine, une fiche recettes accompagne le panier et toutes nos recettes sont sur le blogue."
    comment = CommentIn(text="Any recipe ideas for kohlrabi?", author_name="Sam")
    draft = draft_reply(comment, triage("en"), [passage("recettes", recipes_fr, "fr", 0.6)], no_answer=False)
    main = draft.first()
    assert main is not None and "private message" in main.text and "blogue" not in main.text
    assert main.note and "recettes" in main.note and "French" in main.note and recipes_fr in main.note


def test_complaint_gets_an_empathetic_customer_service_handoff_and_never_wit() -> None:
    comment = CommentIn(text="Mes tomates étaient toutes écrasées. Décevant.", author_name="Nadia")
    viral = passage("viral-1", VIRAL_FR, collection="viral", score=0.9)
    # Even if a triage wrongly said humour is fine, a complaint never gets a creative proposal.
    draft = draft_reply(comment, triage("fr", "complaint", humor_ok=True), [viral], ESPIEGLE)
    assert [p.kind for p in draft.proposals] == ["serious", "serious"]
    main = draft.first()
    assert main is not None and "désolés" in main.text and "service à la clientèle" in main.text
    assert "rembours" not in main.text.lower()


LATE_BAG_EN = (
    "Report it at the baggage service office before leaving the airport, or on our website's baggage page within "
    "24 hours of landing, to get the file reference you will need to follow the search. Most delayed bags are "
    "found within 48 hours and delivered free of charge to your address."
)
RETARD_FR = (
    "Quand votre panier arrive avec plus de 2 heures de retard sur la fenêtre annoncée par texto, les frais de "
    "livraison vous sont remboursés automatiquement sous 5 jours ouvrables. Si des produits frais ont souffert du "
    "retard, signalez-les dans l'application pour un crédit."
)


@pytest.mark.parametrize(
    ("lang", "text", "entry", "answer", "handoff"),
    [
        (
            "en",
            "3 hours at the carousel and my bag never showed up. Great job @airline 🙄",
            "late-bag",
            LATE_BAG_EN,
            "private message",
        ),
        (
            "fr",
            "2e fois ce mois ci que le panier arrive 3h en retard, la salade était cuite. Franchement.",
            "retard",
            RETARD_FR,
            "message privé",
        ),
    ],
)
def test_on_x_a_complaint_keeps_the_policy_and_says_sorry_and_the_hand_off_in_fewer_words(
    lang: str, text: str, entry: str, answer: str, handoff: str
) -> None:
    comment = CommentIn(text=text, platform="x", author_name="Jo")
    draft = draft_reply(comment, triage(lang, "complaint"), [passage(entry, answer, lang, 0.75)], ESPIEGLE)
    main = draft.first()
    assert main is not None and main.cited_ids == [entry]
    # The policy's first sentence is there, with an apology and the way to customer service, within 280.
    assert answer.split(". ")[0] in main.text and handoff in main.text
    assert ("sorry" if lang == "en" else "désolés") in main.text.lower()
    assert (
        platform_length(main.text, "x") <= 280 and main.note and ("Shortened" in main.note or "Raccourcie" in main.note)
    )
    # Where there is room, the full wording stays.
    fb = draft_reply(
        comment.model_copy(update={"platform": "facebook"}),
        triage(lang, "complaint"),
        [passage(entry, answer, lang, 0.75)],
        ESPIEGLE,
    ).first()
    assert fb is not None and answer in fb.text and ("customer care" in fb.text or "service à la clientèle" in fb.text)


def test_distress_is_sober_even_for_a_playful_persona_and_points_to_help() -> None:
    comment = CommentIn(text="J'en peux plus, j'ai envie d'en finir, je sais pas comment payer", author_name="Sophie")
    draft = draft_reply(comment, triage("fr", "distress"), [passage("viral-1", VIRAL_FR, collection="viral")], ESPIEGLE)
    assert all(p.kind == "serious" for p in draft.proposals) and len(draft.proposals) == 2
    main = draft.first()
    assert main is not None and main.text.startswith("Bonjour Sophie") and "Salut" not in main.text
    assert "message privé" in main.text and "988" in main.text
    assert not any(has_emoji(p.text) for p in draft.proposals)
    english = draft_reply(
        CommentIn(text="My husband passed away, please help me stop the subscription"),
        triage("en", "distress"),
        [],
        EMPATHIQUE,
    )
    assert english.first() is not None and "so sorry" in english.first().text  # type: ignore[union-attr]
    assert "988" not in english.first().text  # type: ignore[union-attr]  # no crisis line without a sign of it


@pytest.mark.parametrize(
    ("lang", "text", "entry", "answer"),
    [
        (
            "fr",
            "3 jours sans chauffage avec un nourrisson, il fait 13° chez nous, personne ne vient !!!",
            "urgence-chauffage",
            "En cas de panne de chauffage, notre ligne d'urgence 24/7 envoie un technicien sous 24 h aux foyers "
            "avec un nourrisson ou une personne âgée.",
        ),
        (
            "en",
            "My dad's funeral is tomorrow and you cancelled my flight, I'm stuck at the gate with my kids",
            "bereavement",
            "Travelling for a funeral? Our bereavement desk rebooks you on the next flight at no cost.",
        ),
    ],
)
def test_distress_keeps_care_first_and_the_alternative_gives_the_practical_way_out(
    lang: str, text: str, entry: str, answer: str
) -> None:
    draft = draft_reply(
        CommentIn(text=text, author_name="Karine"),
        triage(lang, "distress"),
        [passage(entry, answer, lang, 0.8)],
        EMPATHIQUE,
    )
    main, alt = draft.first(), draft.first(variant="alternative")
    assert main is not None and not main.cited_ids and answer not in main.text
    assert alt is not None and alt.cited_ids == [entry] and answer in alt.text
    assert alt.text.startswith("Karine")


def test_no_business_policy_beside_a_sign_of_self_harm() -> None:
    comment = CommentIn(text="Vous m'avez coupé le courant, j'ai envie d'en finir", author_name="Léo")
    answer = "Un rétablissement du courant est fait sous 24 h après le paiement."
    draft = draft_reply(comment, triage("fr", "distress"), [passage("retablissement", answer, "fr", 0.8)], EMPATHIQUE)
    assert all(not p.cited_ids and answer not in p.text for p in draft.proposals)
    assert all("988" in p.text or "3114" in p.text for p in draft.proposals)


def test_banter_with_safe_humor_offers_a_past_viral_answer_marked_to_adapt() -> None:
    comment = CommentIn(text="Encore du kale?? Vous avez une entente avec les chèvres 🐐", author_name="Léa")
    passages = [
        passage("viral-kale", VIRAL_FR, collection="viral", score=0.6),
        passage("modifier", "Oui : retirez jusqu'à trois produits.", score=0.5),
    ]
    draft = draft_reply(comment, triage("fr", "banter"), passages, ESPIEGLE)
    creative = draft.first("creative")
    assert creative is not None
    # The quip of the viral answer, then the facts as the FAQ says them, both cited.
    assert creative.text.startswith("[À adapter] Pas de panique : le kale ne fait pousser les oreilles")
    assert "Sinon, cochez-le" not in creative.text and "retirez jusqu'à trois produits" in creative.text
    assert creative.note and creative.note.startswith("À adapter") and "viral-kale" in creative.note
    assert set(creative.cited_ids) == {"viral-kale", "modifier"} and creative.lang == "fr"
    # Without a FAQ answer, the past viral answer alone, as inspiration.
    alone = draft_reply(comment, triage("fr", "banter"), passages[:1], ESPIEGLE).first("creative")
    assert alone is not None and VIRAL_FR in alone.text and alone.cited_ids == ["viral-kale"]
    english = draft_reply(
        CommentIn(text="my cat lives in your box now"),
        triage("en", "banter"),
        [passage("viral-cat", "Tell her the lease is month-to-month 😺", "en", 0.5, "viral")],
        ESPIEGLE,
    )
    assert english.first("creative") is not None and english.first("creative").text.startswith("[To adapt]")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("persona_name", "overrides"),
    [
        ("informatif", {}),  # persona humour 0
        ("espiegle", {"humor_ok": False}),  # triage says no
        ("espiegle", {"humor_ok": True, "humor_off_reasons": ["low_literacy"]}),  # low literacy
        ("espiegle", {"humor_ok": True, "needs_sac": True}),  # a real problem behind the joke
    ],
)
def test_no_creative_proposal_when_humor_is_off(persona_name: str, overrides: dict) -> None:
    comment = CommentIn(text="je comprend pas comment fair pour arete les livraison lol")
    viral = passage("viral-1", VIRAL_FR, collection="viral", score=0.9)
    draft = draft_reply(comment, triage("fr", "banter", **overrides), [viral], get_persona(persona_name))
    assert draft.proposals and all(p.kind == "serious" for p in draft.proposals)


def test_spam_gets_no_reply_and_a_note() -> None:
    draft = draft_reply(CommentIn(text="GAGNEZ UN IPHONE www.x.top"), triage("fr", "spam"), [])
    assert draft.proposals == [] and draft.notes and "spam" in draft.notes[0]


def test_personal_data_in_public_gets_a_private_followup_without_repeating_it() -> None:
    comment = CommentIn(text="my email is jenny.b1987@example.com please contact me about my refund")
    draft = draft_reply(comment, triage("en", "complaint", private_followup=True, moderation="hide"), [])
    for proposal in draft.proposals:
        assert "jenny" not in proposal.text and "refund" not in proposal.text.lower()
    assert "private message" in draft.first().text  # type: ignore[union-attr]


def test_without_a_usable_first_name_the_greeting_stays_polite() -> None:
    draft = draft_reply(CommentIn(text="prix?", author_name="@growfast_2026"), triage("fr"), [passage("prix", PRIX_FR)])
    main = draft.first()
    assert main is not None and main.text.startswith("Bonjour! Le petit panier") and "growfast" not in main.text


def test_emoji_policy_none_strips_emoji_from_the_quoted_answer() -> None:
    draft = draft_reply(CommentIn(text="kale?"), triage("fr"), [passage("kale", "Le kale revient en mai 🥬.")])
    assert draft.first() is not None and not has_emoji(draft.first().text)  # type: ignore[union-attr]


def test_draft_is_deterministic_and_json_serialisable() -> None:
    args = (CommentIn(text="Combien?", author_name="Julie"), triage("fr"), [passage("prix", PRIX_FR)])
    one, two = draft_reply(*args), draft_reply(*args)
    assert [p.text for p in one.proposals] == [p.text for p in two.proposals]
    data = json.loads(json.dumps(one.to_json()))
    assert data["source"] == "offline" and data["proposals"][0]["cited_ids"] == ["prix"]
    assert Draft.model_validate(data).proposals[0].text == one.proposals[0].text
