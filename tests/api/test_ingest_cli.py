"""`sowana ingest FILE`: JSONL and CSV exports with bad rows reported by line number, nothing lost."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from api import cli
from api.cli import app
from bot.models import Comment
from bot.settings import get_settings

runner = CliRunner()


@pytest.fixture(autouse=True)
def env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)  # keep any .env of the repo out
    monkeypatch.setenv("SOWANA_DATABASE_URL", database_url)
    # Rich wraps at the terminal width; a wide console keeps one error per line, as in a log.
    monkeypatch.setattr(cli.console, "width", 1000)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def stored(engine: Engine) -> list[Comment]:
    with Session(engine) as s:
        return list(s.exec(select(Comment).order_by(Comment.id)).all())  # type: ignore[arg-type]


def row(external_id: str, text: str, **over: object) -> str:
    data: dict[str, object] = {
        "platform": "facebook",
        "external_id": external_id,
        "author": {"id": "1", "name": "Julie"},
        "text": text,
    }
    data.update(over)
    return json.dumps(data, ensure_ascii=False)


def test_jsonl_with_bad_rows_reports_line_numbers_and_keeps_the_good_ones(env: Path, engine: Engine) -> None:
    path = env / "export.jsonl"
    lines = [
        row("fb_1", "Est-ce que vous livrez à Sherbrooke?"),
        '{"platform": "facebook", "external_id": "fb_2", oops',
        "",
        row("fb_3", "   "),
        row("fb_4", "Where is my order?", platform="myspace"),
        "[1, 2]",
        row("x_5", "@brand merci beaucoup!", platform="x", brand="panier_boreal"),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 imported, 0 already known, 4 errors" in result.output
    out = result.output
    assert f"{path}:2: invalid JSON" in out
    assert f"{path}:4: text" in out and "empty" in out
    assert f"{path}:5: platform" in out
    assert f"{path}:7" not in out and f"{path}:6: a row must be a JSON object" in out
    assert [(c.external_id, c.brand, c.text) for c in stored(engine)] == [
        ("fb_1", "default", "Est-ce que vous livrez à Sherbrooke?"),
        ("x_5", "panier_boreal", "@brand merci beaucoup!"),
    ]
    again = runner.invoke(app, ["ingest", str(path)])
    assert "0 imported, 2 already known, 4 errors" in again.output
    assert len(stored(engine)) == 2


def test_csv_with_author_columns_and_bad_rows(env: Path, engine: Engine) -> None:
    path = env / "export.csv"
    path.write_text(
        "platform,external_id,author_id,author_name,text,post_id\n"
        'instagram,ig_1,55,lea.qc,"Trop beau, ce panier! 😍",m1\n'
        "instagram,ig_2,56,,Missing author name,m1\n"
        'facebook,fb_3,57,Sam Lee,"Multi-line\nquestion: open Sunday?",p1\n'
        "facebook,,58,Max,No external id,p1\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["ingest", str(path), "--brand", "velo_nord"])
    assert result.exit_code == 0, result.output
    assert "2 imported, 0 already known, 2 errors" in result.output
    out = result.output
    assert f"{path}:3: author.name" in out and f"{path}:6: external_id" in out
    got = stored(engine)
    assert [(c.external_id, c.brand, c.author_name) for c in got] == [
        ("ig_1", "velo_nord", "lea.qc"),
        ("fb_3", "velo_nord", "Sam Lee"),
    ]
    assert got[1].text == "Multi-line\nquestion: open Sunday?"


def test_a_file_of_only_bad_rows_fails(env: Path, engine: Engine) -> None:
    path = env / "bad.jsonl"
    path.write_text("not json\n{}\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(path)])
    assert result.exit_code == 1
    assert "0 imported, 0 already known, 2 errors" in result.output
    assert stored(engine) == []
