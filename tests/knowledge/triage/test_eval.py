"""`evaluate_triage` and the `eval triage` command on a small labelled set written for the test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from knowledge.eval.triage import CONTRACT_KEYS, evaluate_triage
from knowledge.triage import Triager

ROWS = [
    ("t1", "fr", "Est-ce que vous livrez à Victoriaville?", "question", "neu", False, False, "none"),
    ("t2", "en", "My box never arrived and I was still charged.", "complaint", "neg", True, False, "none"),
    ("t3", "en", "The kohlrabi looked like an alien spaceship this week 👽😂", "banter", "pos", False, True, "none"),
    ("t4", "fr", "Gagnez un iPhone gratuit ici 👉 www.cadeau-gratuit.win", "spam", "neu", False, False, "hide"),
    ("t5", "fr", "Je pense au suicide, je n'en peux plus.", "distress", "neg", False, False, "none"),
    ("t6", "en", "Call me at 902-555-0119, my order is wrong again.", "complaint", "neg", True, False, "hide"),
]


@pytest.fixture()
def dataset(tmp_path: Path) -> tuple[Path, Path]:
    comments, labels = tmp_path / "comments.jsonl", tmp_path / "labels.jsonl"
    comments.write_text(
        "\n".join(json.dumps({"id": r[0], "lang": r[1], "text": r[2]}, ensure_ascii=False) for r in ROWS) + "\n",
        encoding="utf-8",
    )
    labels.write_text(
        "\n".join(
            json.dumps(
                {
                    "id": r[0],
                    "intent": r[3],
                    "sentiment": r[4],
                    "needs_sac": r[5],
                    "humor_ok": r[6],
                    "moderation": r[7],
                    "kb_ids": [],
                }
            )
            for r in ROWS
        )
        + "\n",
        encoding="utf-8",
    )
    return comments, labels


def test_metrics_have_the_contract_keys(dataset: tuple[Path, Path], triager: Triager) -> None:
    metrics = evaluate_triage(*dataset, triager)
    for key in CONTRACT_KEYS:
        assert 0.0 <= metrics[key] <= 1.0
    assert metrics["n"] == 6 and metrics["hide_count"] == 2 and metrics["distress_count"] == 1
    assert metrics["humor_fp_rate_distress"] == 0.0
    assert metrics["hide_recall"] == 1.0
    assert sum(sum(row.values()) for row in metrics["confusion"].values()) == 6


def test_bad_files_are_reported_with_the_line(tmp_path: Path, triager: Triager) -> None:
    broken = tmp_path / "c.jsonl"
    broken.write_text('{"id": "a", "text": "ok"}\nnot json\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"c.jsonl:2"):
        evaluate_triage(broken, broken, triager)


def test_cli_prints_tables_and_json_on_the_last_line(
    dataset: tuple[Path, Path], triager: Triager, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.commands import triage as command

    monkeypatch.setattr(command, "build_triager", lambda: triager)
    app = typer.Typer()
    app.command("triage")(command.eval_triage)
    app.command("other")(lambda: None)  # two commands: typer keeps the sub-command name
    comments, labels = dataset
    result = CliRunner().invoke(app, ["triage", "--comments", str(comments), "--labels", str(labels), "--json"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert "intent_macro_f1" in result.output and "confusion" in result.output.lower()
    metrics = json.loads(lines[-1])
    assert metrics["n"] == 6 and "hide_recall" in metrics

    human = CliRunner().invoke(app, ["triage", "--comments", str(comments), "--labels", str(labels)])
    assert human.exit_code == 0
    with pytest.raises(json.JSONDecodeError):
        json.loads(human.output.strip().splitlines()[-1])

    missing = CliRunner().invoke(app, ["triage", "--comments", "/nope.jsonl", "--labels", str(labels)])
    assert missing.exit_code != 0
