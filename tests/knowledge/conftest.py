"""Shared fixtures: one embedder per session, and no connection may leave the machine."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.embeddings import Embedder, get_embedder
from knowledge.loaders import load_path
from knowledge.store import KnowledgeStore, collection_name, open_store

SAMPLES = Path(__file__).resolve().parents[2] / "knowledge/samples/panier_boreal"
_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else address
    if self.family == socket.AF_UNIX or str(host) in ("127.0.0.1", "::1", "localhost"):
        return _real_connect(self, address)  # type: ignore[arg-type]
    raise OSError(f"test tried to reach the network: {address!r}")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)
    yield


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return get_embedder()


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> KnowledgeStore:
    """The shipped sample brand, imported once per test module."""
    store = open_store(str(tmp_path_factory.mktemp("chroma")), None, embedder)
    report = load_path(SAMPLES)
    assert not report.errors
    store.upsert("panier_boreal", report.entries)
    return store


def add_old_release_entry(store: KnowledgeStore, brand: str, entry_id: str) -> None:
    """What a release before the question view wrote: the model's bare name, a vector of the whole text."""
    old = store.client.create_collection(
        collection_name(brand, "faq"), embedding_function=None, metadata={"embedding_model": store.embedder.name}
    )
    vector = store.embedder.embed(["Bio?\nOui."])[0]
    old.add(ids=[entry_id], embeddings=[vector], metadatas=[{"question": "Bio?", "answer": "Oui."}])
