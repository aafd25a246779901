"""Pure decisions: what kind of reply a comment calls for, and which passages it may use."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from knowledge.drafting.guard import looks_like_injection
from knowledge.drafting.types import PassageLike

Situation = Literal[
    "spam", "private_data", "distress", "toxic", "complaint", "injection", "question", "banter", "praise", "other"
]
try:  # the retriever's calibrated "nothing good enough" line, when it is there
    from knowledge.retrieval import THRESHOLDS as _THRESHOLDS

    DEFAULT_THRESHOLD = float(_THRESHOLDS.get("hybrid", 0.28))
except ImportError:  # pragma: no cover - retrieval is part of the package
    DEFAULT_THRESHOLD = 0.28
# A passage this far above the line may be volunteered even when nobody asked a question.
STRONG_MARGIN = 0.10
# Volunteering a fact to an unhappy person needs more certainty still (a wrong one reads as a brush-off).
COMPLAINT_MARGIN = 0.20
# Passages this close under the line are offered as an "uncertain match" alternative, never as the main reply.
GRAY_MARGIN = 0.08
# The FAQ is bilingual: a passage in the comment's language this close to the best one says the same thing.
SAME_MEANING_MARGIN = 0.10
# A past viral answer under this score is unrelated, not inspiration.
VIRAL_MIN_SCORE = 0.20
_SELF_HARM = re.compile(
    r"suicid|me tuer|me suicider|en finir|plus envie de vivre|kill myself|end it all|want to die|envie de mourir"
    r"|self[- ]harm|me faire du mal|hurt myself",
    re.IGNORECASE,
)


def situation(triage: Any, text: str) -> Situation:
    """The reply the comment calls for, from the triage (first match wins, safest first)."""
    intent = triage.intent
    if intent == "spam":
        return "spam"
    if getattr(triage, "private_followup", False) or getattr(triage, "moderation_reason", None) == "personal_data":
        return "private_data"
    if intent == "distress":
        return "distress"
    if getattr(triage, "moderation_reason", None) == "injection" or looks_like_injection(text):
        return "injection"
    if intent == "toxic":
        return "toxic"
    if intent == "complaint" or (triage.needs_sac and intent != "question"):
        return "complaint"
    if intent in ("question", "banter", "praise"):
        return intent  # type: ignore[no-any-return]
    return "other"


def mentions_self_harm(text: str) -> bool:
    return bool(_SELF_HARM.search(text))


@dataclass
class AnswerChoice:
    """The FAQ passage a reply may rest on, and how sure we are of it."""

    passage: PassageLike | None = None  # in the comment's language, good enough to answer
    uncertain: PassageLike | None = None  # in the comment's language, just under the line
    other_lang: PassageLike | None = None  # good enough, but only in the other language

    @property
    def score(self) -> float:
        return self.passage.score if self.passage is not None else 0.0


def _lang_ok(p: PassageLike, lang: str) -> bool:
    return p.lang is None or p.lang == lang


def choose_answer(
    passages: Sequence[PassageLike], lang: str, no_answer: bool | None = None, threshold: float | None = None
) -> AnswerChoice:
    """Best FAQ passage in the comment's language (never a translation of the other one)."""
    line = DEFAULT_THRESHOLD if threshold is None else threshold
    faq = sorted((p for p in passages if p.collection == "faq"), key=lambda p: -p.score)
    if not faq:
        return AnswerChoice()
    best = faq[0]
    unanswerable = best.score < line if no_answer is None else no_answer
    same = next((p for p in faq if _lang_ok(p, lang)), None)
    if unanswerable:
        if same is not None and same.score >= line - GRAY_MARGIN:
            return AnswerChoice(uncertain=same)
        return AnswerChoice()
    if same is not None and same.score >= best.score - SAME_MEANING_MARGIN and same.score >= line:
        return AnswerChoice(passage=same)
    return AnswerChoice(other_lang=best)


def is_strong(choice: AnswerChoice, threshold: float | None = None, margin: float = STRONG_MARGIN) -> bool:
    """Good enough to volunteer in a reply to someone who did not ask a question."""
    line = DEFAULT_THRESHOLD if threshold is None else threshold
    return choice.passage is not None and choice.passage.score >= line + margin


def choose_viral(passages: Sequence[PassageLike], lang: str) -> PassageLike | None:
    """Nearest past viral answer in the comment's language, if it is related at all."""
    viral = sorted((p for p in passages if p.collection == "viral" and _lang_ok(p, lang)), key=lambda p: -p.score)
    return viral[0] if viral and viral[0].score >= VIRAL_MIN_SCORE else None


def humor_allowed(triage: Any, persona_humor: int, sit: Situation) -> bool:
    """Wit only when triage says it is safe, the persona has some, and nothing hints otherwise.

    Negative banter stays eligible: the seed's mocking-but-civil customer is exactly who wit is for.
    """
    if not triage.humor_ok or persona_humor <= 0:
        return False
    if getattr(triage, "humor_off_reasons", None):
        return False
    return sit in ("banter", "praise", "question", "other") and not triage.needs_sac
