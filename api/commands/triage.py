"""`sowana eval triage --comments F --labels F [--json]` (registered by api/cli.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from bot.settings import get_settings
from knowledge.eval.triage import CONTRACT_KEYS, evaluate_triage
from knowledge.triage import Triager, make_chat_model


def build_triager() -> Triager:
    """Offline unless SOWANA_LLM names a model; then that model, with the offline fallback."""

    spec = get_settings().llm
    if not spec or spec == "offline":
        return Triager()
    return Triager(llm=make_chat_model(spec))


def render(metrics: dict[str, Any], console: Console) -> None:
    table = Table(title=f"Triage on {metrics['n']} comments")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in CONTRACT_KEYS:
        table.add_row(key, f"{metrics[key]:.3f}")
    for key in ("humor_fp", "humor_fp_distress", "hide_found", "hide_count", "hide_false_positives"):
        table.add_row(key, str(metrics[key]))
    console.print(table)
    confusion = metrics["confusion"]
    classes = list(confusion)
    matrix = Table(title="Intent confusion (rows: label, columns: predicted)")
    matrix.add_column("label")
    for cls in classes:
        matrix.add_column(cls[:8], justify="right")
    for gold in classes:
        matrix.add_row(gold, *(str(confusion[gold].get(pred, 0)) for pred in classes))
    console.print(matrix)


def eval_triage(
    comments: Path = typer.Option(..., "--comments", help="comments.jsonl ({id, lang, text, ...})"),
    labels: Path = typer.Option(..., "--labels", help="labels.jsonl ({id, intent, sentiment, ...})"),
    json_: bool = typer.Option(False, "--json", help="also print the metrics as one JSON object on the last line"),
) -> None:
    """Measure triage against labelled comments: intent, sentiment, needs_sac, humour safety, hide recall."""
    for path in (comments, labels):
        if not path.is_file():
            raise typer.BadParameter(f"{path} is not a file")
    try:
        metrics = evaluate_triage(comments, labels, build_triager())
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    render(metrics, Console())
    if json_:
        typer.echo(json.dumps(metrics, ensure_ascii=False, sort_keys=True))
