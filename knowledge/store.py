"""The brand knowledge base in Chroma: one collection per brand and kind (faq, viral, replies).

Chroma never embeds anything itself (its default model downloads weights): every write and
query carries vectors computed by our `Embedder`. Each collection records the model that
built it and how an entry's vector was made (`vector_recipe`); opening it with another recipe
raises `ModelMismatchError` until `reindex` runs.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from knowledge.embeddings import Embedder, get_embedder

KINDS = ("faq", "viral", "replies")
COUNT_TTL = 2.0  # seconds a collection size is trusted (see KnowledgeStore._size)
REVISION_TTL = 1.0  # seconds a brand's shared revision is trusted (see KnowledgeStore.revision)
# The brands' revisions live in Chroma itself, in this small collection (one record per brand):
# every process that reads the knowledge reaches the same Chroma, and `knowledge` stays free of the
# bot's database. Its name has no "__", so it is never taken for a brand's collection.
REVISIONS = "sowana-revisions"
MetaValue = str | int | float | bool
# Keys the store writes itself; everything else in `Entry.meta` is the source's (platform, url, likes…).
_RESERVED = {"question", "answer", "lang", "kind", "brand"}
# HNSW: cosine space; ef_search above Chroma's default keeps recall ~1.0 at 10k entries (bench/retrieval.py).
HNSW_CONFIG: dict[str, Any] = {"hnsw": {"space": "cosine", "ef_search": 128, "ef_construction": 128}}
_SEP = "__"
# An entry's vector blends two views: its answer, plus its question at this weight. The question
# is phrased like what people write, the answer carries the facts; embedding them apart costs no
# more than embedding the whole text once. Chosen with bench/fit_retrieval.py on
# bench/retrieval_train/ (never the dev or held-out sets).
QUESTION_WEIGHT = 1.0
ENTRY_VECTOR = f"answer+{QUESTION_WEIGHT:g}*question"


def embed_views(embedder: Embedder, entries: Sequence[Entry]) -> tuple[np.ndarray, np.ndarray]:
    """The embeddings of the entries' answers and of their questions (zero rows where empty), in one batch."""
    n = len(entries)
    views = [(i, e.answer) for i, e in enumerate(entries) if e.answer.strip()]
    views += [(n + i, e.question) for i, e in enumerate(entries) if e.question.strip()]
    vectors = np.zeros((2 * n, embedder.dim), dtype=np.float32)
    if views:
        vectors[[row for row, _ in views]] = embedder.embed([text for _, text in views])
    return vectors[:n], vectors[n:]


def blend_views(answers: np.ndarray, questions: np.ndarray, weight: float = QUESTION_WEIGHT) -> np.ndarray:
    """Entry vectors from the embeddings of their answers and of their questions (zero rows: none).

    One stored vector scores like cos(answer) + weight x cos(question), up to a near-constant norm,
    so the blend costs no second collection and no extra work at query time.
    """
    vectors = answers + weight * questions
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class KnowledgeError(Exception):
    """Base class for knowledge-base errors shown to users."""


class ModelMismatchError(KnowledgeError):
    """A collection was built with another embedding model than the current one."""


class StoreInUseError(KnowledgeError):
    """The embedded store is open in another process: Chroma's embedded mode is one process only."""


# Embedded stores this process holds, by folder: the lock file stays open (and locked) for the
# process's life. A POSIX record lock (fcntl.lockf) belongs to the process, so a process may open one
# folder several times (the API and the brain do) while any other process is refused; the kernel drops
# it when the process dies, even by SIGKILL, so no stale lock file ever needs cleaning. Own code rather
# than a library: no locking library is a direct dependency, and this is a dozen lines.
_HELD: dict[str, int] = {}
_HELD_LOCK = threading.Lock()
LOCK_FILE = ".sowana.lock"


def lock_embedded(chroma_path: str) -> None:
    """Take the embedded store at `chroma_path` for this process, or raise StoreInUseError."""
    import fcntl
    import os

    folder = os.path.realpath(chroma_path)
    with _HELD_LOCK:
        if folder in _HELD:
            return
        os.makedirs(folder, exist_ok=True)
        fd = os.open(os.path.join(folder, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StoreInUseError(
                f"la base de connaissances intégrée {chroma_path} est ouverte par un autre processus "
                "(sowana serve ?) : arrêtez-le, ou utilisez un serveur Chroma (SOWANA_CHROMA_URL) ou "
                "l'API /api/knowledge · the embedded knowledge store at "
                f"{chroma_path} is open in another process (sowana serve?): stop it, or use a Chroma "
                "server (SOWANA_CHROMA_URL) or the /api/knowledge API"
            ) from None
        _HELD[folder] = fd


@dataclass
class Entry:
    """One knowledge item: a FAQ question and its answer, a past viral reply, or an approved reply."""

    id: str
    question: str
    answer: str
    lang: str | None = None
    kind: str = "faq"
    brand: str | None = None
    meta: dict[str, MetaValue] = field(default_factory=dict)

    @property
    def text(self) -> str:
        # What the keyword index reads and Chroma stores as the document (vectors: `blend_views`).
        return f"{self.question}\n{self.answer}".strip()


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise KnowledgeError(f"unknown collection {kind!r}; expected one of {', '.join(KINDS)}")
    return kind


def sanitize_brand(brand: str) -> str:
    """The brand as Chroma accepts it in a collection name ([a-zA-Z0-9._-], alphanumeric ends)."""
    cleaned = re.sub(r"[^a-zA-Z0-9._-]+", "-", brand.strip().lower()).strip("._-")
    cleaned = cleaned.replace(_SEP, "-")  # keep our separator unambiguous
    if not cleaned:
        raise KnowledgeError(f"brand {brand!r} has no usable characters (letters, digits, . _ -)")
    return cleaned[:200]


def collection_name(brand: str, kind: str) -> str:
    return f"{sanitize_brand(brand)}{_SEP}{_check_kind(kind)}"


def _entry_metadata(entry: Entry, brand: str) -> dict[str, MetaValue]:
    meta: dict[str, MetaValue] = {
        k: v for k, v in entry.meta.items() if v is not None and k not in _RESERVED and v != ""
    }
    meta.update(question=entry.question, answer=entry.answer, kind=entry.kind, brand=brand)
    if entry.lang:
        meta["lang"] = entry.lang
    return meta


def entry_from_record(entry_id: str, meta: dict[str, Any] | None) -> Entry:
    meta = dict(meta or {})
    question = str(meta.pop("question", ""))
    answer = str(meta.pop("answer", ""))
    lang = meta.pop("lang", None)
    kind = str(meta.pop("kind", "faq"))
    brand = meta.pop("brand", None)
    return Entry(
        id=entry_id,
        question=question,
        answer=answer,
        lang=str(lang) if lang else None,
        kind=kind,
        brand=str(brand) if brand else None,
        meta=meta,
    )


def _is_missing(exc: Exception) -> bool:
    text = str(exc).lower()
    return "does not exist" in text or "not found" in text


_F = TypeVar("_F", bound=Callable[..., Any])


def _retry_stale(method: _F) -> _F:
    """Retry once with fresh handles when a cached collection vanished (another process reindexed)."""

    @functools.wraps(method)
    def wrapper(self: KnowledgeStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except ModelMismatchError:
            raise
        except Exception as exc:
            if not _is_missing(exc) or not self._handles:
                raise
            self._handles.clear()
            self._sizes.clear()
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class KnowledgeStore:
    """Per-brand collections in a Chroma client (embedded or server), written with our own vectors."""

    def __init__(self, client: Any, embedder: Embedder) -> None:
        self.client = client
        self.embedder = embedder
        self._lock = threading.Lock()
        # brand -> (monotonic time read, revision token): the shared revision, trusted REVISION_TTL seconds.
        self._revisions: dict[str, tuple[float, str]] = {}
        self._sizes: dict[tuple[str, str], tuple[float, int]] = {}
        # Checked collection handles: one lookup per collection instead of one per call.
        self._handles: dict[str, Any] = {}

    # -- collections -----------------------------------------------------------------------------

    def ping(self) -> None:
        """Raises when the Chroma client (embedded or server) does not answer."""
        self.client.heartbeat()

    @property
    def vector_recipe(self) -> str:
        """What a stored vector means: the model and how an entry's views are blended."""
        return f"{self.embedder.name} ({ENTRY_VECTOR})"

    def entry_vectors(self, entries: Sequence[Entry]) -> list[np.ndarray]:
        """Each entry's stored vector (see `blend_views`)."""
        return list(blend_views(*embed_views(self.embedder, entries)))

    def _write(self, collection: Any, brand: str, entries: Sequence[Entry], batch_size: int = 256) -> None:
        """Upsert entries with their vectors, documents and metadata, a batch at a time."""
        for start in range(0, len(entries), batch_size):
            batch = entries[start : start + batch_size]
            collection.upsert(
                ids=[e.id for e in batch],
                embeddings=self.entry_vectors(batch),
                documents=[e.text for e in batch],
                metadatas=[_entry_metadata(e, brand) for e in batch],
            )

    def _metadata(self, brand: str, kind: str) -> dict[str, MetaValue]:
        return {
            "embedding_model": self.vector_recipe,
            "embedding_dim": self.embedder.dim,
            "brand": brand,
            "kind": kind,
        }

    def _check_model(self, collection: Any) -> None:
        built_with = (collection.metadata or {}).get("embedding_model")
        if built_with != self.vector_recipe:
            raise ModelMismatchError(
                f"collection {collection.name} was built with {built_with}, current model is "
                f"{self.vector_recipe}: run `sowana kb reindex`"
            )

    def _existing(self, brand: str, kind: str) -> Any | None:
        name = collection_name(brand, kind)
        cached = self._handles.get(name)
        if cached is not None:
            return cached
        try:
            collection = self.client.get_collection(name, embedding_function=None)
        except Exception as exc:  # Chroma raises NotFoundError / ValueError depending on the mode
            if _is_missing(exc):
                return None
            raise
        self._check_model(collection)
        self._handles[name] = collection
        return collection

    def _collection(self, brand: str, kind: str) -> Any:
        existing = self._existing(brand, kind)
        if existing is not None:
            return existing
        collection = self.client.get_or_create_collection(
            collection_name(brand, kind),
            embedding_function=None,
            metadata=self._metadata(brand, kind),
            configuration=HNSW_CONFIG,
        )
        self._check_model(collection)  # another process may have created it meanwhile
        self._handles[collection.name] = collection
        return collection

    def brands(self) -> list[str]:
        """Brands that have at least one collection (as stored in the collections' metadata)."""
        found = set()
        for col in self.client.list_collections():
            name = col if isinstance(col, str) else col.name
            if _SEP in name and name.rsplit(_SEP, 1)[1] in KINDS:
                found.add(name.rsplit(_SEP, 1)[0])
        return sorted(found)

    def _revisions_collection(self) -> Any:
        cached = self._handles.get(REVISIONS)
        if cached is None:
            # Records carry a constant 1-d vector: Chroma needs one, nothing ever searches them.
            cached = self.client.get_or_create_collection(REVISIONS, embedding_function=None)
            self._handles[REVISIONS] = cached
        return cached

    def revision(self, brand: str) -> str:
        """The brand's shared revision: a token every write of any process replaces (caches rebuild when
        it moves). Read from Chroma at most once per REVISION_TTL seconds, so a search costs no extra
        round trip; another process's change is seen within that time."""
        now = time.monotonic()
        cached = self._revisions.get(brand)
        if cached is not None and now - cached[0] < REVISION_TTL:
            return cached[1]
        try:
            got = self._revisions_collection().get(ids=[sanitize_brand(brand)], include=["metadatas"])
        except Exception as exc:
            if not _is_missing(exc):
                raise
            self._handles.pop(REVISIONS, None)  # dropped with the whole store (a test, a reset): made again
            got = self._revisions_collection().get(ids=[sanitize_brand(brand)], include=["metadatas"])
        metas = got["metadatas"] or []
        token = str((metas[0] or {}).get("token", "")) if got["ids"] and metas else ""
        with self._lock:
            if cached is not None and cached[1] != token:  # another process wrote: forget what it changed
                self._forget(brand)
            self._revisions[brand] = (now, token)
        return token

    def _forget(self, brand: str) -> None:
        for key in [k for k in self._sizes if k[0] == brand]:
            del self._sizes[key]
        for kind in KINDS:  # a reindex elsewhere replaced the collections
            self._handles.pop(collection_name(brand, kind), None)

    def _bump(self, brand: str) -> None:
        """Publish a new revision of the brand, after its write: a process that sees the new token
        reads the new entries."""
        token = uuid.uuid4().hex
        self._revisions_collection().upsert(
            ids=[sanitize_brand(brand)], embeddings=[[1.0]], metadatas=[{"token": token, "brand": brand}]
        )
        with self._lock:
            for key in [k for k in self._sizes if k[0] == brand]:
                del self._sizes[key]
            self._revisions[brand] = (time.monotonic(), token)

    # -- writes ----------------------------------------------------------------------------------

    @_retry_stale
    def upsert(self, brand: str, entries: Sequence[Entry], batch_size: int = 256) -> int:
        """Insert or replace entries by id (importing the same file twice changes nothing)."""
        written = 0
        by_kind: dict[str, list[Entry]] = {}
        for entry in entries:
            if not entry.id.strip():
                raise KnowledgeError("an entry has an empty id")
            if not entry.text:
                raise KnowledgeError(f"entry {entry.id!r} has neither a question nor an answer")
            by_kind.setdefault(_check_kind(entry.kind), []).append(entry)
        for kind, items in by_kind.items():
            collection = self._collection(brand, kind)
            # The last occurrence of a duplicated id wins, like a sequence of upserts would.
            unique = list({e.id: e for e in items}.values())
            self._write(collection, brand, unique, batch_size)
            written += len(unique)
        if written:
            self._bump(brand)
        return written

    def add_approved_reply(
        self, brand: str, id: str, text: str, lang: str | None, meta: dict[str, MetaValue] | None = None
    ) -> Entry:
        """Record a reply the team approved, so later drafts can reuse it.

        `meta` may carry `question` (the comment it answered), `platform`, `url`, `date`…
        """
        extra = dict(meta or {})
        question = str(extra.pop("question", "") or "")
        entry = Entry(id=id, question=question, answer=text, lang=lang, kind="replies", meta=extra)
        self.upsert(brand, [entry])
        return entry

    @_retry_stale
    def delete(self, brand: str, entry_id: str, kind: str | None = None) -> bool:
        """Delete an entry by id (from every collection of the brand unless `kind` is given)."""
        found = False
        for k in [kind] if kind else list(KINDS):
            collection = self._existing(brand, k)
            if collection is None:
                continue
            if collection.get(ids=[entry_id], include=[])["ids"]:
                collection.delete(ids=[entry_id])
                found = True
        if found:
            self._bump(brand)
        return found

    # -- reads -----------------------------------------------------------------------------------

    @_retry_stale
    def get(self, brand: str, entry_id: str, kind: str | None = None) -> Entry | None:
        for k in [kind] if kind else list(KINDS):
            collection = self._existing(brand, k)
            if collection is None:
                continue
            got = collection.get(ids=[entry_id], include=["metadatas"])
            if got["ids"]:
                entry = entry_from_record(got["ids"][0], got["metadatas"][0])
                entry.brand = brand
                return entry
        return None

    @_retry_stale
    def list(self, brand: str, kind: str | None = None, offset: int = 0, limit: int | None = None) -> list[Entry]:
        """Entries of a brand, ordered by collection then id (stable paging)."""
        entries: list[Entry] = []
        for k in [kind] if kind else list(KINDS):
            collection = self._existing(brand, k)
            if collection is None:
                continue
            got = collection.get(include=["metadatas"])
            for entry_id, meta in zip(got["ids"], got["metadatas"] or [], strict=True):
                entry = entry_from_record(entry_id, meta)
                entry.brand = brand
                entries.append(entry)
        entries.sort(key=lambda e: (KINDS.index(e.kind) if e.kind in KINDS else 9, e.id))
        end = None if limit is None else offset + limit
        return entries[offset:end]

    @_retry_stale
    def count(self, brand: str, kind: str | None = None) -> int:
        return sum(self._size(brand, k) for k in ([kind] if kind else list(KINDS)))

    def _size(self, brand: str, kind: str) -> int:
        """A collection's size, remembered for COUNT_TTL seconds: every search needs it, and asking
        Chroma each time costs more than the search itself. This process's writes forget it at once;
        another process's writes are seen within the TTL."""
        key = (brand, kind)
        cached = self._sizes.get(key)
        now = time.monotonic()
        if cached is not None and now - cached[0] < COUNT_TTL:
            return cached[1]
        collection = self._existing(brand, kind)
        size = collection.count() if collection is not None else 0
        self._sizes[key] = (now, size)
        return size

    def query(
        self, brand: str, vector: np.ndarray, n: int, kinds: Iterable[str] = KINDS, lang: str | None = None
    ) -> builtins.list[tuple[Entry, float]]:
        """Nearest entries by cosine similarity, best first, across the brand's collections."""
        return self.query_many(brand, np.atleast_2d(vector), n, kinds, lang)[0]

    @_retry_stale
    def query_many(
        self, brand: str, vectors: np.ndarray, n: int, kinds: Iterable[str] = KINDS, lang: str | None = None
    ) -> builtins.list[builtins.list[tuple[Entry, float]]]:
        """`query` for several vectors in one call per collection (a comment and its claims)."""
        vectors = np.asarray(vectors, dtype=np.float32)
        hits: builtins.list[builtins.list[tuple[Entry, float]]] = [[] for _ in range(len(vectors))]
        where = {"lang": lang} if lang else None
        for kind in kinds:
            collection = self._existing(brand, kind)
            if collection is None or not len(vectors):
                continue
            size = self._size(brand, kind)
            if size == 0:
                continue
            result = collection.query(
                query_embeddings=list(vectors),
                n_results=min(n, size),
                where=where,
                include=["metadatas", "distances"],
            )
            for row, ids in enumerate(result["ids"]):
                metas = (result["metadatas"] or [])[row] if result["metadatas"] else []
                dists = (result["distances"] or [])[row] if result["distances"] else []
                for entry_id, meta, dist in zip(ids, metas, dists, strict=True):
                    entry = entry_from_record(entry_id, meta)
                    entry.brand = brand
                    hits[row].append((entry, 1.0 - float(dist)))
        for found in hits:
            found.sort(key=lambda h: -h[1])
        return [found[:n] for found in hits]

    @_retry_stale
    def vectors(self, brand: str) -> dict[tuple[str, str], np.ndarray]:
        """Every stored vector of the brand, keyed by (kind, id) (the retriever keeps them in memory)."""
        out: dict[tuple[str, str], np.ndarray] = {}
        for kind in KINDS:
            collection = self._existing(brand, kind)
            if collection is None:
                continue
            got = collection.get(include=["embeddings"])
            for entry_id, vec in zip(
                got["ids"], got["embeddings"] if got["embeddings"] is not None else [], strict=True
            ):
                out[(kind, entry_id)] = np.asarray(vec, dtype=np.float32)
        return out

    # -- maintenance -----------------------------------------------------------------------------

    def reindex(self, brand: str) -> int:
        """Re-embed every collection of the brand with the current model.

        Builds a new collection next to the old one and swaps it in only once complete, so a
        crash half-way leaves the old collection intact.
        """
        total = 0
        for kind in KINDS:
            name = collection_name(brand, kind)
            self._handles.pop(name, None)
            try:
                old = self.client.get_collection(name, embedding_function=None)
            except Exception:
                continue
            got = old.get(include=["metadatas"])
            entries = [entry_from_record(i, m) for i, m in zip(got["ids"], got["metadatas"] or [], strict=True)]
            tmp_name = f"{name}-reindex"
            with contextlib.suppress(Exception):  # a leftover from an interrupted run
                self.client.delete_collection(tmp_name)
            tmp = self.client.create_collection(
                tmp_name, embedding_function=None, metadata=self._metadata(brand, kind), configuration=HNSW_CONFIG
            )
            self._write(tmp, brand, entries)
            self.client.delete_collection(name)
            tmp.modify(name=name)
            total += len(entries)
        self._bump(brand)
        return total


def open_store(
    chroma_path: str,
    chroma_url: str | None = None,
    embedder: Embedder | None = None,
    *,
    headers: dict[str, str] | None = None,
    tenant: str | None = None,
    database: str | None = None,
) -> KnowledgeStore:
    """Embedded Chroma at `chroma_path`, or the Chroma server at `chroma_url` when given.

    Server mode: the URL may carry a path (a server behind a proxy at https://host/chroma); `headers`
    go with every request (auth), `tenant` and `database` pick where the collections live."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        from urllib.parse import urlparse

        url = urlparse(chroma_url)
        port = url.port or (443 if url.scheme == "https" else 8000)
        # A full URL keeps its path: Chroma's client appends its own /api/v2 to it.
        host = f"{url.scheme}://{url.hostname}:{port}{url.path.rstrip('/')}" if url.path.strip("/") else url.hostname
        client = chromadb.HttpClient(
            host=host or "localhost",
            port=port,
            ssl=url.scheme == "https",
            headers=headers or None,
            settings=chroma_settings,
            tenant=tenant or chromadb.DEFAULT_TENANT,
            database=database or chromadb.DEFAULT_DATABASE,
        )
    else:
        lock_embedded(chroma_path)  # before Chroma opens anything: two processes would corrupt it
        client = chromadb.PersistentClient(path=chroma_path, settings=chroma_settings)
    return KnowledgeStore(client, embedder or get_embedder())
