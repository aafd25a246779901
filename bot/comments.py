"""Storing incoming comments: the generic comment shape and idempotent ingest."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import col

from bot.cases import audit
from bot.db import session_scope
from bot.models import Comment, Platform, State, utcnow

# Characters that occupy no space: a text made only of these and whitespace is empty to a reader.
_INVISIBLE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff\u00ad]+")
BRAND_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
MAX_TEXT_CHARS = 20_000


class Author(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=255)
    name: str = Field(min_length=1, max_length=255)


class CommentIn(BaseModel):
    """The generic comment JSON of DESIGN.md. Text is kept exactly as received (no normalisation)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    platform: Platform
    external_id: str = Field(min_length=1, max_length=255)
    brand: str = Field(default="default", pattern=BRAND_PATTERN)
    author: Author
    text: str = Field(max_length=MAX_TEXT_CHARS)
    post_id: str | None = Field(default=None, max_length=255)
    parent_id: str | None = Field(default=None, max_length=255)
    url: str | None = Field(default=None, max_length=2048)
    created_at: datetime | None = None

    @field_validator("text")
    @classmethod
    def _visible_text(cls, value: str) -> str:
        if not _INVISIBLE.sub("", value):
            raise ValueError("text is empty or only whitespace")
        return value

    @field_validator("external_id")
    @classmethod
    def _external_id(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("external_id is empty")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://\S+$", value):
            raise ValueError("url must be an http(s) URL")
        return value

    @field_validator("created_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)  # platforms send UTC; a naive time is taken as UTC
        return value


def _insert(engine: Engine) -> Any:
    return pg_insert if engine.dialect.name == "postgresql" else sqlite_insert


def ingest(engine: Engine, data: CommentIn, *, actor: str = "api") -> tuple[Comment, bool]:
    """Store a comment once. Returns (comment, created); the same external id again returns the
    stored comment and writes nothing — also when many identical requests race."""
    values: dict[str, Any] = {
        "brand": data.brand,
        "platform": data.platform.value,
        "external_id": data.external_id,
        "author_id": data.author.id,
        "author_name": data.author.name,
        "text": data.text,
        "post_id": data.post_id,
        "parent_id": data.parent_id,
        "url": data.url,
        "created_at": data.created_at,
        "received_at": utcnow(),
        "updated_at": utcnow(),
        "state": State.received.value,
        "attempts": 0,
    }
    key = (
        col(Comment.brand) == data.brand,
        col(Comment.platform) == data.platform.value,
        col(Comment.external_id) == data.external_id,
    )
    with session_scope(engine, write=True) as session:
        stmt = (
            _insert(engine)(Comment)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["brand", "platform", "external_id"])
            .returning(col(Comment.id))
        )
        new_id = session.execute(stmt).scalar_one_or_none()
        if new_id is not None:
            audit(
                session,
                brand=data.brand,
                actor=actor,
                action="received",
                comment_id=new_id,
                to_state=State.received.value,
                detail={"platform": data.platform.value},
            )
            return Comment.model_validate(values | {"id": new_id}), True  # just written: no need to read it back
        return session.execute(select(Comment).where(*key)).scalar_one(), False
