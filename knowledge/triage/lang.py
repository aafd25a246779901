"""Language of a comment for triage: the package's one detector (knowledge.lang)."""

from __future__ import annotations

from knowledge.lang import comment_lang as detect_lang

__all__ = ["detect_lang"]
