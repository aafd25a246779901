"""Pure decisions: what kind of reply a comment calls for, and which passages it may use."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
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
# Volunteering a fact to an unhappy person in the main reply needs more certainty (a wrong one reads as a
# brush-off). Chosen on the real training sources (bench/real_drafting.py --part train): at +0.10 about
# 63 % of the volunteered answers are a right one, at +0.20 76 % but half as many complaints get one.
COMPLAINT_MARGIN = 0.10
# One reply answers at most this many claims (entries cited); more reads as a FAQ dump.
MAX_ANSWERS = 3
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


@dataclass
class Answers:
    """What a reply may answer, claim by claim: entries to quote, and entries only in the other language."""

    quoted: list[PassageLike] = field(default_factory=list)  # in the comment's language
    other_lang: list[PassageLike] = field(default_factory=list)  # flagged to the CM, offered to adapt

    @property
    def ids(self) -> list[str]:
        return [p.id for p in (*self.quoted, *self.other_lang)]


def claims_of(p: PassageLike) -> tuple[int, ...]:
    """The comment's claims this passage best answers (empty before claim-by-claim retrieval)."""
    return tuple(getattr(p, "claims", ()) or ())


def _stem(entry_id: str) -> str:
    # "order-tracking-fr" and "order-tracking" are one entry in two languages.
    return re.sub(r"[-_](fr|en)$", "", entry_id)


def choose_answers(
    passages: Sequence[PassageLike],
    lang: str,
    no_answer: bool | None = None,
    threshold: float | None = None,
    margin: float = 0.0,
    limit: int = MAX_ANSWERS,
) -> Answers:
    """The whole comment's best answer, then the best one for each further claim, `margin` above the line.

    A claim whose best entry exists only in the other language gets it flagged (never translated here).
    """
    line = DEFAULT_THRESHOLD if threshold is None else threshold
    out = Answers()
    taken: set[str] = set()

    def add(choice: AnswerChoice) -> None:
        if len(out.ids) >= limit:
            return
        if choice.passage is not None and choice.passage.score >= line + margin:
            pick, bucket = choice.passage, out.quoted
        elif choice.other_lang is not None and choice.other_lang.score >= line + margin:
            pick, bucket = choice.other_lang, out.other_lang
        else:
            return
        if _stem(pick.id) not in taken:
            bucket.append(pick)
            taken.add(_stem(pick.id))

    add(choose_answer(passages, lang, no_answer, threshold))
    faq = [p for p in passages if p.collection == "faq"]
    for claim in sorted({i for p in faq for i in claims_of(p)}):
        group = [p for p in faq if claim in claims_of(p)]
        add(choose_answer(group, lang, None, threshold))
    return out


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
