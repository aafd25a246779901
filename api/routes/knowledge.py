"""`/api/knowledge`: list, get, upsert, delete and search the brand knowledge base."""

from __future__ import annotations

import math
import threading
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, Field, field_validator

from api.deps import Context, require_api_token
from bot.brain import build_retriever
from knowledge.loaders import detect_lang, slugify
from knowledge.retrieval import Passage, Retriever
from knowledge.store import Entry, KnowledgeError, KnowledgeStore, ModelMismatchError, open_store

router = APIRouter(prefix="/api/knowledge", tags=["knowledge"], dependencies=[Depends(require_api_token)])
_lock = threading.Lock()
Kind = Literal["faq", "viral", "replies"]
MetaValue = str | int | float | bool
MAX_META_KEYS = 50


def _storable(text: str) -> bool:
    """No NUL, and encodable as UTF-8 (JSON's `"\\ud800"` decodes to an unpaired surrogate, which is not)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def get_knowledge_store(context: Context) -> KnowledgeStore:
    """The app's knowledge store if it set one; else opened once from its settings."""
    store = context.knowledge
    if store is None:
        with _lock:
            store = context.knowledge
            if store is None:
                settings = context.settings
                store = open_store(settings.chroma_path, settings.chroma_url, **settings.chroma_client())
                context.knowledge = store
    return store


def get_retriever(context: Context, store: KnowledgeStore = Depends(get_knowledge_store)) -> Retriever:
    retriever = context.knowledge_retriever
    if retriever is None or retriever.store is not store:
        retriever = build_retriever(context.settings, store)
        context.knowledge_retriever = retriever
    return retriever


class EntryIn(BaseModel):
    id: str | None = Field(default=None, min_length=1, max_length=200)
    question: str = Field(default="", max_length=5000)
    answer: str = Field(min_length=1, max_length=20000)
    lang: str | None = Field(default=None, pattern=r"^[a-z]{2}$")
    collection: Kind = "faq"
    meta: dict[str, MetaValue] = Field(default_factory=dict)

    @field_validator("answer")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("id", "question", "answer")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("must not hold NUL")
        return value

    @field_validator("meta")
    @classmethod
    def _storable_meta(cls, value: dict[str, MetaValue]) -> dict[str, MetaValue]:
        """What Chroma keeps as metadata (it refuses an empty key, for one): checked here, answered 422."""
        if len(value) > MAX_META_KEYS:
            raise ValueError(f"at most {MAX_META_KEYS} keys")
        for key, item in value.items():
            if not key.strip() or len(key) > 64 or not _storable(key) or key.startswith("chroma:"):
                raise ValueError("keys are 1 to 64 characters, without NUL, not starting with 'chroma:'")
            if isinstance(item, float) and not math.isfinite(item):
                raise ValueError("numbers must be finite")
            if isinstance(item, int) and not isinstance(item, bool) and not -(2**63) <= item < 2**63:
                raise ValueError("integers must fit in 64 bits")
            if isinstance(item, str) and (len(item) > 2000 or not _storable(item)):
                raise ValueError("texts are at most 2,000 characters, without NUL")
        return value


class EntryOut(BaseModel):
    id: str
    brand: str
    collection: str
    question: str
    answer: str
    lang: str | None
    meta: dict[str, MetaValue]

    @classmethod
    def of(cls, entry: Entry, brand: str) -> EntryOut:
        return cls(
            id=entry.id,
            brand=brand,
            collection=entry.kind,
            question=entry.question,
            answer=entry.answer,
            lang=entry.lang,
            meta=entry.meta,
        )


class EntryList(BaseModel):
    brand: str
    total: int
    offset: int
    limit: int
    items: list[EntryOut]


class PassageOut(BaseModel):
    id: str
    collection: str
    question: str
    answer: str
    lang: str | None
    score: float
    vector_score: float | None
    keyword_score: float | None
    source: dict[str, MetaValue]

    @classmethod
    def of(cls, p: Passage) -> PassageOut:
        return cls(**{name: getattr(p, name) for name in cls.model_fields})


class SearchOut(BaseModel):
    passages: list[PassageOut]
    no_answer: bool
    threshold: float
    mode: str


def _refuse_mismatch(exc: KnowledgeError) -> HTTPException:
    code = status.HTTP_409_CONFLICT if isinstance(exc, ModelMismatchError) else status.HTTP_400_BAD_REQUEST
    return HTTPException(code, str(exc))


Store = Annotated[KnowledgeStore, Depends(get_knowledge_store)]


@router.get("/search", response_model=SearchOut)
def search(
    retriever: Annotated[Retriever, Depends(get_retriever)],
    q: Annotated[str, Query(min_length=1, max_length=2000)],
    brand: str = "default",
    lang: Annotated[str | None, Query(pattern=r"^[a-z]{2}$")] = None,
    k: Annotated[int, Query(ge=1, le=50)] = 5,
    mode: Literal["hybrid", "vector", "keyword"] = "hybrid",
) -> SearchOut:
    try:
        result = retriever.search(brand, q, k=k, lang=lang, mode=mode)
    except KnowledgeError as exc:
        raise _refuse_mismatch(exc) from None
    return SearchOut(
        passages=[PassageOut.of(p) for p in result.passages],
        no_answer=result.no_answer,
        threshold=result.threshold,
        mode=result.mode,
    )


@router.get("", response_model=EntryList)
def list_entries(
    store: Store,
    brand: str = "default",
    collection: Kind | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> EntryList:
    try:
        total = store.count(brand, collection)
        items = store.list(brand, collection, offset=offset, limit=limit)
    except KnowledgeError as exc:
        raise _refuse_mismatch(exc) from None
    return EntryList(brand=brand, total=total, offset=offset, limit=limit, items=[EntryOut.of(e, brand) for e in items])


@router.get("/{entry_id}", response_model=EntryOut)
def get_entry(store: Store, entry_id: str, brand: str = "default", collection: Kind | None = None) -> EntryOut:
    try:
        entry = store.get(brand, entry_id, collection)
    except KnowledgeError as exc:
        raise _refuse_mismatch(exc) from None
    if entry is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no entry {entry_id!r} in brand {brand!r}")
    return EntryOut.of(entry, brand)


def _upsert(store: KnowledgeStore, body: EntryIn, brand: str, entry_id: str | None) -> EntryOut:
    new_id = entry_id or body.id or slugify(body.question or body.answer)
    if not new_id:
        raise HTTPException(422, "no id and nothing to derive one from")
    if body.collection != "replies" and not body.question.strip():
        raise HTTPException(422, "question is required outside 'replies'")
    entry = Entry(
        id=new_id,
        question=body.question.strip(),
        answer=body.answer.strip(),
        lang=body.lang or detect_lang(f"{body.question}\n{body.answer}"),
        kind=body.collection,
        meta={k: v for k, v in body.meta.items() if k not in {"question", "answer", "lang", "kind", "brand"}},
    )
    try:
        store.upsert(brand, [entry])
    except KnowledgeError as exc:
        raise _refuse_mismatch(exc) from None
    return EntryOut.of(entry, brand)


@router.post("", response_model=EntryOut, status_code=status.HTTP_201_CREATED)
def create_entry(store: Store, body: EntryIn, brand: str = "default") -> EntryOut:
    """Upsert an entry; its id comes from the body (or is derived from the question)."""
    return _upsert(store, body, brand, None)


@router.put("/{entry_id}", response_model=EntryOut)
def put_entry(store: Store, entry_id: str, body: EntryIn, brand: str = "default") -> EntryOut:
    if body.id is not None and body.id != entry_id:
        raise HTTPException(422, "the body's id differs from the URL's")
    return _upsert(store, body, brand, entry_id)


@router.delete("/{entry_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_entry(store: Store, entry_id: str, brand: str = "default", collection: Kind | None = None) -> None:
    try:
        found = store.delete(brand, entry_id, collection)
    except KnowledgeError as exc:
        raise _refuse_mismatch(exc) from None
    if not found:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no entry {entry_id!r} in brand {brand!r}")
