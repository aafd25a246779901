"""Language identification for French and English, one detector for the whole package.

lingua is built for these two languages only: faster, and right on short texts ("Merci!") where
the all-languages detector is wrong.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_LETTER = re.compile(r"[^\W\d_]")


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
