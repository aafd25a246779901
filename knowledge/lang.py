"""Language identification for French and English, one detector for the whole package.

lingua is built for these two languages only: faster, and right on short texts ("Merci!") where
the all-languages detector is wrong. `detect_lang` is the plain call (knowledge entries, replies);
`comment_lang` is triage's: the platform's own tag wins, and a short or mixed comment lingua is
unsure of is settled by a vote of common words.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Literal

_LETTER = re.compile(r"[^\W\d_]")
CommentLang = Literal["fr", "en", "other"]
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
def detector() -> Any:
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Language.FRENCH, Language.ENGLISH).build()


def detect_lang(text: str) -> str | None:
    """'fr', 'en', or None when the text has no letters to judge by (emoji only)."""
    if not _LETTER.search(text):
        return None
    found = detector().detect_language_of(text)
    return None if found is None else ("fr" if found.name == "FRENCH" else "en")


def _word_vote(text: str) -> CommentLang | None:
    words = [w.lower() for w in _WORD.findall(text)]
    fr = sum(w in _FR_WORDS for w in words) + sum(1 for c in text if c in "éèêàâçùûîôœ")
    en = sum(w in _EN_WORDS for w in words)
    if fr > en:
        return "fr"
    if en > fr:
        return "en"
    return None


def comment_lang(text: str, hint: str | None = None) -> CommentLang:
    """'fr', 'en' or 'other'. A caller's hint (the platform's own language tag) wins when it is fr/en."""
    if hint:
        short = hint.strip().lower()[:2]
        if short in ("fr", "en"):
            return "fr" if short == "fr" else "en"
    values = detector().compute_language_confidence_values(text)
    best = values[0] if values else None
    if best is not None and best.value >= _MIN_CONFIDENCE:
        return "fr" if best.language.name == "FRENCH" else "en"
    vote = _word_vote(text)
    if vote is not None:
        return vote
    if best is not None and best.value > 0:
        return "fr" if best.language.name == "FRENCH" else "en"
    return "other"  # emoji-only or empty: nothing to go on
