"""`sowana --version`, and `sowana serve --workers` refusing what cannot work with one clear line."""

from __future__ import annotations

from importlib.metadata import version

import pytest
from typer.testing import CliRunner

from api.cli import app
from bot.settings import get_settings

runner = CliRunner()


def test_version_prints_the_installed_release() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"sowana {version('sowana')}"


@pytest.mark.parametrize(
    "env",
    [
        {"SOWANA_DATABASE_URL": "sqlite:///./sowana.db"},  # SQLite: one writer
        {"SOWANA_DATABASE_URL": "postgresql://sowana@127.0.0.1:5432/sowana"},  # embedded Chroma: one process
    ],
)
def test_several_workers_need_postgres_and_a_chroma_server(env: dict[str, str], monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SOWANA_CHROMA_URL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    result = runner.invoke(app, ["serve", "--workers", "2"])
    get_settings.cache_clear()
    assert result.exit_code == 2
    assert "--workers above 1 needs" in result.output and "SOWANA_CHROMA_URL" in result.output
    assert not (tmp_path / "sowana.db").exists()  # refused before touching anything
