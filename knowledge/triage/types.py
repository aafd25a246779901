"""Triage input and result: plain pydantic models, JSON-serialisable (the bot stores results as JSON)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Lang = Literal["fr", "en", "other"]
Intent = Literal["question", "complaint", "banter", "praise", "spam", "toxic", "distress", "other"]
Sentiment = Literal["neg", "neu", "pos"]
Moderation = Literal["none", "hide", "review"]
Priority = Literal["normal", "high", "urgent"]
Source = Literal["offline", "llm", "llm_fallback"]

INTENTS: tuple[Intent, ...] = (
    "question",
    "complaint",
    "banter",
    "praise",
    "spam",
    "toxic",
    "distress",
    "other",
)
SENTIMENTS: tuple[Sentiment, ...] = ("neg", "neu", "pos")
MODERATIONS: tuple[Moderation, ...] = ("none", "hide", "review")

# Keys a reviewer may correct (Triager.add_correction).
CORRECTABLE = ("intent", "sentiment", "needs_sac", "humor_ok", "moderation")

MAX_TEXT_CHARS = 5000  # a public comment longer than this is cut, never rejected


class TriageInput(BaseModel):
    """One public comment to triage. `text` is data, never instructions."""

    model_config = ConfigDict(extra="ignore")

    text: str
    platform: str = "other"
    lang: str | None = None
    parent_text: str | None = None
    author_name: str | None = None
    engagement: dict[str, Any] | None = None

    @field_validator("text")
    @classmethod
    def _clip(cls, value: str) -> str:
        return value[:MAX_TEXT_CHARS]


class TriageResult(BaseModel):
    """How a careful community manager would read the comment before anyone drafts a reply."""

    lang: Lang
    intent: Intent
    sentiment: Sentiment
    needs_sac: bool
    humor_ok: bool
    humor_off_reasons: list[str] = Field(default_factory=list)
    moderation: Moderation = "none"
    moderation_reason: str | None = None
    private_followup: bool = False
    priority: Priority = "normal"
    priority_reasons: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    confidence: float = Field(ge=0.0, le=1.0)
    source: Source = "offline"
