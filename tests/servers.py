"""Real servers on loopback for tests: an ASGI app in a thread (one helper, shared with `sowana dev`),
a Chroma server (`chroma run` from this venv) and `sowana serve` in processes of their own."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.emulators.slack.serving import free_port
from api.emulators.slack.serving import serve_in_thread as serve

__all__ = ["ChromaServer", "chroma_server_process", "free_port", "serve", "sowana_serve", "sowana_env"]

SOWANA = Path(sys.executable).with_name("sowana")


def sowana_env(**values: str) -> dict[str, str]:
    """This environment without any Sowana, Slack, Meta or X setting of the machine's, plus `values`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOWANA_", "SLACK_", "META_", "X_"))}
    return env | {"PYTHONUNBUFFERED": "1"} | values


@contextmanager
def sowana_serve(env: dict[str, str], cwd: Path, log: Path) -> Iterator[str]:
    """A real `sowana serve` on a free port, its output in `log`; its base URL once `/healthz` answers 200.
    Terminated on exit."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(SOWANA), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "sowana serve did not come up"
                time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=30)


@dataclass
class ChromaServer:
    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


@contextmanager
def chroma_server_process(data: Path) -> Iterator[ChromaServer]:
    """`chroma run` on a free port, answering its heartbeat; stopped on exit. Skips loudly when the
    executable is missing or the server does not start (server mode then goes untested)."""
    exe = shutil.which("chroma", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("SKIPPED LOUDLY: the `chroma` executable is not in the venv; server mode untested")
    port = free_port("127.0.0.1")
    log = (data / "server.log").open("w")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    server = ChromaServer(f"http://127.0.0.1:{port}", proc)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{server.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.skip(f"SKIPPED LOUDLY: `chroma run` did not start: {(data / 'server.log').read_text()[-500:]}")
            time.sleep(0.2)
        yield server
    finally:
        server.stop()
        log.close()
