"""Secrets in settings: never printed by accident (SecretStr), and read from files as containers and
Kubernetes provide them (`NAME_FILE`, or a file named NAME in SOWANA_SECRETS_DIR)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.platforms.signatures import meta_signature
from bot.brain import Brain
from bot.db import make_engine, upgrade
from bot.settings import SECRET_FIELDS, SettingsError, _alias, load_settings, reveal
from tests.servers import serve

VALUES = {name: f"s3cret-{name.replace('_', '-')}-0042" for name in SECRET_FIELDS}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith(("SOWANA_", "SLACK_", "META_", "X_")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_secrets_never_show_when_settings_are_printed_logged_or_dumped(caplog: pytest.LogCaptureFixture) -> None:
    url = "postgresql://sowana:db-password-0042@db:5432/sowana"
    settings = load_settings(database_url=url, **VALUES)
    caplog.set_level(logging.INFO)
    logging.getLogger("test").info("settings: %s / %r", settings, settings)
    shown = [str(settings), repr(settings), settings.model_dump_json(), json.dumps(settings.model_dump(), default=str)]
    shown.append(caplog.text)
    for text in shown:
        for value in VALUES.values():
            assert value not in text
        assert "db-password-0042" not in repr(settings) and "db-password-0042" not in str(settings)
    assert "**********" in settings.model_dump_json()  # masked where it is not left out
    assert {name: reveal(getattr(settings, name)) for name in SECRET_FIELDS} == VALUES  # where it is sent


def test_a_wrong_database_url_is_named_without_being_echoed() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(database_url="postgres ql://u:db-password-0042@x/y")
    assert "SOWANA_DATABASE_URL" in str(refused.value) and "db-password-0042" not in str(refused.value)


def test_an_empty_secret_is_unset() -> None:
    settings = load_settings(api_token="", slack_bot_token="  ")
    assert settings.api_token is None and settings.slack_bot_token is None


def test_name_file_variables_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in VALUES.items():
        path = tmp_path / f"{name}.txt"
        path.write_text(value + "\n", encoding="utf-8")  # as `echo` writes it
        monkeypatch.setenv(f"{_alias(name)}_FILE", str(path))
    (tmp_path / "db.txt").write_text(f"sqlite:///{tmp_path}/from-file.db\n", encoding="utf-8")
    monkeypatch.setenv("SOWANA_DATABASE_URL_FILE", str(tmp_path / "db.txt"))
    settings = load_settings()
    assert {name: reveal(getattr(settings, name)) for name in SECRET_FIELDS} == VALUES
    assert settings.database_url == f"sqlite:///{tmp_path}/from-file.db"


def test_a_secrets_directory_is_read_and_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "secrets"
    folder.mkdir()
    (folder / "META_APP_SECRET").write_text("meta-from-dir", encoding="utf-8")
    (folder / "x_consumer_secret").write_text("x-from-dir\n", encoding="utf-8")  # Kubernetes keys are often lower case
    (folder / "SOWANA_API_TOKEN").write_text("token-from-dir", encoding="utf-8")
    monkeypatch.setenv("SOWANA_SECRETS_DIR", str(folder))
    monkeypatch.setenv("SOWANA_API_TOKEN", "token-from-env")
    settings = load_settings()
    assert reveal(settings.meta_app_secret) == "meta-from-dir"
    assert reveal(settings.x_consumer_secret) == "x-from-dir"
    assert reveal(settings.api_token) == "token-from-env"
    assert settings.slack_bot_token is None


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-a", "SLACK_BOT_TOKEN_FILE": "{tmp}/t"}, "SLACK_BOT_TOKEN and SLACK_BOT_TOKEN_FILE"),
        ({"META_APP_SECRET_FILE": "{tmp}/missing"}, "META_APP_SECRET_FILE: cannot read"),
        ({"SOWANA_SECRETS_DIR": "{tmp}/nowhere"}, "SOWANA_SECRETS_DIR"),
    ],
)
def test_a_wrong_secret_file_stops_start_up_with_one_line(env: dict[str, str], needle: str, tmp_path: Path) -> None:
    (tmp_path / "t").write_text("xoxb-b", encoding="utf-8")
    environ = {k: v.format(tmp=tmp_path) for k, v in env.items()}
    result = CliRunner().invoke(cli, ["db", "upgrade"], env=environ)
    assert result.exit_code == 2
    assert needle in result.output and "xoxb-a" not in result.output and "xoxb-b" not in result.output


def test_a_webhook_checks_signatures_with_the_secret_read_from_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "meta").write_text("meta-secret-in-a-file\n", encoding="utf-8")
    monkeypatch.setenv("META_APP_SECRET_FILE", str(tmp_path / "meta"))
    url = f"sqlite:///{tmp_path}/s.db"
    upgrade(url)
    engine = make_engine(url)
    app = create_app(load_settings(database_url=url), engine=engine, run_worker=False, brain=Brain())
    body = json.dumps({"object": "page", "entry": []}).encode()
    with serve(app) as base:
        good = httpx.post(
            f"{base}/webhooks/meta",
            content=body,
            headers={"X-Hub-Signature-256": meta_signature("meta-secret-in-a-file", body)},
        )
        bad = httpx.post(
            f"{base}/webhooks/meta",
            content=body,
            headers={"X-Hub-Signature-256": meta_signature("meta-secret-in-a-file\n", body)},
        )
    engine.dispose()
    assert good.status_code == 200 and bad.status_code == 403
