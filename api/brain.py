"""Wiring `knowledge/` (triage, retrieval, drafting, personas) into the bot's hooks.

Each part is built once per process. The pipeline only runs the steps whose part exists.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.db import session_scope
from bot.models import Comment, TriageCorrection
from bot.pipeline import Classify, Drafter
from bot.services import KbHit, PersonaInfo
from bot.settings import Settings, SettingsError

log = logging.getLogger(__name__)


@dataclass
class Brain:
    classify: Classify | None = None
    drafter: Drafter | None = None
    kb_search: Callable[[str, str], Sequence[KbHit]] | None = None
    on_correction: Callable[[str, dict[str, Any]], None] | None = None
    personas: Callable[[], Sequence[PersonaInfo]] = field(default=tuple)
    default_persona: str = "informatif"


def chat_model(settings: Settings) -> Any | None:
    """The LangChain chat model for SOWANA_LLM, or None offline. A missing provider package stops start-up."""
    if settings.llm == "offline":
        return None
    from knowledge.triage import make_chat_model

    try:
        return make_chat_model(settings.llm)
    except (RuntimeError, ValueError) as exc:
        raise SettingsError(f"SOWANA_LLM: {exc}") from None


def parent_text(engine: Engine, comment: Comment) -> str | None:
    if not comment.parent_id:
        return None
    with session_scope(engine) as s:
        parent = s.exec(
            select(Comment).where(
                col(Comment.brand) == comment.brand,
                col(Comment.platform) == comment.platform,
                col(Comment.external_id) == comment.parent_id,
            )
        ).first()
        return parent.text if parent else None


def build_triage(engine: Engine, llm: Any | None) -> tuple[Classify, Callable[[str, dict[str, Any]], None]]:
    from knowledge.triage import TriageInput, Triager

    with session_scope(engine) as s:  # corrections the team made before this start
        corrections = [{"text": c.text, "labels": c.labels} for c in s.exec(select(TriageCorrection)).all()]
    triager = Triager(extra_examples=corrections)
    if llm is not None:
        triager = triager.with_llm(llm)

    def classify(comment: Comment) -> tuple[dict[str, Any], str]:
        result = triager.triage(
            TriageInput(
                text=comment.text,
                platform=comment.platform,
                author_name=comment.author_name,
                parent_text=parent_text(engine, comment),
            )
        )
        return result.model_dump(mode="json"), result.source

    def learn(text: str, labels: dict[str, Any]) -> None:
        triager.add_correction(text, labels)

    return classify, learn


def build_personas() -> Callable[[], Sequence[PersonaInfo]]:
    from knowledge.personas.loader import load_personas

    loaded = load_personas()
    infos = [PersonaInfo(name=p.name, description=p.describe("fr"), humor=p.humor) for p in loaded.values()]
    return lambda: infos


def build_brain(settings: Settings, engine: Engine) -> Brain:
    llm = chat_model(settings)
    classify, learn = build_triage(engine, llm)
    return Brain(classify=classify, on_correction=learn, personas=build_personas())
