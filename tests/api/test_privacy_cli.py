"""`sowana privacy export|erase --brand B --platform P --author-id ID`: the same document and the same
erasure as the API, from the command line (an operator answering a request by e-mail)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from api.cli import app
from bot.comments.ingest import CommentIn, ingest
from bot.models import Comment
from bot.settings import get_settings

runner = CliRunner()


@pytest.fixture(autouse=True)
def env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)  # keep any .env of the repo out
    monkeypatch.setenv("SOWANA_DATABASE_URL", database_url)
    monkeypatch.setenv("SOWANA_CHROMA_PATH", str(tmp_path / "chroma"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _comment(engine: Engine, n: int, author: str, name: str, text: str) -> int:
    data = {"platform": "x", "external_id": f"t{n}", "brand": "default", "author": {"id": author, "name": name}}
    comment, _ = ingest(engine, CommentIn.model_validate({**data, "text": text}))
    assert comment.id is not None
    return comment.id


def test_export_then_erase_from_the_command_line(engine: Engine):
    mine = _comment(engine, 1, "x-41", "Nadia Belkacem", "Où est mon colis 7781 ? Where is my parcel?")
    theirs = _comment(engine, 2, "x-42", "Tom Leclerc", "Merci pour la livraison · thanks")
    args = ["--brand", "default", "--platform", "x", "--author-id", "x-41"]

    exported = runner.invoke(app, ["privacy", "export", *args])
    assert exported.exit_code == 0, exported.output
    doc = json.loads(exported.output)
    assert [c["id"] for c in doc["comments"]] == [mine] and doc["comments"][0]["author_name"] == "Nadia Belkacem"

    erased = runner.invoke(app, ["privacy", "erase", *args])
    assert erased.exit_code == 0, erased.output
    assert json.loads(erased.output)["erased"]["comments"] == 1
    with Session(engine) as s:
        gone, kept = s.get(Comment, mine), s.get(Comment, theirs)
        assert gone is not None and gone.text == "" and gone.author_name == "" and gone.erased_at is not None
        assert kept is not None and kept.text.startswith("Merci")
    again = runner.invoke(app, ["privacy", "erase", *args])
    assert again.exit_code == 0 and json.loads(again.output)["erased"]["comments"] == 0
    assert json.loads(runner.invoke(app, ["privacy", "export", *args]).output)["comments"] == []


def test_erase_beside_a_server_holding_the_embedded_store_is_refused_and_erases_nothing(engine: Engine, env: Path):
    """Embedded Chroma is one process only: while another process holds it, the CLI cannot delete the
    person's knowledge entries, so it erases nothing and says where to erase instead."""
    mine = _comment(engine, 1, "x-41", "Nadia Belkacem", "Où est mon colis 7781 ?")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_STORE, str(env / "chroma")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        refused = runner.invoke(
            app, ["privacy", "erase", "--brand", "default", "--platform", "x", "--author-id", "x-41"]
        )
    finally:
        holder.kill()
        holder.wait()
    assert refused.exit_code == 1
    assert "Rien n'est effacé" in refused.output and "DELETE /api/authors/" in refused.output
    with Session(engine) as s:
        kept = s.get(Comment, mine)
        assert kept is not None and kept.author_name == "Nadia Belkacem" and kept.erased_at is None


# Another process holding the embedded store, as a running `sowana serve` does (knowledge.store.lock_embedded).
HOLD_STORE = """
import sys, time
from knowledge.store import lock_embedded
lock_embedded(sys.argv[1])
print("held", flush=True)
time.sleep(60)
"""
