"""The README's production recipe: the systemd units parse, and what they start exists in this install
with the options they pass (`systemd-analyze verify`, with /opt/sowana pointed at this checkout)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted((ROOT / "deploy").glob("*.service"))
VENV = Path(sys.prefix)


def test_the_units_verify_against_this_install(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    assert [u.name for u in UNITS] == ["sowana-chroma.service", "sowana.service"]
    for unit in UNITS:
        text = (
            unit.read_text(encoding="utf-8").replace("/opt/sowana/.venv", str(VENV)).replace("/opt/sowana", str(ROOT))
        )
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    done = subprocess.run(
        [analyze, "verify", *(str(tmp_path / u.name) for u in UNITS)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def test_the_serve_command_of_the_unit_is_one_sowana_understands() -> None:
    line = next(
        line for line in (ROOT / "deploy/sowana.service").read_text().splitlines() if line.startswith("ExecStart=")
    )
    args = shlex.split(line.removeprefix("ExecStart="))[1:]
    assert args[0] == "serve" and "--workers" in args and "--proxy-headers" in args
    result = CliRunner().invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.output
