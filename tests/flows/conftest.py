"""The whole product on loopback: the Sowana app (Bolt, worker, outbox) and the local Slack workspace."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.emulators.slack import RateLimit, WorkspaceConfig
from api.emulators.slack.client import WorkspaceClient, run_workspace
from api.emulators.slack.serving import free_port, serve_in_thread
from bot.brain import Brain
from bot.comments.publisher import CommentRef, Published, PublishError
from bot.comments.steps import ProposalSpec
from bot.models import Comment
from bot.settings import load_settings
from bot.slack.services import PersonaInfo

API_TOKEN = "flow-token-123"
REVIEW, SAC = "C0REVIEW", "C0SAC"
CM, SAC_AGENT, GUEST = "U0CM", "U0SAC", "U0GUEST"
PERSONAS = (
    PersonaInfo("informatif", "Sérieux et exact · serious"),
    PersonaInfo("espiegle", "Taquin · playful", 2),
    PersonaInfo("empathique", "Pour les moments durs · for hard moments"),
)


def simple_drafter(comment: Comment, triage: dict[str, Any] | None, persona: str) -> Sequence[ProposalSpec]:
    """Stands in for knowledge's drafting in these Slack-side tests (drafting is tested on its own)."""
    first = comment.author_name.split()[0]
    return [
        ProposalSpec(
            text=f"Bonjour {first}, merci ! Voici la réponse ({persona}).",
            kind="serious",
            persona=persona,
            cited_ids=["zones"],
        ),
        ProposalSpec(
            text=f"Merci {first} ! Réponse courte ({persona}).",
            kind="serious",
            persona=persona,
            cited_ids=["zones"],
            variant="alternative",
        ),
    ]


@dataclass
class CountingPublisher:
    """A platform at the edge: counts calls so exactly-once can be asserted; can be told to fail."""

    replies: list[tuple[str, str]] = field(default_factory=list)
    hides: list[tuple[str, bool]] = field(default_factory=list)
    fail_with: PublishError | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reply(self, comment: CommentRef, text: str) -> Published:
        with self.lock:
            if self.fail_with:
                raise self.fail_with
            self.replies.append((comment.external_id, text))
            return Published(
                platform_id=f"reply-{len(self.replies)}", url=f"https://example.test/r/{len(self.replies)}"
            )

    def find_reply(self, comment: CommentRef, text: str) -> Published | None:
        return None  # a stand-in that answers every call: nothing is ever ambiguous

    def private_reply(self, comment: CommentRef, text: str) -> Published:
        return self.reply(comment, text)

    def hide(self, comment: CommentRef, hidden: bool = True) -> None:
        with self.lock:
            self.hides.append((comment.external_id, hidden))

    def delete(self, comment: CommentRef) -> None:
        return None


@dataclass
class Flow:
    ws: WorkspaceClient
    api: httpx.Client
    publisher: CountingPublisher
    engine: Any
    counter: int = 0
    app: Any = None

    def comment(self, text: str, *, author: str = "Julie Tremblay", platform: str = "facebook") -> int:
        self.counter += 1
        r = self.api.post(
            "/api/comments",
            json={
                "platform": platform,
                "external_id": f"flow-{self.counter}-{abs(hash(text))}",
                "author": {"id": f"a{self.counter}", "name": author},
                "text": text,
            },
        )
        assert r.status_code == 202, r.text
        return int(r.json()["id"])

    def case(self, comment_id: int) -> dict[str, Any]:
        return dict(self.api.get(f"/api/comments/{comment_id}").json())

    def wait_state(self, comment_id: int, state: str, timeout: float = 15.0) -> dict[str, Any]:
        return self.ws.wait_for(
            lambda: (c := self.case(comment_id))["state"] == state and c,
            timeout=timeout,
            what=f"comment {comment_id} in state {state}",
        )

    def review_message(self, comment_id: int, timeout: float = 15.0) -> dict[str, Any]:
        def find() -> dict[str, Any] | None:
            for m in self.ws.messages(REVIEW):
                if f"cas #{comment_id}" in str(m.get("blocks")) and _has_action(m, "approve_reply"):
                    return m
            return None

        found = self.ws.wait_for(find, timeout=timeout, what=f"review message of comment {comment_id}")
        self.wait_state(comment_id, "posted")  # the message is posted just before the state records it
        return found

    def message(self, ts: str, channel: str = REVIEW) -> dict[str, Any]:
        return next(m for m in self.ws.messages(channel) if m["ts"] == ts)


def _has_action(message: dict[str, Any], action_id: str) -> bool:
    return action_id in action_ids(message)


def action_ids(message: dict[str, Any]) -> list[str]:
    found = []
    for block in message.get("blocks") or []:
        for el in block.get("elements") or []:
            if isinstance(el, dict) and "action_id" in el:
                found.append(el["action_id"])
        acc = block.get("accessory")
        if isinstance(acc, dict) and "action_id" in acc:
            found.append(acc["action_id"])
    return found


def button_value(message: dict[str, Any], action_id: str, index: int = 0) -> str:
    values = [
        el["value"]
        for b in message.get("blocks") or []
        for el in b.get("elements") or []
        if isinstance(el, dict) and el.get("action_id") == action_id
    ]
    return str(values[index])


@contextmanager
def run_flow(
    database_url: str, engine: Any, drafter: Any = None, *, clock: Any = None, brain: Any = None, **overrides: Any
) -> Iterator[Flow]:
    port = free_port()
    ws_config = WorkspaceConfig(
        request_url=f"http://127.0.0.1:{port}/slack/events",
        rate_limit=RateLimit(enabled=False),
        event_retry_delays_s=(0.3, 1.0, 2.0),
    )
    publisher = CountingPublisher()
    with run_workspace(ws_config) as ws_url:
        settings = load_settings(
            database_url=database_url,
            **ws_config.app_settings(ws_url),
            review_channel=REVIEW,
            sac_channel=SAC,
            api_token=API_TOKEN,
            approvers=["S0APPROVERS"],
            worker_poll_seconds=0.05,
            **overrides,
        )
        brain = brain or Brain(drafter=drafter or simple_drafter, personas=lambda: PERSONAS)
        extra = {"clock": clock} if clock is not None else {}
        app = create_app(settings, engine=engine, brain=brain, publisher_for=lambda _b, _p: publisher, **extra)
        with (
            serve_in_thread(app, port=port) as base,
            WorkspaceClient(ws_url) as ws,
            httpx.Client(base_url=base, headers={"Authorization": f"Bearer {API_TOKEN}"}, timeout=30) as api,
        ):
            yield Flow(ws=ws, api=api, publisher=publisher, engine=engine, app=app)


@pytest.fixture
def flow(database_url, engine) -> Iterator[Flow]:
    with run_flow(database_url, engine) as running:
        yield running
