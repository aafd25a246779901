"""Several real `sowana serve` processes on one PostgreSQL database and one Chroma server (`chroma run`),
with the local Slack workspace and the Graph API (and X API) emulators served by the test on loopback —
the product as an operator scales it out.

Comments arrive as signed Meta webhooks fired by the emulator at one process or another (as a load
balancer would spread them); a delivery that fails is sent again to another process, as Meta retries.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlmodel import col

from api.devserver import DEV_IG_ID, DEV_PAGE_ID, DEV_SECRETS
from api.emulators.graph import create_graph_emulator
from api.emulators.slack import RateLimit, WorkspaceConfig
from api.emulators.slack.client import WorkspaceClient, WorkspaceClientError, run_workspace, wait_for
from api.emulators.slack.serving import free_port, serve_in_thread
from api.emulators.x import create_x_emulator
from bot.db import make_engine, upgrade
from bot.models import Comment
from tests.servers import SOWANA, chroma_server_process, sowana_env

API_TOKEN = "scale-token-11"
REVIEW, SAC, CM = "C0REVIEW", "C0SAC", "U0CM"
X_USER = "4400"  # the brand's X account, whose mentions are polled
T = TypeVar("T")

# Distinct, ordinary questions: nothing a triage would hide, escalate or group as near-identical.
TOPICS = (
    "Livrez-vous à {place} le {day} ?",
    "Do you deliver to {place} on {day}?",
    "Quels sont vos prix pour un panier familial à {place} ?",
    "Can I pause my basket while I am away from {place} until {day}?",
    "Est-ce que les légumes du panier de {day} viennent de fermes près de {place} ?",
    "How do I change my pick-up point to {place} for {day}?",
)
PLACES = ("Sherbrooke", "Québec", "Montréal", "Lévis", "Gatineau", "Trois-Rivières", "Rimouski", "Laval", "Magog")
DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def question(i: int) -> str:
    topic = TOPICS[i % len(TOPICS)]
    return topic.format(place=PLACES[(i // len(TOPICS)) % len(PLACES)], day=DAYS[i % len(DAYS)]) + f" (#{i})"


@dataclass
class ServeProcess:
    index: int
    port: int
    log: Path
    proc: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Cluster:
    database_url: str
    engine: Engine
    processes: list[ServeProcess]
    ws: WorkspaceClient
    ws_admin: httpx.Client  # the workspace's control routes (faults)
    graph: httpx.Client
    tmp: Path
    x: httpx.Client | None = None  # the X emulator (with `x_poll_seconds`)
    fired: list[str] = field(default_factory=list)  # external ids of the comments sent
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next: int = 0

    def live(self) -> list[ServeProcess]:
        return [p for p in self.processes if p.alive]

    def kill(self, index: int) -> None:
        """SIGKILL: no shutdown hook runs, leases stay behind, in-flight work is cut."""
        proc = self.processes[index].proc
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)

    # -- comments in ------------------------------------------------------------------------

    def fire(self, external_id: str, text: str, *, patience: float = 60.0, to: int | None = None) -> None:
        """One Facebook comment as a signed webhook to a live process (round robin, or process `to` while
        it lives); a failed delivery goes to the next process, again and again, as Meta retries until a 200."""
        body = {
            "platform": "facebook",
            "page_id": DEV_PAGE_ID,
            "comment_id": external_id,
            "post_id": f"{DEV_PAGE_ID}_777",
            "text": text,
            "from": {"id": f"fb-{external_id}", "name": "Julie Tremblay"},
        }
        deadline = time.monotonic() + patience
        while True:
            with self._lock:
                self._next += 1
                turn = self._next
            live = self.live()
            if to is not None and self.processes[to].alive:
                live = [self.processes[to]]
            if live:
                target = live[turn % len(live)]
                try:
                    r = self.graph.post("/_emulator/fire", json=body | {"webhook_url": f"{target.base}/webhooks/meta"})
                    if r.status_code == 200 and r.json().get("status") == 200:
                        with self._lock:
                            self.fired.append(external_id)
                        return
                except httpx.HTTPError:
                    pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"no process accepted comment {external_id}")
            time.sleep(0.2)

    def fire_many(self, prefix: str, count: int, *, threads: int = 4, start: int = 0) -> list[str]:
        ids = [f"777_{prefix}{i:05d}" for i in range(start, start + count)]
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda pair: self.fire(pair[1], question(pair[0])), enumerate(ids, start)))
        return ids

    # -- reading the outcome -----------------------------------------------------------------

    def comment_ids(self, external_ids: Sequence[str]) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(col(Comment.external_id), col(Comment.id)).where(col(Comment.external_id).in_(external_ids))
            ).all()
        return {str(ext): cid for ext, cid in rows if cid is not None}

    def states(self, comment_ids: Sequence[int]) -> Counter[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(col(Comment.state)).where(col(Comment.id).in_(comment_ids))).scalars().all()
        return Counter(rows)

    def review_messages(self) -> dict[int, list[dict[str, Any]]]:
        """Review messages in the channel, by the comment id each one is about."""
        found: dict[int, list[dict[str, Any]]] = {}
        for message in self.ws.messages(REVIEW):
            match = re.search(r"cas #(\d+)", str(message.get("blocks")))
            if match:
                found.setdefault(int(match.group(1)), []).append(message)
        return found

    def published_replies(self) -> Counter[str]:
        """How many replies the platform received for each comment (its external id)."""
        published = self.graph.get("/_emulator/published").json()
        return Counter(p["target"] for p in published if p["kind"] == "reply")

    def wait_states(self, comment_ids: Sequence[int], state: str, stall: float = 90.0, limit: float = 900.0) -> None:
        """Wait until every comment is in `state`; fail when none has moved for `stall` seconds (work is
        stuck), not after a fixed time (a loaded machine is slow, not wrong)."""
        deadline = time.monotonic() + limit
        best, moved = -1, time.monotonic()
        while True:
            counts = self.states(comment_ids)
            done = counts.get(state, 0)
            if done == len(comment_ids):
                return
            if done > best:
                best, moved = done, time.monotonic()
            now = time.monotonic()
            if now - moved > stall or now > deadline:
                stuck = f"stuck at {dict(counts)} for {now - moved:.0f}s"
                raise AssertionError(f"{len(comment_ids)} comments {state}: {stuck}\n{self.logs()}")
            time.sleep(0.5)

    def stepped(self, index: int, comment_id: int, step: str) -> bool:
        """Whether process `index` ran this step of the comment (its log: "comment 12: triaged → proposed")."""
        return f"comment {comment_id}: {step}" in self.processes[index].log.read_text(errors="replace")

    def api(self, index: int) -> httpx.Client:
        """The HTTP API of process `index`, signed in with the API token."""
        return httpx.Client(
            base_url=self.processes[index].base, headers={"Authorization": f"Bearer {API_TOKEN}"}, timeout=60
        )

    def logs(self) -> str:
        return "\n".join(f"--- sowana serve #{p.index} (alive={p.alive}) ---\n{p.tail()}" for p in self.processes)

    # -- the team at work --------------------------------------------------------------------

    def approve_all(self, comment_ids: Sequence[int], *, threads: int = 4) -> None:
        """Camille clicks Approuver on the first proposal of each comment's review message."""
        wanted = set(comment_ids)
        messages = {cid: msgs[0] for cid, msgs in self.review_messages().items() if cid in wanted}
        missing = wanted - set(messages)
        assert not missing, f"no review message for comments {sorted(missing)[:10]}"

        def click(message: dict[str, Any]) -> None:
            value = next(
                el["value"]
                for block in message.get("blocks") or []
                for el in block.get("elements") or []
                if isinstance(el, dict) and el.get("action_id") == "approve_reply"
            )
            with WorkspaceClient(self.ws.base_url, timeout=60) as ws:
                for attempt in range(10):  # the bot answered an error: the user clicks again, as in Slack
                    try:
                        delivery = ws.click(CM, REVIEW, message["ts"], "approve_reply", value=value)
                    except WorkspaceClientError as exc:
                        if attempt and exc.error == "action_not_found":
                            return  # the earlier click went through after all: the button is gone
                        raise
                    if any(a.get("status") == 200 for a in delivery.get("attempts") or []):
                        return
                    time.sleep(1)
            raise AssertionError(f"approve of {message['ts']} never went through: {delivery}")

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(click, messages.values()))


def _env(
    cluster_db: str, ws_url: str, ws_config: WorkspaceConfig, graph: str, chroma_url: str, extra: dict[str, str]
) -> dict[str, str]:
    return (
        sowana_env()
        | extra
        | {
            "SOWANA_DATABASE_URL": cluster_db,
            "SOWANA_CHROMA_URL": chroma_url,
            "SOWANA_API_TOKEN": API_TOKEN,
            "SLACK_BOT_TOKEN": ws_config.bot_token,
            "SLACK_SIGNING_SECRET": ws_config.signing_secret,
            "SLACK_API_URL": f"{ws_url}/api/",
            "SOWANA_REVIEW_CHANNEL": REVIEW,
            "SOWANA_SAC_CHANNEL": SAC,
            "SOWANA_APPROVERS": "S0APPROVERS",
            "META_APP_SECRET": DEV_SECRETS["meta_app_secret"],
            "META_VERIFY_TOKEN": DEV_SECRETS["meta_verify_token"],
            "META_PAGE_TOKEN": DEV_SECRETS["meta_page_token"],
            "META_GRAPH_URL": f"{graph}/v21.0",
            "META_PAGE_IDS": f"{DEV_PAGE_ID},{DEV_IG_ID}",
            "SOWANA_WORKER_POLL_SECONDS": "0.1",
            "SOWANA_LEASE_SECONDS": "6",
            # Slack's pace and storm grouping have their own tests (tests/flows/test_storm.py): here every
            # comment gets its own message, as fast as the workspace (rate limit off) takes them.
            "SOWANA_SLACK_POSTS_PER_SECOND": "1000",
            "SOWANA_SLACK_POST_BURST": "1000",
            "SOWANA_STORM_THRESHOLD": "0",
        }
    )


@contextmanager
def run_cluster(
    database_url: str,
    tmp: Path,
    processes: int = 3,
    *,
    serve_database_url: str | None = None,
    x_poll_seconds: float | None = None,
    env: dict[str, str] | None = None,
    ws_faults: dict[str, Any] | None = None,
    slack_request_url: str | None = None,
) -> Iterator[Cluster]:
    """`processes` × `sowana serve` sharing `database_url` (reached at `serve_database_url` if given, e.g.
    through a proxy the test can cut) and one Chroma server, one local Slack workspace, one Graph API
    emulator; with `x_poll_seconds`, an X API emulator whose mentions every process is set to poll.
    `env` adds to the processes' settings; `ws_faults` is set on the workspace before any process
    starts; `slack_request_url` replaces the first process as where Slack sends events (e.g. a TcpProxy)."""
    upgrade(database_url)
    ports = [free_port() for _ in range(processes)]
    first = f"http://127.0.0.1:{ports[0]}"
    with ExitStack() as stack:
        (tmp / "chroma").mkdir(exist_ok=True)
        chroma = stack.enter_context(chroma_server_process(tmp / "chroma"))
        extra: dict[str, str] = {}
        x_url: str | None = None
        if x_poll_seconds is not None:
            x_url = stack.enter_context(
                serve_in_thread(
                    create_x_emulator(
                        consumer_secret=DEV_SECRETS["x_consumer_secret"],
                        bearer_token=DEV_SECRETS["x_bearer_token"],
                        user_id=X_USER,
                        username="panierboreal",
                    ),
                    port=free_port(),
                )
            )
            extra = {
                "X_BEARER_TOKEN": DEV_SECRETS["x_bearer_token"],
                "X_CONSUMER_SECRET": DEV_SECRETS["x_consumer_secret"],
                "X_API_URL": f"{x_url}/2",
                "X_USER_ID": X_USER,
                "SOWANA_X_POLL_SECONDS": str(x_poll_seconds),
            }
        graph = stack.enter_context(
            serve_in_thread(
                create_graph_emulator(
                    app_secret=DEV_SECRETS["meta_app_secret"],
                    page_token=DEV_SECRETS["meta_page_token"],
                    webhook_url=f"{first}/webhooks/meta",  # the page's own replies come back here
                ),
                port=free_port(),
            )
        )
        # Slack sends interactivity to one request URL (behind a load balancer): the first process.
        ws_config = WorkspaceConfig(
            request_url=slack_request_url or f"{first}/slack/events",
            rate_limit=RateLimit(enabled=False),
            event_retry_delays_s=(0.5, 2.0, 5.0),
        )
        ws_url = stack.enter_context(run_workspace(ws_config))
        if ws_faults:
            httpx.post(f"{ws_url}/workspace/faults", json=ws_faults, timeout=30).raise_for_status()
        procs: list[ServeProcess] = []
        for i, port in enumerate(ports):
            log = tmp / f"serve-{i}.log"
            handle = stack.enter_context(log.open("wb"))
            proc = subprocess.Popen(
                [str(SOWANA), "serve", "--host", "127.0.0.1", "--port", str(port)],
                cwd=tmp,
                env=_env(serve_database_url or database_url, ws_url, ws_config, graph, chroma.url, extra | (env or {})),
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
            procs.append(ServeProcess(i, port, log, proc))
        stack.callback(_stop_all, procs)
        for p in procs:
            _wait_healthy(p)
        engine = make_engine(database_url)
        stack.callback(engine.dispose)
        yield Cluster(
            database_url=database_url,
            engine=engine,
            processes=procs,
            ws=stack.enter_context(WorkspaceClient(ws_url, timeout=60)),
            ws_admin=stack.enter_context(httpx.Client(base_url=ws_url, timeout=30)),
            graph=stack.enter_context(httpx.Client(base_url=graph, timeout=60)),
            tmp=tmp,
            x=stack.enter_context(httpx.Client(base_url=x_url, timeout=30)) if x_url else None,
        )


def _wait_healthy(p: ServeProcess, timeout: float = 120.0) -> None:
    def up() -> bool:
        if not p.alive:
            raise AssertionError(f"sowana serve #{p.index} exited with {p.proc.returncode}:\n{p.tail()}")
        try:
            return httpx.get(f"{p.base}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(up, timeout, f"sowana serve #{p.index} healthy")
    except TimeoutError as exc:
        raise AssertionError(f"{exc}\n{p.tail()}") from None


def _stop_all(procs: list[ServeProcess]) -> None:
    for p in procs:
        if p.alive:
            p.proc.terminate()
    for p in procs:
        try:
            p.proc.wait(15)
        except subprocess.TimeoutExpired:
            p.proc.kill()
            p.proc.wait(5)


class TcpProxy:
    """A loopback TCP proxy in front of PostgreSQL that the test can cut (every connection dropped,
    new ones refused at once) and restore: the database "unreachable for a few seconds"."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self._cut = threading.Event()
        self._closed = threading.Event()
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, name="pg-proxy", daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self._cut.is_set():
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns |= {client, server}
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                self._close(s)

    def _close(self, s: socket.socket) -> None:
        with self._lock:
            self._conns.discard(s)
        with suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)
        s.close()

    def cut(self) -> None:
        self._cut.set()
        with self._lock:
            conns = list(self._conns)
        for s in conns:
            self._close(s)

    def restore(self) -> None:
        self._cut.clear()

    def close(self) -> None:
        self._closed.set()
        self.cut()
        self.listener.close()


def pg_upstream(database_url: str) -> tuple[str, int]:
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    return url.host or "127.0.0.1", int(url.port or 5432)


def through(database_url: str, port: int) -> str:
    from sqlalchemy.engine import make_url

    return make_url(database_url).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


def scalar(engine: Engine, sql: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()
