"""Language of a comment: lingua built for French and English only, with a word-vote fallback."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from knowledge.triage.types import Lang

_FR_WORDS = frozenset(
    [
        "le",
        "la",
        "les",
        "un",
        "une",
        "des",
        "de",
        "du",
        "et",
        "est",
        "c",
        "ce",
        "je",
        "tu",
        "il",
        "on",
        "nous",
        "vous",
        "pas",
        "ne",
        "merci",
        "bonjour",
        "salut",
        "allo",
        "oui",
        "non",
        "avec",
        "pour",
        "mon",
        "ma",
        "mes",
        "ton",
        "ta",
        "votre",
        "vos",
        "pis",
        "ben",
        "chu",
        "tsé",
        "ça",
        "ca",
        "qui",
        "que",
        "quoi",
        "quand",
        "où",
        "comment",
        "pourquoi",
        "j'ai",
        "c'est",
        "bon",
        "très",
        "trop",
        "encore",
        "toujours",
    ]
)
_EN_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "is",
        "are",
        "i",
        "you",
        "he",
        "she",
        "we",
        "they",
        "my",
        "your",
        "our",
        "it",
        "this",
        "that",
        "not",
        "no",
        "yes",
        "thanks",
        "thank",
        "hi",
        "hello",
        "with",
        "for",
        "of",
        "to",
        "in",
        "on",
        "what",
        "when",
        "where",
        "how",
        "why",
        "i'm",
        "it's",
        "good",
        "very",
        "too",
        "still",
        "always",
        "love",
    ]
)
_WORD = re.compile(r"[a-zà-ÿ']+", re.IGNORECASE)
_MIN_CONFIDENCE = 0.75


@lru_cache(maxsize=1)
def _detector() -> Any:
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Language.FRENCH, Language.ENGLISH).build()


def _word_vote(text: str) -> Lang | None:
    words = [w.lower() for w in _WORD.findall(text)]
    fr = sum(w in _FR_WORDS for w in words) + sum(1 for c in text if c in "éèêàâçùûîôœ")
    en = sum(w in _EN_WORDS for w in words)
    if fr > en:
        return "fr"
    if en > fr:
        return "en"
    return None


def detect_lang(text: str, hint: str | None = None) -> Lang:
    """'fr', 'en' or 'other'. A caller's hint (the platform's own language tag) wins when it is fr/en."""
    if hint:
        short = hint.strip().lower()[:2]
        if short in ("fr", "en"):
            return "fr" if short == "fr" else "en"
    values = _detector().compute_language_confidence_values(text)
    best = values[0] if values else None
    if best is not None and best.value >= _MIN_CONFIDENCE:
        return "fr" if best.language.name == "FRENCH" else "en"
    vote = _word_vote(text)
    if vote is not None:
        return vote
    if best is not None and best.value > 0:
        return "fr" if best.language.name == "FRENCH" else "en"
    return "other"  # emoji-only or empty: nothing to go on
