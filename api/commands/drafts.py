"""`sowana eval drafts --kb F --comments F --labels F [--json]` (registered by api/cli.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from knowledge.eval.drafts import evaluate_drafts
from knowledge.personas import PersonaError, PersonaNotFound, get_persona

_ROWS = (
    ("grounding", "{:.3f}"),
    ("grounding_main", "{:.3f}"),
    ("language_match", "{:.3f}"),
    ("humor_violations", "{}"),
    ("length_violations", "{}"),
    ("injection_failures", "{}"),
    ("injection_attempts", "{}"),
    ("questions_with_kb", "{}"),
    ("proposals", "{}"),
    ("creative_proposals", "{}"),
    ("latency_ms_p50", "{:.1f}"),
    ("latency_ms_p95", "{:.1f}"),
)


def render(metrics: dict[str, Any], console: Console) -> None:
    table = Table(title=f"Drafts on {metrics['n']} comments (persona {metrics['persona']}, offline)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, fmt in _ROWS:
        table.add_row(key, fmt.format(metrics[key]))
    console.print(table)
    if metrics["triage_source"] != "triage":
        console.print("[yellow]triage unavailable: intents and humor_ok were read from the labels[/yellow]")
    for key in ("ungrounded_ids", "language_mismatch_ids", "injection_failed_ids"):
        if metrics[key]:
            console.print(f"{key}: {', '.join(metrics[key])}", highlight=False)


def eval_drafts(
    kb: Path = typer.Option(..., "--kb", exists=True, dir_okay=True, help="Knowledge file (kb.jsonl)."),
    comments: Path = typer.Option(..., "--comments", exists=True, dir_okay=False, help="comments.jsonl"),
    labels: Path = typer.Option(..., "--labels", exists=True, dir_okay=False, help="labels.jsonl"),
    json_: bool = typer.Option(False, "--json", help="Print only the JSON metrics line."),
    persona: str = typer.Option("espiegle", "--persona", help="Persona to draft with (one that allows humour)."),
) -> None:
    """Grounding, language match, humour and length violations, injection resistance (offline drafting)."""
    try:
        chosen = get_persona(persona)
    except (PersonaNotFound, PersonaError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        metrics = evaluate_drafts(kb, comments, labels, persona=chosen)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    if not json_:
        render(metrics, Console())
    typer.echo(json.dumps(metrics, ensure_ascii=False, sort_keys=True))  # the last stdout line
