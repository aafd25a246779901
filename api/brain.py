"""Wiring `knowledge/` (triage, retrieval, drafting, personas) into the bot's hooks.

Each builder returns None when its part is not available, and the pipeline says so explicitly
(e.g. the "not yet triaged" marker) instead of inventing results.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.models import Comment
from bot.pipeline import Classify, Drafter
from bot.services import KbHit, PersonaInfo
from bot.settings import Settings


@dataclass
class Brain:
    classify: Classify | None = None
    drafter: Drafter | None = None
    kb_search: Callable[[str, str], Sequence[KbHit]] | None = None
    on_correction: Callable[[str, dict[str, Any]], None] | None = None
    personas: Callable[[], Sequence[PersonaInfo]] = field(default=tuple)
    default_persona: str = "informatif"


def build_brain(settings: Settings) -> Brain:
    return Brain()


def comment_text(comment: Comment) -> str:
    return comment.text
