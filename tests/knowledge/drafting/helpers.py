"""Builders shared by the drafting tests: passages and triage results written by hand."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from knowledge.retrieval import Passage
from knowledge.triage.types import TriageResult

PRIX_FR = (
    "Le petit panier (2 personnes) coûte 34 $, le familial 52 $. La livraison est gratuite dès 45 $ d'achat, "
    "sinon 4,95 $."
)
PRICE_EN = "The small basket (2 people) is $34 and the family basket $52. Delivery is free over $45, otherwise $4.95."
ZONES_FR = (
    "Panier Boréal livre sur l'île de Montréal, à Laval, sur la Rive-Sud jusqu'à Saint-Jean-sur-Richelieu, à Québec "
    "et à Sherbrooke. Entrez votre code postal sur la page Livraison pour voir vos jours. Les livraisons se font du "
    "mardi au samedi, entre 13 h et 21 h, et vous recevez un texto le matin même avec une fenêtre d'une heure. "
    "En région, certaines zones sont desservies une semaine sur deux : consultez la carte détaillée sur notre site."
)
VIRAL_FR = (
    "Pas de panique : le kale ne fait pousser les oreilles qu'à partir de la 12e semaine 🐰 "
    "Sinon, cochez-le « jamais »."
)


def passage(
    id: str, answer: str, lang: str | None = "fr", score: float = 0.7, collection: str = "faq", question: str = "?"
) -> Passage:
    return Passage(id=id, collection=collection, question=question, answer=answer, lang=lang, score=score)


def triage(lang: str = "fr", intent: str = "question", **overrides: Any) -> TriageResult:
    values: dict[str, Any] = {
        "lang": lang,
        "intent": intent,
        "sentiment": "neg" if intent in ("complaint", "distress", "toxic") else "neu",
        "needs_sac": intent in ("complaint", "distress"),
        "humor_ok": intent in ("banter", "praise"),
        "confidence": 0.9,
    }
    values.update(overrides)
    return TriageResult(**values)


@dataclass
class Hit:
    """A retrieved passage as claim-by-claim retrieval returns it: `claims` are the indexes of the
    comment's claims it best answers (knowledge.retrieval.Passage gains the same field)."""

    id: str
    answer: str
    lang: str | None = "fr"
    score: float = 0.7
    claims: tuple[int, ...] = ()
    collection: str = "faq"
    question: str = "?"
