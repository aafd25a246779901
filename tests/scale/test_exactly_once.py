"""Exactly once across a SIGKILL. A daily digest posted by one `sowana serve` process that is killed after
Slack accepted the post and before the process recorded it is posted once, not twice — the other process
finds it in the channel (its metadata names the job) and records it.

The local Slack workspace serves the `chat.postMessage` (the digest is in the channel) and withholds the
answer; the test kills the process that is waiting for it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlmodel import col, select

from bot.db import session_scope
from bot.models import Decision, DigestRun, SlackOutgoing
from tests.scale.cluster import CM, REVIEW, Cluster, TcpProxy, run_cluster, wait_for

DIGEST = "Daily digest"


def digests(cluster: Cluster) -> list[dict[str, Any]]:
    return [m for m in cluster.ws.messages(REVIEW) if DIGEST in m.get("text", "")]


def digest_job(cluster: Cluster) -> SlackOutgoing | None:
    with session_scope(cluster.engine) as s:
        return s.exec(select(SlackOutgoing).where(col(SlackOutgoing.key).startswith("digest:"))).first()


def test_a_digest_is_posted_once_when_its_process_is_killed_between_post_and_record(
    scale_database_url: str, tmp_path: Path
) -> None:
    with run_cluster(
        scale_database_url,
        tmp_path,
        processes=2,
        env={"SOWANA_DIGEST_TIME": "00:00", "SOWANA_INSIGHTS_POLL_SECONDS": "0.5"},
        ws_faults={"hold": 1, "methods": ["chat.postMessage"]},
    ) as cluster:
        posted = wait_for(lambda: digests(cluster), 120, "the digest in the review channel")
        job = digest_job(cluster)
        assert job is not None and job.status == "pending" and job.lease_owner
        pid = int(job.lease_owner.rsplit(":", 1)[1])
        sender = next(p for p in cluster.processes if p.proc.pid == pid)
        cluster.kill(sender.index)  # Slack has the message; its process never learns the ts
        cluster.ws_admin.delete("/workspace/faults").raise_for_status()

        def recorded() -> SlackOutgoing | None:
            found = digest_job(cluster)
            return found if found is not None and found.status == "sent" else None

        sent = wait_for(recorded, 180, "the digest recorded by the surviving process")
        assert sent.ts == posted[0]["ts"]  # adopted, not posted again
        assert len(digests(cluster)) == 1
        with session_scope(cluster.engine) as s:
            runs = s.exec(select(DigestRun)).all()
        assert [(r.status, r.channel) for r in runs] == [("queued", REVIEW)]
        survivor = next(p for p in cluster.processes if p.index != sender.index)
        assert survivor.alive


def test_a_reaction_survives_a_kill_between_the_event_and_the_ack(scale_database_url: str, tmp_path: Path) -> None:
    """✅ on a review message while the process that got the event is stuck recording it (the test holds
    the comment's row); the process is killed before it answers Slack. Slack's retry, routed by the load
    balancer to the other process, approves it: one approval, one reply on the platform."""
    balancer = TcpProxy(("127.0.0.1", 9))  # pointed at a process once they are up
    try:
        with run_cluster(
            scale_database_url,
            tmp_path,
            processes=2,
            slack_request_url=f"http://127.0.0.1:{balancer.port}/slack/events",
        ) as cluster:
            first, second = cluster.processes
            balancer.upstream = ("127.0.0.1", first.port)
            cluster.fire("react-1", "Livrez-vous à Sherbrooke le samedi ?")
            cid = cluster.comment_ids(["react-1"])["react-1"]
            cluster.wait_states([cid], "posted")
            message = cluster.review_messages()[cid][0]
            with cluster.engine.connect() as held:
                held.execute(text("SELECT id FROM comment WHERE id = :id FOR UPDATE"), {"id": cid})
                cluster.ws.react(CM, REVIEW, message["ts"], "white_check_mark")
                wait_for(lambda: waiting_on_a_lock(cluster), 60, "the first process recording the reaction")
                balancer.upstream = ("127.0.0.1", second.port)  # the load balancer's next pick
                cluster.kill(first.index)
                held.rollback()
            cluster.wait_states([cid], "published")
            assert cluster.published_replies() == Counter({"react-1": 1})
            with session_scope(cluster.engine) as s:
                approvals = s.exec(select(Decision).where(col(Decision.comment_id) == cid)).all()
            assert [(d.action, d.actor) for d in approvals] == [("approve", CM)]
    finally:
        balancer.close()


def waiting_on_a_lock(cluster: Cluster) -> bool:
    """A session of the cluster's database waits for the comment's row lock the test holds."""
    query = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND query ILIKE '%FROM comment%'"
    )
    with cluster.engine.connect() as conn:
        return bool(conn.execute(text(query)).scalar_one())
