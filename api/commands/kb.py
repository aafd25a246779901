"""`sowana kb …` (import, search, reindex, delete) and `sowana eval retrieval`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from bot.brain import build_retriever
from bot.settings import SettingsError, get_settings
from knowledge.loaders import load_path
from knowledge.retrieval import MODES
from knowledge.store import KINDS, Entry, KnowledgeError, KnowledgeStore, ModelMismatchError, open_store

app = typer.Typer(help="Manage the brand knowledge base (FAQ, past viral answers, approved replies).")
console = Console()
err_console = Console(stderr=True)


def _store() -> KnowledgeStore:
    settings = get_settings()
    return open_store(settings.chroma_path, settings.chroma_url, **settings.chroma_client())


def _fail(message: str) -> None:
    err_console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(1)


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="A .md, .yaml, .csv or .jsonl file, or a folder of them")],
    brand: Annotated[str, typer.Option(help="Brand for rows that don't name one")] = "default",
    collection: Annotated[str | None, typer.Option(help="faq, viral or replies, for rows that don't name one")] = None,
) -> None:
    """Import knowledge entries (upsert by id: importing twice changes nothing)."""
    if collection is not None and collection not in KINDS:
        _fail(f"--collection must be one of {', '.join(KINDS)}")
    report = load_path(path, kind=collection)
    for error in report.errors:
        err_console.print(f"[yellow]{error.file}:{error.line}[/yellow] {error.message}", highlight=False)
    if not report.entries:
        console.print("nothing to import")
        raise typer.Exit(1 if report.errors else 0)
    by_brand: dict[str, list[Entry]] = {}
    for entry in report.entries:
        by_brand.setdefault(entry.brand or brand, []).append(entry)
    try:
        store = _store()
        imported = 0
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("importing", total=len(report.entries))
            for name, entries in by_brand.items():
                for start in range(0, len(entries), 64):
                    imported += store.upsert(name, entries[start : start + 64])
                    progress.advance(task, len(entries[start : start + 64]))
    except KnowledgeError as exc:
        _fail(str(exc))
    kinds = sorted({e.kind for e in report.entries})
    console.print(
        f"imported {imported} entries into {', '.join(sorted(by_brand))} ({', '.join(kinds)}); "
        f"{len(report.errors)} rows with errors"
    )


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="A question, in French or English")],
    brand: Annotated[str, typer.Option()] = "default",
    lang: Annotated[str | None, typer.Option(help="Prefer entries in this language (fr, en)")] = None,
    k: Annotated[int, typer.Option("-k", "--k", min=1, max=50, help="How many passages")] = 5,
    mode: Annotated[str, typer.Option(help="hybrid, vector or keyword")] = "hybrid",
) -> None:
    """Search the knowledge base and print the passages with their scores."""
    if mode not in MODES:
        _fail(f"--mode must be one of {', '.join(MODES)}")
    try:
        retriever = build_retriever(get_settings(), _store())
        result = retriever.search(brand, query, k=k, lang=lang, mode=mode)  # type: ignore[arg-type]
    except (KnowledgeError, SettingsError) as exc:
        _fail(str(exc))
    table = Table(title=f"{brand}: {len(result.passages)} passages ({result.mode})")
    for column in ("score", "vector", "keyword", "id", "collection", "lang", "question"):
        table.add_column(column)
    for p in result.passages:
        table.add_row(
            f"{p.score:.3f}",
            "" if p.vector_score is None else f"{p.vector_score:.3f}",
            "" if p.keyword_score is None else f"{p.keyword_score:.3f}",
            p.id,
            p.collection,
            p.lang or "",
            p.question[:80],
        )
    console.print(table)
    if result.no_answer:
        console.print(f"[bold yellow]nothing good enough[/bold yellow] (best score under {result.threshold:.3f})")


@app.command()
def reindex(brand: Annotated[str | None, typer.Option(help="Only this brand (default: all)")] = None) -> None:
    """Re-embed the brand's collections with the current embedding model."""
    store = _store()
    brands = [brand] if brand else store.brands()
    for name in brands:
        console.print(f"{name}: {store.reindex(name)} entries reindexed with {store.vector_recipe}")


@app.command()
def delete(
    entry_id: Annotated[str, typer.Argument(metavar="ID")],
    brand: Annotated[str, typer.Option()] = "default",
    collection: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Delete an entry by id."""
    try:
        found = _store().delete(brand, entry_id, collection)
    except (KnowledgeError, ModelMismatchError) as exc:
        _fail(str(exc))
    if not found:
        _fail(f"no entry {entry_id!r} in brand {brand!r}")
    console.print(f"deleted {entry_id}")


def eval_retrieval(
    kb: Annotated[Path, typer.Option("--kb", help="kb.jsonl (or any knowledge file)")],
    comments: Annotated[Path, typer.Option("--comments")],
    labels: Annotated[Path, typer.Option("--labels")],
    json_: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON on the last line")] = False,
) -> None:
    """hit@1, hit@3, MRR and no-answer precision for vector, keyword and hybrid retrieval."""
    from knowledge.eval.retrieval import evaluate_modes  # deferred: only `eval retrieval` needs it

    for path in (kb, comments, labels):
        if not path.is_file():
            _fail(f"{path}: no such file")
    try:
        results = evaluate_modes(kb, comments, labels, MODES)
    except ValueError as exc:
        _fail(str(exc))
    table = Table(title="retrieval")
    keys = ("hit@1", "hit@3", "mrr", "no_answer_precision", "no_answer_recall", "no_answer_flagged")
    table.add_column("mode")
    headers = ("hit@1", "hit@3", "MRR", "no-ans P", "no-ans R", "flagged")  # short: fits 80 columns
    for header in headers:
        table.add_column(header, justify="right")
    for mode, metrics in results.items():
        table.add_row(mode, *(f"{metrics[k]:.3f}" if isinstance(metrics[k], float) else str(metrics[k]) for k in keys))
    console.print(table)
    hybrid = results["hybrid"]
    console.print(
        f"{hybrid['answerable']} comments with kb_ids, {hybrid['unanswerable']} without; "
        "no_answer_precision is 1.0 when nothing is flagged"
    )
    if json_:
        out: dict[str, float | int] = dict(hybrid)
        for mode in ("vector", "keyword"):
            out.update({f"{mode}_{k}": v for k, v in results[mode].items() if k in keys})
        print(json.dumps(out))
