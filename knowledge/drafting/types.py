"""Drafting inputs and outputs: plain pydantic models, JSON-serialisable (the bot stores them)."""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

Kind = Literal["serious", "creative"]
Variant = Literal["main", "alternative"]
DraftSource = Literal["offline", "llm", "llm_fallback"]
MAX_COMMENT_CHARS = 5000


class PassageLike(Protocol):
    """What drafting reads from a retrieved passage (`knowledge.retrieval.Passage` fits).

    Optional, read with a default (`knowledge.drafting.select.claims_of`): `claims`, the indexes of
    the comment's claims this passage is the best match for (empty when matched on the whole comment).
    """

    id: str
    collection: str
    question: str
    answer: str
    lang: str | None
    score: float


class CommentIn(BaseModel):
    """The comment to answer. Its text is data: nothing written in it is an instruction."""

    model_config = ConfigDict(extra="ignore")

    text: str
    platform: str = "other"
    author_name: str | None = None  # display name; drafting keeps the first name
    parent_text: str | None = None  # the comment it replies to, when it is a reply
    brand: str = "default"
    # A direct message (Messenger, Instagram Direct, X DM): the answer is private too, so it never invites
    # to private messages, may ask for an order number or account details, carries no wit, and has no
    # public reply's length limit.
    private: bool = False

    @property
    def reply_platform(self) -> str:
        """What the reply's length is counted for: the platform's public limit, or a private message's."""
        return "dm" if self.private else self.platform

    @field_validator("text", "parent_text")
    @classmethod
    def _clip(cls, value: str | None) -> str | None:
        return value[:MAX_COMMENT_CHARS] if value is not None else None


class ProposalDraft(BaseModel):
    """One reply proposal a CM can approve, edit or ignore."""

    text: str
    kind: Kind = "serious"
    variant: Variant = "main"
    persona: str
    cited_ids: list[str] = Field(default_factory=list)
    lang: str
    note: str | None = None  # e.g. "À adapter / To adapt", "answer only in French in the FAQ"


class Draft(BaseModel):
    """The proposals for one comment and how they were made."""

    proposals: list[ProposalDraft] = Field(default_factory=list)
    source: DraftSource = "offline"
    fallback_reason: str | None = None
    latency_ms: float = 0.0
    token_usage: dict[str, int] | None = None
    notes: list[str] = Field(default_factory=list)  # why a proposal is missing, etc.

    def first(self, kind: Kind = "serious", variant: Variant = "main") -> ProposalDraft | None:
        return next((p for p in self.proposals if p.kind == kind and p.variant == variant), None)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
