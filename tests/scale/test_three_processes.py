"""Three `sowana serve` processes on one PostgreSQL database take 500 comments while one of them is
killed with SIGKILL half-way; the team approves everything. Nothing is lost, nothing is doubled: each
comment has exactly one review message in Slack and exactly one reply on the platform."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from tests.scale.cluster import run_cluster, wait_for

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
