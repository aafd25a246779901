"""Real servers on loopback for tests: an ASGI app in a thread (one helper, shared with `sowana dev`),
and a Chroma server (`chroma run` from this venv) in a process of its own."""

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

__all__ = ["ChromaServer", "chroma_server_process", "free_port", "serve"]


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
