"""Ingest throughput and p99 latency of `POST /api/comments`, beside a bare FastAPI endpoint.

Both servers run as separate uvicorn processes on loopback, measured in the same run with the
same client (httpx, N concurrent connections), in alternating rounds. The ratio is the figure that
matters. Durability is not traded for it: the 202 is sent after the comment's row is committed.
Also prints each server's peak RSS.

    uv run python bench/ingest.py [--requests 3000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-token"

BARE_APP = """
from fastapi import FastAPI, status
from bot.comments.ingest import CommentIn
app = FastAPI()

@app.post("/api/comments", status_code=status.HTTP_202_ACCEPTED)
def bare(data: CommentIn) -> dict:
    return {"id": 1, "state": "received", "duplicate": False}

@app.get("/healthz")
def health() -> dict:
    return {"status": "ok"}
"""

SOWANA_APP = """
from api.app import create_app
from bot.db import upgrade
from bot.settings import load_settings
settings = load_settings()
upgrade(settings.database_url)
app = create_app(settings, run_worker=False)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(module_code: str, workdir: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    (workdir / "benchapp.py").write_text(module_code)  # one folder per server: each has its benchapp
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "benchapp:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=workdir,
        env=env | {"PYTHONPATH": f"{workdir}:{ROOT}"},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # a loaded machine imports slowly
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


async def load(base: str, n: int, concurrency: int, tag: str) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as client:

        async def worker() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                body = {
                    "platform": "facebook",
                    "external_id": f"{tag}-{i}",
                    "author": {"id": f"u{i % 97}", "name": "Julie Tremblay"},
                    "text": f"Bonjour! Livrez-vous à Sherbrooke le jeudi? 😊 #{i}",
                }
                t0 = time.perf_counter()
                r = await client.post("/api/comments", json=body)
                latencies.append(time.perf_counter() - t0)
                if r.status_code != 202:
                    raise RuntimeError(f"{r.status_code}: {r.text}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started, latencies


def measure(env: dict[str, str], n: int, concurrency: int, rounds: int) -> dict[str, dict[str, float]]:
    """Both servers up side by side; rounds of load alternate between them, so a machine whose load
    changes during the run (other jobs) weighs on both alike and the ratio stays meaningful."""
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp_bare, tempfile.TemporaryDirectory() as tmp:
        env = env | {"SOWANA_DATABASE_URL": env.get("SOWANA_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"}
        servers = {"bare": start(BARE_APP, Path(tmp_bare), env), "sowana": start(SOWANA_APP, Path(tmp), env)}
        try:
            elapsed = dict.fromkeys(servers, 0.0)
            latencies: dict[str, list[float]] = {name: [] for name in servers}
            for name, (_proc, base) in servers.items():
                asyncio.run(load(base, min(200, n), concurrency, f"warm-{name}"))
            per_round = max(1, n // rounds)
            for r in range(rounds):
                for name, (_proc, base) in servers.items():
                    took, lat = asyncio.run(load(base, per_round, concurrency, f"{name}-{r}"))
                    elapsed[name] += took
                    latencies[name] += lat
            for name, (proc, _base) in servers.items():
                lat = sorted(latencies[name])
                results[name] = {
                    "rps": len(lat) / elapsed[name],
                    "p50_ms": statistics.median(lat) * 1000,
                    "p99_ms": lat[int(len(lat) * 0.99) - 1] * 1000,
                    "rss_mb": peak_rss_mb(proc.pid),
                }
        finally:
            for proc, _base in servers.values():
                proc.terminate()
                proc.wait(10)
    return results


def peak_rss_mb(pid: int) -> float:
    """The server process's high-water mark of resident memory (Linux /proc), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--rounds", type=int, default=6, help="alternating rounds of load per server")
    args = parser.parse_args()
    env = dict(os.environ) | {"SOWANA_API_TOKEN": TOKEN}
    if args.database_url:
        env["SOWANA_DATABASE_URL"] = args.database_url
    results = measure(env, args.requests, args.concurrency, args.rounds)
    bare, sowana = results["bare"], results["sowana"]
    db = args.database_url.split("@")[-1] if args.database_url else "sqlite (fresh file)"
    print(f"ingest benchmark: {args.requests} requests, {args.concurrency} concurrent, database {db}")
    print(f"{'endpoint':<24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'peak RSS MiB':>14}")
    for name, r in (("bare FastAPI", bare), ("POST /api/comments", sowana)):
        print(f"{name:<24}{r['rps']:>10.0f}{r['p50_ms']:>10.1f}{r['p99_ms']:>10.1f}{r['rss_mb']:>14.0f}")
    print(f"ratio: {sowana['rps'] / bare['rps']:.2f} of the bare endpoint's throughput")


if __name__ == "__main__":
    main()
