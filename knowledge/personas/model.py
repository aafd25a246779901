"""The persona a reply is written in: register, humour, emoji, greeting and signature per language."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Register = Literal["tu", "vous"]
EmojiPolicy = Literal["none", "light", "free"]
LANGS = ("fr", "en")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# Phrases the offline composer uses; a persona may reword any of them (per language).
PHRASE_KEYS = frozenset(
    {
        "more_help",
        "short_close",
        "thanks",
        "praise",
        "banter",
        "sorry",
        "sac_handoff",
        "dm_invite",
        "dm_short",
        "distress",
        "distress_close",
        "distress_short",
        "praise_short",
        "sorry_short",
        "calm",
        "private_data",
        "neutral",
    }
)
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\U0001f000-\U0001f2ff]")


class PerLang(BaseModel):
    """One text per language; both French and English are required."""

    model_config = ConfigDict(extra="forbid")

    fr: str
    en: str

    def get(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en


class ExampleReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lang: Literal["fr", "en"]
    comment: str = ""
    reply: str = Field(min_length=1)


class Quip(BaseModel):
    """A light line of the persona's own for a kind of comment, when no example or viral answer is closer.

    Brand-neutral (it names no product, price or policy): the facts of a creative reply still come from
    the FAQ."""

    model_config = ConfigDict(extra="forbid")

    lang: Literal["fr", "en"]
    situation: Literal["banter", "praise", "question", "other"]
    text: str = Field(min_length=1, max_length=200)


class Persona(BaseModel):
    """A persona as written in its YAML file."""

    # `register` is the YAML key; the attribute is `tu_vous` (pydantic's BaseModel already has `register`).
    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    name: str
    description: PerLang
    tu_vous: Register = Field(default="vous", alias="register")  # French only: English has one "you"
    humor: int = Field(default=0, ge=0, le=3)  # 0 none … 3 bold
    emoji: EmojiPolicy = "none"
    greeting: PerLang  # "{name}" is replaced by the author's first name (or dropped)
    signature: PerLang | None = None
    avoid: list[str] = Field(default_factory=list)
    examples: list[ExampleReply] = Field(default_factory=list)
    quips: list[Quip] = Field(default_factory=list)
    phrases: dict[str, PerLang] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME_RE.match(value):
            raise ValueError("must be lower-case letters, digits, '-' or '_' (e.g. informatif)")
        return value

    @field_validator("phrases")
    @classmethod
    def _phrases(cls, value: dict[str, PerLang]) -> dict[str, PerLang]:
        unknown = sorted(set(value) - PHRASE_KEYS)
        if unknown:
            raise ValueError(f"unknown phrase {', '.join(unknown)}; known: {', '.join(sorted(PHRASE_KEYS))}")
        return value

    @field_validator("avoid")
    @classmethod
    def _avoid(cls, value: list[str]) -> list[str]:
        return [w.strip() for w in value if w.strip()]

    @model_validator(mode="after")
    def _emoji_consistent(self) -> Persona:
        if self.emoji == "none":
            texts = [self.greeting.fr, self.greeting.en]
            if self.signature:
                texts += [self.signature.fr, self.signature.en]
            if any(_EMOJI.search(t) for t in texts):
                raise ValueError("emoji is 'none' but the greeting or signature contains an emoji")
        return self

    @property
    def allows_humor(self) -> bool:
        return self.humor > 0

    def describe(self, lang: str) -> str:
        return self.description.get(lang)
