"""Comment → review message latency: from `POST /api/comments` to the review message in Slack.

One real `sowana serve` process (offline triage and drafting over the sample brand's knowledge), the
local Slack workspace with its rate limit off and Sowana's sender pacing lifted, storm mode off.
Comments are sent at a steady rate (default 5 a second, below the pipeline's capacity, so this is
latency and not queueing); the review message's Slack `ts` is the moment the workspace stored it.
Also prints the serve process's peak RSS (VmHWM).

    uv run python bench/pipeline_latency.py [--comments 200] [--rate 5] [--database-url postgresql://…]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.emulators.slack import RateLimit, WorkspaceConfig  # noqa: E402
from api.emulators.slack.client import WorkspaceClient, run_workspace  # noqa: E402
from api.emulators.slack.serving import free_port  # noqa: E402

TOKEN = "bench-token"
REVIEW = "C0REVIEW"
QUESTIONS = (
    "Livrez-vous à {place} le jeudi ?",
    "Do you deliver to {place} on Saturdays?",
    "Quels sont vos prix pour un panier familial à {place} ?",
    "Can I pause my basket while I am away from {place}?",
)
PLACES = ("Sherbrooke", "Québec", "Montréal", "Lévis", "Gatineau", "Rimouski", "Laval", "Magog")


def peak_rss_mb(pid: int) -> float:
    """The process's high-water mark of resident memory (Linux /proc), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def import_sample_kb(env: dict[str, str]) -> None:
    code = "from api.devserver import import_sample_knowledge; from bot.settings import load_settings; "
    code += "import_sample_knowledge(load_settings())"
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=200)
    parser.add_argument("--rate", type=float, default=5.0, help="comments a second")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        ws_config = WorkspaceConfig(request_url=f"{base}/slack/events", rate_limit=RateLimit(enabled=False))
        with run_workspace(ws_config) as ws_url, WorkspaceClient(ws_url, timeout=60) as ws:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("SOWANA_", "SLACK_", "META_", "X_"))}
            env |= {
                "SOWANA_DATABASE_URL": args.database_url or f"sqlite:///{tmp}/bench.db",
                "SOWANA_CHROMA_PATH": f"{tmp}/chroma",
                "SOWANA_API_TOKEN": TOKEN,
                "SLACK_BOT_TOKEN": ws_config.bot_token,
                "SLACK_SIGNING_SECRET": ws_config.signing_secret,
                "SLACK_API_URL": f"{ws_url}/api/",
                "SOWANA_REVIEW_CHANNEL": REVIEW,
                "SOWANA_SAC_CHANNEL": "C0SAC",
                "SOWANA_SLACK_POSTS_PER_SECOND": "1000",
                "SOWANA_SLACK_POST_BURST": "1000",
                "SOWANA_STORM_THRESHOLD": "0",
                "SOWANA_WORKER_POLL_SECONDS": "0.5",  # wake-ups, not polling, must carry the latency
                "PYTHONPATH": str(ROOT),
            }
            import_sample_kb(env)
            sowana = ROOT / ".venv" / "bin" / "sowana"
            log = Path(tmp) / "serve.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [str(sowana), "serve", "--port", str(port)], env=env, cwd=tmp, stdout=out, stderr=subprocess.STDOUT
                )
            try:
                latencies = run(base, ws, args.comments, args.rate)
                rss = peak_rss_mb(proc.pid)
            finally:
                proc.terminate()
                proc.wait(20)
    latencies.sort()
    db = args.database_url.split("@")[-1] if args.database_url else "sqlite (fresh file)"
    print(f"comment → review message: {len(latencies)} comments at {args.rate}/s, offline drafting, database {db}")
    print(f"  p50 {statistics.median(latencies) * 1000:.0f} ms   p95 {pct(latencies, 0.95) * 1000:.0f} ms", end="")
    print(f"   p99 {pct(latencies, 0.99) * 1000:.0f} ms   max {latencies[-1] * 1000:.0f} ms")
    print(f"  peak RSS of the sowana serve process: {rss:.0f} MiB")


def pct(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * q))]


def run(base: str, ws: WorkspaceClient, n: int, rate: float) -> list[float]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as api:
        deadline = time.monotonic() + 120
        while True:
            try:
                if api.get("/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("sowana serve did not start")
            time.sleep(0.2)
        # Warm-up: the first comments load the models.
        for i in range(5):
            send(api, f"warm-{i}", i)
        wait_messages(ws, 5, 120)
        sent: dict[int, float] = {}
        lock = threading.Lock()
        start = time.monotonic()
        for i in range(n):
            pause = start + i / rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            at = time.time()
            cid = send(api, f"lat-{i}", i)
            with lock:
                sent[cid] = at
    # Wait for each comment's own message (the channel may also get a digest or other notices).
    deadline = time.monotonic() + 300
    while True:
        posted: dict[int, float] = {}
        for m in ws.messages(REVIEW):
            found = re.search(r"cas #(\d+)", str(m.get("blocks")))
            if found and int(found.group(1)) in sent:
                posted[int(found.group(1))] = float(str(m["ts"]))
        missing = set(sent) - set(posted)
        if not missing:
            return [posted[cid] - sent[cid] for cid in sent]
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(missing)} comments never got a review message")
        time.sleep(0.5)


def send(api: httpx.Client, external_id: str, i: int) -> int:
    text = QUESTIONS[i % len(QUESTIONS)].format(place=PLACES[i % len(PLACES)]) + f" ({external_id})"
    body = {
        "platform": "facebook",
        "external_id": external_id,
        "author": {"id": f"u{i}", "name": "Julie"},
        "text": text,
    }
    r = api.post("/api/comments", json=body)
    r.raise_for_status()
    return int(r.json()["id"])


def wait_messages(ws: WorkspaceClient, count: int, timeout: float) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout
    while True:
        messages = ws.messages(REVIEW)
        if len(messages) >= count:
            return messages
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(messages)} of {count} review messages after {timeout:.0f}s")
        time.sleep(0.5)


if __name__ == "__main__":
    main()
