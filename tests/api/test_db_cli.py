"""`sowana db`: where the schema stands, whether the models and the migrations agree (CI runs the check
on every model change), and a downgrade that asks first — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel
from typer.testing import CliRunner

from api.cli import app
from bot.db import current_revision, head_revision, make_engine, schema_differences, upgrade
from bot.models import NAMING_CONVENTION
from bot.settings import get_settings

runner = CliRunner()


@pytest.fixture
def db(empty_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SOWANA_DATABASE_URL", empty_database_url)
    get_settings.cache_clear()
    yield empty_database_url
    get_settings.cache_clear()


def sowana(*args: str, input: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["db", *args], input=input)
    return result.exit_code, result.output


def test_current_says_behind_until_upgraded_then_check_passes(db: str) -> None:
    code, out = sowana("current")
    assert code == 0 and f"empty (head {head_revision()}, behind" in out
    assert sowana("check")[0] == 1  # an empty database is not at head
    assert sowana("upgrade")[0] == 0
    assert f"{head_revision()} (head {head_revision()}, up to date)" in sowana("current")[1]
    code, out = sowana("check")
    assert code == 0, out
    assert "models and migrations agree" in out


def test_a_model_changed_without_a_migration_is_reported(db: str) -> None:
    upgrade(db)
    changed = sa.MetaData(naming_convention=NAMING_CONVENTION)
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["comment"].append_column(sa.Column("mood", sa.String(20)))
    sa.Table("note", changed, sa.Column("id", sa.Integer, primary_key=True))
    engine = make_engine(db)
    try:
        assert sorted(schema_differences(engine, changed)) == ["add_column comment.mood", "add_table note"]
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def test_downgrade_asks_first_and_upgrade_comes_back(db: str) -> None:
    upgrade(db)
    code, out = sowana("downgrade", "0001", input="n\n")
    assert code == 1 and "nothing changed" in out
    engine = make_engine(db)
    try:
        assert current_revision(engine) == head_revision()
        assert sowana("downgrade", "0001", input="y\n")[0] == 0
        assert current_revision(engine) == "0001"
        assert not sa.inspect(engine).has_table("slackoutgoing")  # a table of 0002
        assert sowana("upgrade")[0] == 0 and sowana("check")[0] == 0
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


# PostgreSQL named constraints by itself before the convention; SQLite's older constraints have no name.
@pytest.mark.postgres
@pytest.mark.parametrize("empty_database_url", ["postgres"], indirect=True)
def test_an_older_postgres_database_gets_the_conventional_constraint_names(db: str) -> None:
    upgrade(db, "0002")
    engine = make_engine(db)
    try:
        with engine.begin() as conn:  # what a database created before the naming convention holds
            for table, new, old in [
                ("comment", "pk_comment", "comment_pkey"),
                ("escalation", "uq_escalation_comment_id", "escalation_comment_id_key"),
                ("proposal", "fk_proposal_comment_id_comment", "proposal_comment_id_fkey"),
            ]:
                conn.execute(sa.text(f'ALTER TABLE {table} RENAME CONSTRAINT "{new}" TO "{old}"'))
        upgrade(db)
        with engine.connect() as conn:
            names = set(conn.scalars(sa.text("SELECT conname FROM pg_constraint")))
        assert {"pk_comment", "uq_escalation_comment_id", "fk_proposal_comment_id_comment"} <= names
        assert not {"comment_pkey", "escalation_comment_id_key", "proposal_comment_id_fkey"} & names
        assert "uq_comment_brand_platform_external" in names  # our own names stay
    finally:
        engine.dispose()
