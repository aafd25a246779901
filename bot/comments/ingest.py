"""Storing incoming comments: the generic comment shape and idempotent ingest."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import col

from bot.db import connection_scope, session_scope
from bot.logs import current_request_id
from bot.models import AuditLog, Comment, Platform, State, utcnow

# Characters that occupy no space: a text made only of these and whitespace is empty to a reader.
_INVISIBLE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff\u00ad]+")
BRAND_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
MAX_TEXT_CHARS = 20_000
# What no database keeps: NUL (PostgreSQL refuses it in text) and lone UTF-16 surrogates (`"\ud800"` in
# JSON; they cannot be encoded to UTF-8). Shown as U+FFFD in what people wrote, refused in ids.
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")

log = logging.getLogger(__name__)


def storable_text(value: str) -> str:
    return _UNSTORABLE.sub("\ufffd", value)


def storable_id(value: str | None) -> str | None:
    if value is not None and _UNSTORABLE.search(value):
        raise ValueError("holds NUL or an unpaired surrogate")
    return value


class Author(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=255)
    name: str = Field(min_length=1, max_length=255)

    @field_validator("name", mode="before")
    @classmethod
    def _storable_name(cls, value: object) -> object:
        return storable_text(value) if isinstance(value, str) else value

    @field_validator("id")
    @classmethod
    def _storable_id(cls, value: str) -> str:
        storable_id(value)
        return value


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

    @field_validator("text", mode="before")
    @classmethod
    def _storable_text(cls, value: object) -> object:
        return storable_text(value) if isinstance(value, str) else value

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

    @field_validator("external_id", "post_id", "parent_id")
    @classmethod
    def _storable_ids(cls, value: str | None) -> str | None:
        return storable_id(value)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s\x00\ud800-\udfff]+$", value):
            raise ValueError("url must be an http(s) URL")
        return value

    @field_validator("created_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)  # platforms send UTC; a naive time is taken as UTC
        try:
            value = value.astimezone(UTC)
        except OverflowError:  # 9999-12-31T23:59-14:00 is past the last datetime
            return None
        # A time no platform sends (before 2000 or centuries ahead) is no time: the received time is used.
        return value if 2000 <= value.year <= 2999 else None


class Attachment(BaseModel):
    """A message attachment as a link: Slack shows the link, Sowana never fetches the file."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(default="file", max_length=32)  # image | video | audio | file | sticker | share …
    url: str | None = Field(default=None, max_length=2048)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return CommentIn._url(value)


class MessageIn(BaseModel):
    """A direct message to a brand account (Messenger, Instagram Direct, X DM), as parsed from the
    platform (#24). `author` is the sender in the platform's messaging ids (PSID, IGSID, X user id)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    platform: Platform
    external_id: str = Field(min_length=1, max_length=255)  # Messenger/Instagram `mid`, X dm event id
    brand: str = Field(default="default", pattern=BRAND_PATTERN)
    account_id: str | None = Field(default=None, max_length=255)  # the brand's page / IG account / X account
    author: Author
    text: str = Field(default="", max_length=MAX_TEXT_CHARS)
    attachments: list[Attachment] = Field(default_factory=list, max_length=20)
    conversation_id: str | None = Field(default=None, max_length=255)  # X dm_conversation_id
    created_at: datetime | None = None

    _storable_text = field_validator("text", mode="before")(CommentIn._storable_text.__func__)  # type: ignore[attr-defined]
    _aware = field_validator("created_at")(CommentIn._aware.__func__)  # type: ignore[attr-defined]

    @field_validator("external_id", "account_id", "conversation_id")
    @classmethod
    def _storable_ids(cls, value: str | None) -> str | None:
        return storable_id(value)

    @model_validator(mode="after")
    def _something_said(self) -> MessageIn:
        if not self.attachments and not _INVISIBLE.sub("", self.text):
            raise ValueError("a message needs text or an attachment")
        return self


@cache
def _statements(dialect: str) -> tuple[Any, Any, Any]:
    """(insert comment once, insert its audit row, read the stored one), built once per dialect: a
    statement built per request costs more than the database's own work (bench/ingest.py)."""
    table, log = Comment.__table__, AuditLog.__table__  # type: ignore[attr-defined]
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    store = (
        insert(table).on_conflict_do_nothing(index_elements=["brand", "platform", "external_id"]).returning(table.c.id)
    )
    stored = select(Comment).where(
        col(Comment.brand) == bindparam("brand"),
        col(Comment.platform) == bindparam("platform"),
        col(Comment.external_id) == bindparam("external_id"),
    )
    return store, log.insert(), stored


def ingest(engine: Engine, data: CommentIn, *, actor: str = "api") -> tuple[Comment, bool]:
    """Store a comment once, committed before this returns. Returns (comment, created); the same
    external id again returns the stored comment and writes nothing — also when many identical
    requests race."""
    now = utcnow()
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
        "received_at": now,
        "updated_at": now,
        "state": State.received.value,
        "attempts": 0,
        "lease_owner": None,
        "lease_until": None,
        "request_id": current_request_id(),  # its later log lines (worker, outbox) carry it again
    }
    store, audit_row, stored = _statements(engine.dialect.name)
    with connection_scope(engine, write=True) as conn:
        new_id = conn.execute(store, values).scalar_one_or_none()
        if new_id is not None:
            conn.execute(
                audit_row,
                {
                    "brand": data.brand,
                    "comment_id": new_id,
                    "actor": actor,
                    "action": "received",
                    "from_state": None,
                    "to_state": State.received.value,
                    "detail": {"platform": data.platform.value},
                    "created_at": now,
                },
            )
    if new_id is not None:
        log.info("comment %d stored (%s, %s)", new_id, data.brand, data.platform.value)  # ids only, never text
        return Comment(**values, id=new_id), True  # just written: no need to read it back
    with session_scope(engine) as session:
        key = {"brand": data.brand, "platform": data.platform.value, "external_id": data.external_id}
        return session.execute(stored, key).scalar_one(), False
