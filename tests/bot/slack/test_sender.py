"""The Slack sender against the real local workspace on loopback, its rate limit on: pace, priority,
Retry-After, crash recovery, a pace shared by processes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from api.emulators.slack import RateLimit, WorkspaceConfig
from api.emulators.slack.client import WorkspaceClient, run_workspace
from bot.db import make_engine, session_scope
from bot.models import SlackChannelRate, SlackOutgoing
from bot.slack.pace import gcra
from bot.slack.queue import enqueue_in, priority_rank
from bot.slack.sender import SenderConfig, SlackSender, make_sender_client, message_metadata

TOKEN = WorkspaceConfig().bot_token
REVIEW, SAC = "C0REVIEW", "C0SAC"


def plain(job: SlackOutgoing) -> tuple[str, list[dict[str, Any]] | None]:
    return job.text or "", job.blocks


@pytest.fixture
def slack() -> Iterator[WorkspaceClient]:
    config = WorkspaceConfig(request_url=None, rate_limit=RateLimit(enabled=True, per_second=5.0, burst=2))
    with run_workspace(config) as url, WorkspaceClient(url) as ws:
        yield ws


def sender(engine: Engine, ws: WorkspaceClient, owner: str, **config: Any) -> SlackSender:
    return SlackSender(
        engine,
        make_sender_client(TOKEN, ws.api_url),
        plain,
        config=SenderConfig(**({"per_second": 5.0, "burst": 2} | config)),
        owner=owner,
    )


def texts(ws: WorkspaceClient, channel: str) -> list[str]:
    return [m["text"] for m in ws.messages(channel)]


def queue(engine: Engine, channel: str, text: str, priority: str = "normal", key: str | None = None) -> int:
    with session_scope(engine, write=True) as s:
        job = enqueue_in(
            s, brand="default", channel=channel, kind="message", key=key or text, text=text, priority=priority
        )
        assert job.id is not None
        return job.id


def test_pace_allows_a_burst_then_spaces_messages() -> None:
    wait, tat = gcra(0.0, 100.0, per_second=1.0, burst=3)
    assert wait == 0.0
    for _ in range(2):
        wait, tat = gcra(tat, 100.0, 1.0, 3)
        assert wait == 0.0  # the burst
    wait, _ = gcra(tat, 100.0, 1.0, 3)
    assert wait == pytest.approx(1.0)  # then one a second
    wait, _ = gcra(tat, 101.0, 1.0, 3)
    assert wait == 0.0
    assert [priority_rank(p) for p in ("urgent", "high", None, "low", "weird")] == [0, 1, 2, 3, 2]


def test_urgent_messages_leave_first_and_each_exactly_once(engine: Engine, slack: WorkspaceClient) -> None:
    for i in range(4):
        queue(engine, REVIEW, f"normal {i}")
    queue(engine, REVIEW, "low 0", "low")
    queue(engine, REVIEW, "urgent 0", "urgent")
    queue(engine, REVIEW, "high 0", "high")
    queue(engine, REVIEW, "normal 0")  # the same key again: queued once
    sender(engine, slack, "p1").drain(timeout=60)
    assert texts(slack, REVIEW) == ["urgent 0", "high 0", "normal 0", "normal 1", "normal 2", "normal 3", "low 0"]


def test_retry_after_is_honoured_and_nothing_is_lost(engine: Engine, slack: WorkspaceClient) -> None:
    # Configured faster than Slack allows: Slack answers 429s, the sender waits them out.
    fast = sender(engine, slack, "p1", per_second=100.0, burst=20)
    for i in range(12):
        queue(engine, REVIEW, f"m{i:02d}")
    fast.drain(timeout=90)
    assert fast.rate_limited > 0
    assert texts(slack, REVIEW) == [f"m{i:02d}" for i in range(12)]
    with session_scope(engine) as s:
        rate = s.get(SlackChannelRate, REVIEW)
        assert rate is not None and rate.blocked_until > 0  # the Retry-After was recorded for every process
        assert {j.status for j in s.exec(select(SlackOutgoing)).all()} == {"sent"}


def test_a_rate_limited_channel_does_not_hold_up_another(engine: Engine, slack: WorkspaceClient) -> None:
    with session_scope(engine, write=True) as s:
        s.add(SlackChannelRate(channel=REVIEW, tat=0.0, blocked_until=time.time() + 3600))  # e.g. a long Retry-After
    queue(engine, REVIEW, "review waits")
    queue(engine, SAC, "sac goes")
    one = sender(engine, slack, "p1")
    deadline = time.monotonic() + 30
    while not texts(slack, SAC) and time.monotonic() < deadline:
        one.run_once()
        time.sleep(0.05)
    assert texts(slack, SAC) == ["sac goes"]
    assert texts(slack, REVIEW) == []
    with session_scope(engine) as s:
        waiting = s.exec(select(SlackOutgoing).where(col(SlackOutgoing.channel) == REVIEW)).one()
        assert waiting.status == "pending" and waiting.started_at is None  # kept, not dropped


def _crash_mid_send(engine: Engine, ws: WorkspaceClient, job_id: int, *, posted: bool) -> None:
    """What a process SIGKILLed mid-send leaves: the intent recorded (and maybe the message in Slack),
    the job still leased by the dead process, its ts never recorded."""
    dead = sender(engine, ws, "dead-process")
    assert dead.claim(REVIEW) == job_id
    recovering, job = dead._begin(job_id)
    assert job is not None and not recovering and job.started_at is not None
    if posted:
        WebClient(token=TOKEN, base_url=ws.api_url).chat_postMessage(
            channel=REVIEW, text=job.text or "", metadata=message_metadata(job)
        )
    with session_scope(engine, write=True) as s:  # the dead process's lease runs out
        row = s.get(SlackOutgoing, job_id)
        assert row is not None
        row.lease_until = row.started_at
        s.add(row)


@pytest.mark.parametrize("posted", [True, False], ids=["killed-after-post", "killed-before-post"])
def test_a_send_cut_by_a_crash_ends_with_exactly_one_message(
    engine: Engine, slack: WorkspaceClient, posted: bool
) -> None:
    queue(engine, REVIEW, "before")
    sender(engine, slack, "p0").drain()  # the channel has history before the send
    job_id = queue(engine, REVIEW, "the one")
    _crash_mid_send(engine, slack, job_id, posted=posted)
    survivor = sender(engine, slack, "survivor")
    survivor.drain(timeout=60)
    ours = [m for m in slack.messages(REVIEW) if m["text"] == "the one"]
    assert len(ours) == 1
    with session_scope(engine) as s:
        row = s.get(SlackOutgoing, job_id)
        assert row is not None and row.status == "sent" and row.ts == ours[-1]["ts"]
    assert survivor.sent == (0 if posted else 1)  # found in Slack by its metadata: not posted again


def test_processes_share_each_channel_pace(database_url: str, slack: WorkspaceClient) -> None:
    """Two processes (two engines, two senders) on one channel: the pace is the channel's, stored in
    the database, so together they keep Slack's pace and post each message once."""
    engines = [make_engine(database_url), make_engine(database_url)]
    try:
        for i in range(12):
            queue(engines[0], REVIEW, f"x{i:02d}")
        senders = [sender(e, slack, f"proc-{n}", per_second=5.0, burst=1) for n, e in enumerate(engines)]
        errors: list[BaseException] = []

        def run(one: SlackSender) -> None:
            try:
                one.drain(timeout=90)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(one,)) for one in senders]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors
        assert sorted(texts(slack, REVIEW)) == [f"x{i:02d}" for i in range(12)]
        assert all(one.sent > 0 for one in senders)  # both took part
        # Together they kept one channel's pace (5/s): 12 messages span at least ~11 intervals of 0.2 s
        # (two unshared paces would post them twice as fast). A load can only slow them further.
        stamps = sorted(float(m["ts"]) for m in slack.messages(REVIEW))
        assert stamps[-1] - stamps[0] >= 1.6
    finally:
        for e in engines:
            e.dispose()
