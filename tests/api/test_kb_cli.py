from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from api.commands import kb
from bot.brain import build_retriever
from bot.settings import get_settings
from tests.servers import SOWANA, sowana_env, sowana_serve

SAMPLES = Path(__file__).resolve().parents[2] / "knowledge/samples/panier_boreal"
runner = CliRunner()
_real_connect = socket.socket.connect


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    def guard(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else address
        if self.family != socket.AF_UNIX and str(host) not in ("127.0.0.1", "::1", "localhost"):
            raise OSError(f"test tried to reach the network: {address!r}")
        return _real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guard)
    monkeypatch.setenv("SOWANA_CHROMA_PATH", str(tmp_path / "chroma"))
    monkeypatch.delenv("SOWANA_CHROMA_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # keep any .env of the repo out
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_import_twice_then_search_in_french_and_english() -> None:
    first = runner.invoke(kb.app, ["import", str(SAMPLES), "--brand", "ignored"])
    assert first.exit_code == 0, first.output
    assert "imported 32 entries into panier_boreal" in first.output
    assert "imported 32" in runner.invoke(kb.app, ["import", str(SAMPLES)]).output
    fr = runner.invoke(kb.app, ["search", "Est-ce que je peux payer avec Amex?", "--brand", "panier_boreal", "-k", "3"])
    assert fr.exit_code == 0 and "paiement" in fr.output and "score" in fr.output
    en = runner.invoke(
        kb.app, ["search", "Where does my basket go if I'm out?", "--brand", "panier_boreal", "--lang", "en"]
    )
    assert "absence" in en.output  # only in French in the FAQ
    off = runner.invoke(kb.app, ["search", "Who won the hockey game?", "--brand", "panier_boreal"])
    assert "nothing good enough" in off.output


def test_the_second_encoder_is_an_operator_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert runner.invoke(kb.app, ["import", str(SAMPLES)]).exit_code == 0
    monkeypatch.setenv("SOWANA_SECOND_ENCODER", "e5")
    get_settings.cache_clear()
    assert build_retriever(get_settings(), kb._store()).second_name == "multilingual-e5-small-q4"
    fr = runner.invoke(kb.app, ["search", "Est-ce que je peux payer avec Amex?", "--brand", "panier_boreal", "-k", "3"])
    assert fr.exit_code == 0 and "paiement" in fr.output
    en = runner.invoke(kb.app, ["search", "Where does my basket go if I'm out?", "--brand", "panier_boreal"])
    assert en.exit_code == 0 and "absence" in en.output  # the French-only entry is not pushed down by E5
    monkeypatch.setenv("SOWANA_SECOND_ENCODER", "bert")
    get_settings.cache_clear()
    refused = runner.invoke(kb.app, ["search", "Amex?", "--brand", "panier_boreal"])
    assert refused.exit_code != 0 and "SOWANA_SECOND_ENCODER" in str(refused.output) + str(refused.exception)


def test_row_errors_are_printed_with_file_and_line(env: Path) -> None:
    bad = env / "faq.jsonl"
    bad.write_text(
        '{"id": "a", "question": "Q?", "answer": "Réponse."}\n{"id": "b", "question": "no answer"}\n', encoding="utf-8"
    )
    partly = runner.invoke(kb.app, ["import", str(bad), "--collection", "faq"])
    assert partly.exit_code == 0 and f"{bad}:2" in partly.output and "imported 1" in partly.output
    bad.write_text("not json\n", encoding="utf-8")
    nothing = runner.invoke(kb.app, ["import", str(bad)])
    assert nothing.exit_code == 1 and f"{bad}:1" in nothing.output


def test_delete_and_reindex() -> None:
    runner.invoke(kb.app, ["import", str(SAMPLES / "viral.yaml"), "--brand", "panier_boreal"])
    assert runner.invoke(kb.app, ["delete", "viral-ugly-carrot", "--brand", "panier_boreal"]).exit_code == 0
    assert runner.invoke(kb.app, ["delete", "viral-ugly-carrot", "--brand", "panier_boreal"]).exit_code == 1
    done = runner.invoke(kb.app, ["reindex", "--brand", "panier_boreal"])
    assert done.exit_code == 0 and "5 entries reindexed" in done.output


def test_eval_retrieval_prints_three_modes_and_json_last(env: Path) -> None:
    def jsonl(name: str, rows: list[dict[str, object]]) -> Path:
        path = env / name
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        return path

    kbf = jsonl(
        "kb.jsonl",
        [
            {"id": "gift", "lang": "en", "question": "Do you sell gift cards?", "answer": "Yes, from $20."},
            {"id": "bio", "lang": "fr", "question": "Vos légumes sont-ils bios?", "answer": "Oui, Ecocert."},
        ],
    )
    comments = jsonl("comments.jsonl", [{"id": "1", "lang": "fr", "text": "Vendez-vous des cartes-cadeaux?"}])
    labels = jsonl("labels.jsonl", [{"id": "1", "kb_ids": ["gift"]}])
    app = typer.Typer()
    app.command()(kb.eval_retrieval)
    out = runner.invoke(app, ["--kb", str(kbf), "--comments", str(comments), "--labels", str(labels), "--json"])
    assert out.exit_code == 0, out.output
    assert all(mode in out.output for mode in ("vector", "keyword", "hybrid"))
    metrics = json.loads(out.output.strip().splitlines()[-1])
    assert metrics["hit@1"] == 1.0 and metrics["hit@3"] == 1.0 and metrics["mrr"] == 1.0
    assert metrics["no_answer_precision"] == 1.0 and "vector_hit@3" in metrics


def test_make_dev_rebuilds_a_store_left_by_an_older_release(env: Path) -> None:
    from api.devserver import import_sample_knowledge
    from bot.settings import load_settings
    from knowledge.retrieval import Retriever
    from knowledge.store import open_store
    from tests.knowledge.conftest import add_old_release_entry

    add_old_release_entry(open_store(str(env / "chroma")), "default", "old")
    assert import_sample_knowledge(load_settings(chroma_path=str(env / "chroma"))) > 0
    fresh = open_store(str(env / "chroma"))
    assert fresh.get("default", "old") is not None  # kept, re-embedded
    assert Retriever(fresh).search("default", "Livrez-vous à Laval?", k=3).passages


def test_import_is_refused_while_sowana_serve_holds_the_embedded_store(tmp_path: Path) -> None:
    """Chroma's embedded mode is one process only: `sowana kb import` beside a running `sowana serve` on
    the same folder says so (in French and English) and changes nothing; once serve stops, it imports."""
    database, chroma = f"sqlite:///{tmp_path}/sowana.db", str(tmp_path / "chroma")
    served = sowana_env(SOWANA_DATABASE_URL=database, SOWANA_CHROMA_PATH=chroma)
    importing = [str(SOWANA), "kb", "import", str(SAMPLES)]
    with sowana_serve(served, tmp_path, tmp_path / "serve.log"):
        refused = subprocess.run(importing, cwd=tmp_path, env=served, capture_output=True, text=True)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        said = " ".join((refused.stdout + refused.stderr).split())
        assert "ouverte par un autre processus" in said and "open in another process" in said, said
        assert "SOWANA_CHROMA_URL" in said
    after = subprocess.run(importing, cwd=tmp_path, env=served, capture_output=True, text=True)
    assert after.returncode == 0 and "imported 32 entries" in after.stdout, after.stdout + after.stderr
