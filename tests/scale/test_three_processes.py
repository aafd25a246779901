"""Several `sowana serve` processes on one PostgreSQL database and one Chroma server, as in production.

Three take 500 comments while one of them is killed with SIGKILL half-way; the team approves everything.
Nothing is lost, nothing is doubled: each comment has exactly one review message in Slack and exactly one
reply on the platform. Two share one truth: an FAQ answer edited and a triage corrected through one are
used by the other within seconds, and only one polls X, the other taking over when it dies."""

from __future__ import annotations

import functools
import os
import threading
import time
from pathlib import Path

from sqlalchemy import select
from sqlmodel import col

from bot.models import Proposal, TriageRecord
from tests.scale.cluster import CM, REVIEW, X_USER, Cluster, run_cluster, scalar, wait_for

COMMENTS = int(os.environ.get("SOWANA_SCALE_COMMENTS", "500"))


def test_three_processes_one_killed_every_comment_reviewed_and_published_exactly_once(
    scale_database_url: str, tmp_path: Path
) -> None:
    t0 = time.monotonic()
    with run_cluster(scale_database_url, tmp_path, processes=3) as cluster:
        print(f"\n3 processes up in {time.monotonic() - t0:.1f}s")
        sending = threading.Thread(target=lambda: cluster.fire_many("k", COMMENTS, threads=6))
        sending.start()
        # Half-way through the intake, with work claimed and in flight everywhere: SIGKILL one process.
        wait_for(
            lambda: len(cluster.fired) >= COMMENTS // 2, timeout=120, what="half the comments received", interval=0.05
        )
        cluster.kill(2)
        sending.join(timeout=300)
        assert not sending.is_alive(), "the comments could not all be delivered"
        assert len(set(cluster.fired)) == COMMENTS

        ids = cluster.comment_ids(cluster.fired)
        assert len(ids) == COMMENTS, "a comment acknowledged with a 200 was not stored"
        # The dead process's leases expire and the two survivors finish its work.
        cluster.wait_states(list(ids.values()), "posted")
        print(f"{COMMENTS} comments sent, one process killed, all posted for review at {time.monotonic() - t0:.1f}s")

        cluster.approve_all(list(ids.values()))
        cluster.wait_states(list(ids.values()), "published")
        print(f"all approved and published at {time.monotonic() - t0:.1f}s")

        reviews = cluster.review_messages()
        doubled = {cid: len(reviews.get(cid, [])) for cid in ids.values() if len(reviews.get(cid, [])) != 1}
        assert not doubled, f"comments without exactly one review message (comment id: count): {doubled}"
        assert set(reviews) == set(ids.values()), "a review message about a comment that was never sent"

        replies = cluster.published_replies()
        wrong = {ext: replies.get(ext, 0) for ext in ids if replies.get(ext, 0) != 1}
        assert not wrong, f"comments without exactly one published reply (external id: count): {wrong}"
        assert sum(replies.values()) == COMMENTS


# -- several processes, one truth: knowledge, corrections and the X poller shared -----------------------

PICKUP = "pickup-hours"
OLD_HOURS, NEW_HOURS = "de 16 h à 19 h", "de 15 h à 18 h 30"
SETTLED = {"posted", "escalated"}
SHARED_WITHIN = 5.0  # seconds: the promise under test, every process works from a change made elsewhere


def _pickup(hours: str) -> dict[str, object]:
    return {
        "question": "À quelle heure passer chercher mon panier ?",
        "answer": f"La collecte des paniers se fait le jeudi {hours} au marché Jean-Talon.",
        "lang": "fr",
        "collection": "faq",
    }


def _handled_by(cluster: Cluster, index: int, step: str, prefix: str, text: str) -> int:
    """Send comments to process `index` until it ran `step` on one (the other process may win the claim);
    the id of that comment, once settled (posted for review, or escalated when triaged as a complaint)."""
    for n in range(12):
        external = f"777_{prefix}{n}"
        cluster.fire(external, f"{text} (#{n})", to=index)
        cid = cluster.comment_ids([external])[external]
        wait_for(functools.partial(_settled, cluster, cid), timeout=120, what=f"comment {cid} settled")
        if cluster.stepped(index, cid, step):
            return cid
    raise AssertionError(f"process {index} never ran {step} on 12 comments sent to it\n{cluster.logs()}")


def _settled(cluster: Cluster, comment_id: int) -> bool:
    return bool(set(cluster.states([comment_id])) & SETTLED)


def _proposals(cluster: Cluster, comment_id: int) -> str:
    with cluster.engine.connect() as conn:
        rows = conn.execute(select(col(Proposal.text)).where(col(Proposal.comment_id) == comment_id)).scalars().all()
    return "\n".join(rows)


def _intent(cluster: Cluster, comment_id: int) -> str:
    with cluster.engine.connect() as conn:
        result = conn.execute(
            select(col(TriageRecord.result)).where(col(TriageRecord.comment_id) == comment_id)
        ).scalar_one()
    return str(result["intent"])


def _mention_polls(cluster: Cluster) -> list[float]:
    assert cluster.x is not None
    calls = cluster.x.get("/_emulator/calls").json()
    return sorted(c["at"] for c in calls if c["path"] == f"/2/users/{X_USER}/mentions")


def test_two_processes_share_knowledge_corrections_and_one_x_poller(scale_database_url: str, tmp_path: Path) -> None:
    interval = 2.0
    with run_cluster(scale_database_url, tmp_path, processes=2, x_poll_seconds=interval) as cluster:
        a, b = 0, 1  # Slack's request URL is process 0's
        ask = "Bonjour, à quelle heure je peux passer chercher mon panier au marché ?"

        # Knowledge: an FAQ answer written through A, drafted from by B ...
        with cluster.api(a) as api:
            assert api.put(f"/api/knowledge/{PICKUP}", json=_pickup(OLD_HOURS)).status_code == 200
        first = _handled_by(cluster, b, "triaged → proposed", "kb_old", ask)
        assert OLD_HOURS in _proposals(cluster, first)
        # ... then edited through A (same id, same count of entries): B drafts from the new text.
        with cluster.api(a) as api:
            assert api.put(f"/api/knowledge/{PICKUP}", json=_pickup(NEW_HOURS)).status_code == 200
        time.sleep(SHARED_WITHIN)
        later = _handled_by(cluster, b, "triaged → proposed", "kb_new", ask)
        drafted = _proposals(cluster, later)
        assert NEW_HOURS in drafted and OLD_HOURS not in drafted, drafted

        # A triage correction made in Slack (handled by A) changes B's triage of a similar comment.
        payment = "Est-ce que je peux payer mon panier avec une carte Visa prépayée"
        shown = _handled_by(cluster, a, "received → triaged", "fix", payment)
        assert _intent(cluster, shown) == "question"
        review = cluster.review_messages()[shown][0]
        delivery = cluster.ws.select(CM, REVIEW, review["ts"], "correct_triage", "intent:complaint")
        assert any(x.get("status") == 200 for x in delivery.get("attempts") or []), delivery
        time.sleep(SHARED_WITHIN)
        similar = _handled_by(cluster, b, "received → triaged", "fixed", payment)
        assert _intent(cluster, similar) == "complaint"

        # X: one poll per interval across both processes, whoever holds the lease ...
        polls = _mention_polls(cluster)
        assert len(polls) >= 3, polls
        gaps = [later - earlier for earlier, later in zip(polls, polls[1:], strict=False)]
        assert min(gaps) >= interval, f"two polls within {interval}s: {gaps}"
        # ... and polling goes on when the poller's process is killed.
        holder = scalar(cluster.engine, "SELECT owner FROM namedlease WHERE name = 'x-mentions'")
        pid = int(str(holder).split(":")[1])
        [dead] = [p.index for p in cluster.processes if p.proc.pid == pid]
        cluster.kill(dead)
        assert cluster.x is not None
        author = {"id": "8801", "name": "Chloé Gagnon", "username": "chloe_g"}
        mention = {"author": author, "text": "@panierboreal vous livrez à Lévis ?", "deliver": "store"}
        tweet = str(cluster.x.post("/_emulator/fire", json=mention).json()["id"])
        wait_for(lambda: bool(cluster.comment_ids([tweet])), timeout=120, what="the mention polled by the survivor")
        polls = _mention_polls(cluster)
        gaps = [later - earlier for earlier, later in zip(polls, polls[1:], strict=False)]
        assert min(gaps) >= interval, f"two polls within {interval}s: {gaps}"
