"""The `sowana` command line (Typer)."""

from __future__ import annotations

import sys
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.commands import drafts, kb, privacy, triage
from api.commands.ingest import count_records, ingest_file
from bot.db import (
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    schema_behind,
    schema_differences,
    upgrade,
)
from bot.logs import configure as configure_logs
from bot.settings import Settings, SettingsError, load_settings

app = typer.Typer(help="Sowana: reply proposals for community managers, in Slack.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure triage, retrieval and drafting on labelled files.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(eval_app, name="eval")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"sowana {package_version('sowana')}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Sowana: reply proposals for community managers, in Slack."""


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


def _configure_logging(settings: Settings) -> None:
    configure_logs(settings.log_format)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply database migrations (idempotent)."""
    settings = settings_or_exit()
    upgrade(settings.database_url, revision)
    console.print(f"database at {revision}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision and this release's newest."""
    settings = settings_or_exit()
    engine = make_engine(settings.database_url)
    try:
        current, head = current_revision(engine), head_revision()
    finally:
        engine.dispose()
    state = "up to date" if current == head else "behind: run `sowana db upgrade`"
    typer.echo(f"{current or 'empty'} (head {head}, {state})")


@db_app.command("check")
def db_check() -> None:
    """Fail when the database is not at head or the models and the migrations differ (CI runs it)."""
    settings = settings_or_exit()
    engine = make_engine(settings.database_url)
    try:
        behind = schema_behind(engine)
        if behind:
            console.print(behind, markup=False)
            raise typer.Exit(1)
        differences = schema_differences(engine)
    finally:
        engine.dispose()
    if differences:
        console.print("the models and the migrations differ (write a migration):")
        for line in differences:
            console.print(f"  {line}", markup=False)
        raise typer.Exit(1)
    typer.echo(f"models and migrations agree at {head_revision()}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision (e.g. -1 or 0001).")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Take the schema back to an earlier revision; what the later migrations added is dropped."""
    settings = settings_or_exit()
    question = f"Downgrade the database to {revision}? Data in dropped tables and columns is lost"
    if not yes and not typer.confirm(question):
        console.print("nothing changed")
        raise typer.Exit(1)
    downgrade(settings.database_url, revision)
    console.print(f"database at {revision}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="Processes (each runs the API and the background work; PostgreSQL needed).")
    ] = 1,
    proxy_headers: Annotated[
        bool,
        typer.Option(help="Trust X-Forwarded-Proto/For from --forwarded-allow-ips (behind a TLS proxy)."),
    ] = False,
    forwarded_allow_ips: Annotated[
        str, typer.Option(help="Proxy addresses whose X-Forwarded-* headers are trusted, comma-separated, or *.")
    ] = "127.0.0.1",
) -> None:
    """Run the API and the worker (production). Migrates the database first."""
    # deferred: the server and the whole app load only for the command that serves them
    import uvicorn

    settings = settings_or_exit()
    if workers > 1 and (settings.is_sqlite or not settings.chroma_url):
        # SQLite takes one writer and embedded Chroma one process: several need PostgreSQL and a Chroma server.
        console.print(
            "--workers above 1 needs SOWANA_DATABASE_URL on PostgreSQL and SOWANA_CHROMA_URL (a Chroma server)"
        )
        raise typer.Exit(2)
    _configure_logging(settings)
    upgrade(settings.database_url)
    uvicorn.run(
        "api.app:create_app",  # each worker process builds its own app from the same environment
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
        log_level="info",
        log_config=None,  # uvicorn's loggers go to the handler of SOWANA_LOG_FORMAT
    )


@app.command()
def dev(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run everything locally on embedded defaults: API, worker and SQLite."""
    from api.devserver import run_dev  # deferred: the emulators load only for `sowana dev`

    settings = settings_or_exit()
    _configure_logging(settings)
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
app.add_typer(privacy.app, name="privacy", help="A person's data: export it, erase it.")
eval_app.command("retrieval")(kb.eval_retrieval)
eval_app.command("triage")(triage.eval_triage)
eval_app.command("drafts")(drafts.eval_drafts)


def main() -> None:
    try:
        app()
    except SettingsError as exc:  # settings read lazily inside a command
        _config_error(exc)
        sys.exit(2)
