from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import httpx
import numpy as np
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.settings import load_settings
from knowledge.embeddings import Embedder, get_embedder
from knowledge.loaders import load_path
from knowledge.retrieval import Retriever
from knowledge.store import (
    ENTRY_VECTOR,
    QUESTION_WEIGHT,
    Entry,
    KnowledgeError,
    ModelMismatchError,
    collection_name,
    open_store,
)
from tests.servers import chroma_server_process, serve

from .conftest import SAMPLES, add_old_release_entry

ROOT = Path(__file__).resolve().parents[2]


class RenamedEmbedder:
    """The real model under another name: what a store sees after the default model changes."""

    def __init__(self, inner: Embedder, name: str) -> None:
        self._inner, self.name, self.dim = inner, name, inner.dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self._inner.embed(texts)


def test_model_loads_and_answers_with_the_network_cut(tmp_path: Path) -> None:
    """A fresh process, every non-loopback connect refused, still loads the model and searches."""
    script = f"""
import socket
real = socket.socket.connect
def guard(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if self.family != socket.AF_UNIX and str(host) not in ("127.0.0.1", "::1", "localhost"):
        raise OSError("network is cut")
    return real(self, address)
socket.socket.connect = guard
from knowledge.store import Entry, open_store
from knowledge.retrieval import Retriever
store = open_store({str(tmp_path)!r})
store.upsert("b", [Entry(id="gift", question="Do you sell gift cards?", answer="Yes, from $20.", lang="en")])
print(Retriever(store).search("b", "Vendez-vous des cartes-cadeaux?").passages[0].id)
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "gift"


def test_importing_twice_changes_nothing(tmp_path: Path, embedder: Embedder) -> None:
    store = open_store(str(tmp_path), None, embedder)
    entries = load_path(SAMPLES).entries
    assert store.upsert("panier_boreal", entries) == len(entries)
    before = [(e.id, e.kind, e.answer, e.meta) for e in store.list("panier_boreal")]
    store.upsert("panier_boreal", load_path(SAMPLES).entries)
    after = [(e.id, e.kind, e.answer, e.meta) for e in store.list("panier_boreal")]
    assert after == before and store.count("panier_boreal") == len(entries)
    assert store.count("panier_boreal", "viral") == 6


def test_get_list_paging_delete_and_approved_replies(tmp_path: Path, embedder: Embedder) -> None:
    store = open_store(str(tmp_path), None, embedder)
    store.upsert(
        "Bistro Élan", [Entry(id=f"q{i}", question=f"Question {i}?", answer=f"Réponse {i}.") for i in range(5)]
    )
    assert collection_name("Bistro Élan", "faq") == "bistro-lan__faq"
    assert [e.id for e in store.list("Bistro Élan", offset=1, limit=2)] == ["q1", "q2"]
    reply = store.add_approved_reply(
        "Bistro Élan",
        "c42",
        "Merci! On vous écrit en privé.",
        "fr",
        {"question": "Mon plat était froid", "platform": "x"},
    )
    got = store.get("Bistro Élan", "c42")
    assert got is not None and got.kind == "replies" and got.answer == reply.answer
    assert got.question == "Mon plat était froid" and got.meta["platform"] == "x"
    assert store.delete("Bistro Élan", "q0") is True
    assert store.delete("Bistro Élan", "q0") is False
    assert store.get("Bistro Élan", "q0") is None and store.count("Bistro Élan") == 5
    assert store.get("other brand", "q1") is None  # brands never see each other's entries


def test_other_model_is_refused_until_reindex(tmp_path: Path, embedder: Embedder) -> None:
    store = open_store(str(tmp_path), None, embedder)
    store.upsert("b", [Entry(id="bio", question="Vos légumes sont-ils bios?", answer="Oui, certifiés Ecocert.")])
    other = open_store(str(tmp_path), None, RenamedEmbedder(embedder, "other-model"))
    with pytest.raises(ModelMismatchError) as refused:
        Retriever(other).search("b", "organic?")
    message = str(refused.value)
    assert "b__faq" in message and embedder.name in message and "other-model" in message
    assert "sowana kb reindex" in message
    assert other.reindex("b") == 1
    assert Retriever(other).search("b", "Is your produce organic?").passages[0].id == "bio"
    with pytest.raises(ModelMismatchError):
        store.get("b", "bio")  # and now the old model is the one refused


def test_a_store_built_before_the_question_view_asks_for_a_reindex(tmp_path: Path, embedder: Embedder) -> None:
    store = open_store(str(tmp_path), None, embedder)
    add_old_release_entry(store, "b", "bio")
    with pytest.raises(ModelMismatchError) as refused:
        store.get("b", "bio")
    assert ENTRY_VECTOR in str(refused.value) and "sowana kb reindex" in str(refused.value)
    assert store.reindex("b") == 1
    assert store.get("b", "bio") is not None


def test_an_entry_vector_blends_its_answer_and_its_question(tmp_path: Path, embedder: Embedder) -> None:
    store = open_store(str(tmp_path), None, embedder)
    entry = Entry(id="pause", question="Puis-je suspendre mes livraisons?", answer="Oui, jusqu'à 8 semaines.")
    store.upsert("b", [entry])
    stored = store.vectors("b")[("faq", "pause")]
    answer, question = embedder.embed([entry.answer, entry.question])
    expected = answer + QUESTION_WEIGHT * question
    assert np.allclose(stored, expected / np.linalg.norm(expected), atol=1e-5)


def test_an_empty_entry_is_refused_with_its_id(tmp_path: Path, embedder: Embedder) -> None:
    store = open_store(str(tmp_path), None, embedder)
    with pytest.raises(KnowledgeError, match="'blank' has neither a question nor an answer"):
        store.upsert("b", [Entry(id="ok", question="Bio?", answer="Oui."), Entry(id="blank", question=" ", answer="")])


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with chroma_server_process(tmp_path_factory.mktemp("chroma-server")) as server:
        yield server.url


def test_server_mode_against_chroma_run(chroma_server: str, embedder: Embedder) -> None:
    store = open_store("unused", chroma_server, embedder)
    entries = load_path(SAMPLES).entries
    store.upsert("panier_boreal", entries)
    store.upsert("panier_boreal", entries)
    assert store.count("panier_boreal") == len(entries)
    found = Retriever(store).search("panier_boreal", "Can I pay with American Express?", lang="en")
    assert found.passages[0].id in {"payment-en", "paiement"} and not found.no_answer
    # A second client (another `sowana serve` process) sees the same data and refuses another model.
    other = open_store("unused", chroma_server, RenamedEmbedder(embedder, "other-model"))
    with pytest.raises(ModelMismatchError):
        other.list("panier_boreal")


SHARED_WITHIN = 5.0  # seconds: every process searches a change made through another one within this


def _answer(retriever: Retriever, brand: str, query: str) -> str | None:
    found = retriever.search(brand, query, lang="fr")
    return found.passages[0].answer if found.passages and not found.no_answer else None


def _within(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + SHARED_WITHIN
    while not check():
        assert time.monotonic() < deadline, f"{what} not seen by the other process within {SHARED_WITHIN}s"
        time.sleep(0.1)


def test_an_edit_a_delete_and_a_reindex_through_one_process_are_searched_by_another(
    chroma_server: str, embedder: Embedder
) -> None:
    """Two `sowana serve` processes on one Chroma server: B's retriever keeps the brand in memory, and
    still answers from what A wrote (same id, same number of entries) within seconds."""
    brand = "shared_truth"
    a = open_store("unused", chroma_server, embedder)
    b = Retriever(open_store("unused", chroma_server, embedder))
    hours = Entry("pickup", "À quelle heure passer chercher mon panier ?", "Le jeudi de 16 h à 19 h.", "fr")
    a.upsert(brand, [hours, Entry("bio", "Vos légumes sont-ils bios ?", "Oui, certifiés bio.", "fr")])
    ask = "Quand puis-je passer chercher mon panier ?"
    _within(lambda: _answer(b, brand, ask) == "Le jeudi de 16 h à 19 h.", "the first import")

    a.upsert(brand, [Entry("pickup", hours.question, "Le jeudi de 15 h à 18 h 30.", "fr")])
    _within(lambda: _answer(b, brand, ask) == "Le jeudi de 15 h à 18 h 30.", "an edited answer")

    a.reindex(brand)  # every collection replaced by a new one
    _within(lambda: _answer(b, brand, ask) == "Le jeudi de 15 h à 18 h 30.", "a reindex")

    assert a.delete(brand, "pickup")
    _within(lambda: _answer(b, brand, ask) is None, "a deletion")


def test_a_second_process_cannot_open_an_embedded_store_in_use(tmp_path: Path) -> None:
    """Chroma's embedded mode is one process only: the second one is refused, in French and English."""
    path = tmp_path / "chroma"
    open_store(str(path), None, RenamedEmbedder(get_embedder(), "any"))  # this process holds it now
    open_store(str(path), None, RenamedEmbedder(get_embedder(), "any"))  # and may open it again
    script = (
        "import sys; from knowledge.store import open_store, StoreInUseError\n"
        "try:\n    open_store(sys.argv[1])\nexcept StoreInUseError as e:\n    print(e); sys.exit(3)\n"
    )
    other = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=120)
    assert other.returncode == 3, other.stderr
    assert "ouverte par un autre processus" in other.stdout and "open in another process" in other.stdout


def _token_proxy(upstream: str, token: str, seen: list[str]) -> Starlette:
    """Chroma behind a reverse proxy at /chroma that wants `Authorization: Bearer <token>`, as an operator
    puts it behind nginx or a gateway."""

    async def forward(request: Request) -> Response:
        seen.append(request.url.path)
        if request.headers.get("authorization") != f"Bearer {token}":
            return Response("missing token", status_code=401)
        async with httpx.AsyncClient(base_url=upstream) as client:
            answer = await client.request(
                request.method,
                request.url.path.removeprefix("/chroma"),
                params=request.query_params,
                content=await request.body(),
                headers={"content-type": request.headers.get("content-type", "application/json")},
            )
        return Response(answer.content, answer.status_code, media_type=answer.headers.get("content-type"))

    return Starlette(routes=[Route("/chroma/{path:path}", forward, methods=["GET", "POST", "PUT", "DELETE"])])


def test_server_mode_behind_a_proxy_path_with_a_token_in_a_tenant_and_database(
    chroma_server: str, embedder: Embedder
) -> None:
    """SOWANA_CHROMA_URL with a path, SOWANA_CHROMA_TOKEN and SOWANA_CHROMA_TENANT / _DATABASE reach the
    server as Chroma's client sends them."""
    httpx.post(f"{chroma_server}/api/v2/tenants", json={"name": "acme"}).raise_for_status()
    httpx.post(f"{chroma_server}/api/v2/tenants/acme/databases", json={"name": "sowana_kb"}).raise_for_status()
    seen: list[str] = []
    with serve(_token_proxy(chroma_server, "s3cret", seen)) as proxy:
        settings = load_settings(
            chroma_url=f"{proxy}/chroma/",
            chroma_token=SecretStr("s3cret"),
            chroma_tenant="acme",
            chroma_database="sowana_kb",
        )
        store = open_store("unused", settings.chroma_url, embedder, **settings.chroma_client())
        store.upsert("panier_boreal", [Entry("bio", "Bio ?", "Oui, certifié bio.", "fr")])
        assert [e.answer for e in store.list("panier_boreal")] == ["Oui, certifié bio."]
        assert seen and all(path.startswith("/chroma/api/v2/") for path in seen)
        listed = httpx.get(f"{chroma_server}/api/v2/tenants/acme/databases/sowana_kb/collections").json()
        assert "panier_boreal__faq" in {c["name"] for c in listed}
        # Without the token the proxy refuses, and the store says so instead of answering from nowhere.
        refused = load_settings(chroma_url=f"{proxy}/chroma", chroma_tenant="acme", chroma_database="sowana_kb")
        with pytest.raises(Exception, match="401|missing token|Unauthorized"):
            open_store("unused", refused.chroma_url, embedder, **refused.chroma_client()).list("panier_boreal")
