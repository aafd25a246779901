"""The `sowana` command line (Typer)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.commands import drafts, kb, triage
from api.commands.ingest import count_records, ingest_file
from bot.db import make_engine, upgrade
from bot.settings import Settings, SettingsError, load_settings

app = typer.Typer(help="Sowana: reply proposals for community managers, in Slack.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure triage, retrieval and drafting on labelled files.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(eval_app, name="eval")

console = Console(stderr=True)


def settings_or_exit(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        _config_error(exc)
        raise typer.Exit(2) from None


def _config_error(exc: SettingsError) -> None:
    # One plain line naming the variable, never wrapped: operators grep for it.
    sys.stderr.write(f"sowana: configuration error: {exc}\n")


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply database migrations (idempotent)."""
    settings = settings_or_exit()
    upgrade(settings.database_url, revision)
    console.print(f"database at {revision}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the API and the worker (production). Migrates the database first."""
    # deferred: the server and the whole app load only for the command that serves them
    import uvicorn

    from api.app import create_app

    settings = settings_or_exit()
    _configure_logging()
    upgrade(settings.database_url)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@app.command()
def dev(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run everything locally on embedded defaults: API, worker and SQLite."""
    from api.devserver import run_dev  # deferred: the emulators load only for `sowana dev`

    settings = settings_or_exit()
    _configure_logging()
    run_dev(settings, host=host, port=port)


@app.command("ingest")
def ingest_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSONL or CSV of generic comments.")],
    brand: Annotated[str | None, typer.Option(help="Brand for rows that name none.")] = None,
) -> None:
    """Import comments from a JSONL or CSV export (same external id twice: stored once)."""
    settings = settings_or_exit()
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    total = count_records(file)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task(f"importing {file.name}", total=total)
        report = ingest_file(engine, file, brand=brand, progress=lambda: progress.advance(task))
    for line, message in report.errors:
        console.print(f"{file}:{line}: {message}", highlight=False, markup=False)
    typer.echo(f"{report.created} imported, {report.duplicates} already known, {len(report.errors)} errors")
    if report.errors and not (report.created or report.duplicates):
        raise typer.Exit(1)


app.add_typer(kb.app, name="kb", help="Knowledge base: import, search, reindex.")
eval_app.command("retrieval")(kb.eval_retrieval)
eval_app.command("triage")(triage.eval_triage)
eval_app.command("drafts")(drafts.eval_drafts)


def main() -> None:
    try:
        app()
    except SettingsError as exc:  # settings read lazily inside a command
        _config_error(exc)
        sys.exit(2)
