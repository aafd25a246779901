"""An operator configures Sowana from `.env.example` and the README's table: neither may drift from the
settings the code reads. A setting added to `Settings` without a line in both fails here."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from pydantic import AliasChoices

from bot.settings import SECRETS_DIR_VARIABLE, Settings

ROOT = Path(__file__).resolve().parents[2]
_NAME = re.compile(r"\b((?:SOWANA|SLACK|META|X)_[A-Z0-9_]+)\b")


@cache
def _variables() -> frozenset[str]:
    names = {SECRETS_DIR_VARIABLE}
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        if isinstance(alias, str):
            names.add(alias)
        elif isinstance(alias, AliasChoices):
            names.update(str(choice) for choice in alias.choices)
    return frozenset(names)


def _unfile(name: str) -> str:
    """`SLACK_BOT_TOKEN_FILE` documents the file form of `SLACK_BOT_TOKEN` (but `SOWANA_BRANDS_FILE` is its own)."""
    base = name.removesuffix("_FILE")
    return base if name not in _variables() and base in _variables() else name


def _env_example_names() -> set[str]:
    names = set()
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        match = re.match(r"#?\s*([A-Z][A-Z0-9_]+)=", line.strip())
        if match:
            names.add(_unfile(match.group(1)))
    return names


def _readme_table_names() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    names: set[str] = set()
    for line in text.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names.update(_unfile(name) for name in _NAME.findall(first_cell))
    return names


def test_every_setting_has_a_line_in_env_example() -> None:
    missing = sorted(_variables() - _env_example_names())
    assert not missing, f"add these to .env.example: {missing}"


def test_env_example_names_only_settings_the_code_reads() -> None:
    unknown = sorted(_env_example_names() - _variables())
    assert not unknown, f".env.example names settings the code does not read: {unknown}"


def test_every_setting_is_in_the_readme_table() -> None:
    missing = sorted(_variables() - _readme_table_names())
    assert not missing, f"add these to the README's settings table: {missing}"


def test_the_readme_table_names_only_settings_the_code_reads() -> None:
    unknown = sorted(_readme_table_names() - _variables())
    assert not unknown, f"the README's settings table names settings the code does not read: {unknown}"
