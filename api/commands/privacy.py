"""`sowana privacy erase|export --brand B --platform P --author-id ID` (registered by api/cli.py)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from bot.db import make_engine, upgrade
from bot.models import Platform
from bot.privacy.erase import Eraser, Person
from bot.privacy.export import export_person
from bot.settings import Settings, SettingsError, get_settings, reveal
from bot.slack.review import make_web_client

app = typer.Typer(help="A person's data: export it, erase it.", no_args_is_help=True)

BrandOpt = Annotated[str, typer.Option(help="The brand the person wrote to.")]
PlatformOpt = Annotated[Platform, typer.Option(help="facebook, instagram, x or other.")]
AuthorOpt = Annotated[str, typer.Option("--author-id", help="The person's id on that platform.")]


def _settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as exc:  # one plain line naming the variable, as `sowana` says it elsewhere
        typer.echo(f"sowana: configuration error: {exc}", err=True)
        raise typer.Exit(2) from None


def _eraser(settings: Settings) -> Eraser:
    """Database, Chroma and Slack. A running server's triage model forgets the corrections at its next
    look (they are gone from the database). The store is opened first: refused (an embedded store a
    running `sowana serve` holds), nothing is erased."""
    from knowledge.store import StoreInUseError, open_store  # deferred: Chroma loads only to erase

    try:
        store = open_store(settings.chroma_path, settings.chroma_url, **settings.chroma_client())
    except StoreInUseError as exc:
        typer.echo(
            f"sowana: {exc}. Rien n'est effacé : passez par DELETE /api/authors/… du serveur qui tourne · "
            "nothing was erased: use the running server's DELETE /api/authors/…",
            err=True,
        )
        raise typer.Exit(1) from None
    token = reveal(settings.slack_bot_token)
    slack: Any = make_web_client(token, settings.slack_api_url) if token else None  # waits out 429s
    return Eraser(make_engine(settings.database_url), store=store, slack=slack)


@app.command("erase")
def erase(brand: BrandOpt, platform: PlatformOpt, author_id: AuthorOpt) -> None:
    """Erase everything about one person with one brand; prints what was erased, by kind (JSON)."""
    settings = _settings()
    upgrade(settings.database_url)
    counts = _eraser(settings).erase_person(Person(brand, platform.value, author_id), actor="cli")
    typer.echo(json.dumps({"brand": brand, "platform": platform.value, "erased": counts}, ensure_ascii=False))


@app.command("export")
def export(brand: BrandOpt, platform: PlatformOpt, author_id: AuthorOpt) -> None:
    """Print everything Sowana holds about one person with one brand, as one JSON document."""
    settings = _settings()
    upgrade(settings.database_url)
    document = export_person(make_engine(settings.database_url), Person(brand, platform.value, author_id))
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
