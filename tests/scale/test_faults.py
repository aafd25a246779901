"""Faults while two `sowana serve` processes work on one PostgreSQL database: the database unreachable
for a few seconds, Slack answering 500s, the platform answering 5xx. Each ends with every comment
handled exactly once: one review message in Slack, one reply on the platform.

The processes reach PostgreSQL through a TCP proxy the test cuts (every connection dropped, new ones
refused) and restores."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence

import pytest

from tests.scale.cluster import Cluster, TcpProxy, pg_upstream, run_cluster, through, wait_for


@pytest.fixture(scope="module")
def proxy(module_database_url: str) -> Iterator[TcpProxy]:
    proxy = TcpProxy(pg_upstream(module_database_url))
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def cluster(module_database_url: str, proxy: TcpProxy, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with run_cluster(
        module_database_url,
        tmp_path_factory.mktemp("faults"),
        processes=2,
        serve_database_url=through(module_database_url, proxy.port),
    ) as running:
        yield running


def assert_exactly_once(cluster: Cluster, external_ids: Sequence[str]) -> None:
    ids = cluster.comment_ids(external_ids)
    assert len(ids) == len(external_ids), "a comment acknowledged with a 200 was not stored"
    reviews = cluster.review_messages()
    counts = {cid: len(reviews.get(cid, [])) for cid in ids.values()}
    assert all(n == 1 for n in counts.values()), f"review messages per comment id: {counts}"
    replies = cluster.published_replies()
    published = {ext: replies.get(ext, 0) for ext in external_ids}
    assert all(n == 1 for n in published.values()), f"replies per comment: {published}"


def review_then_publish(cluster: Cluster, external_ids: Sequence[str]) -> None:
    ids = list(cluster.comment_ids(external_ids).values())
    assert len(ids) == len(external_ids)
    cluster.wait_states(ids, "posted")
    cluster.approve_all(ids)
    cluster.wait_states(ids, "published")


def test_database_unreachable_for_a_few_seconds_loses_and_doubles_nothing(cluster: Cluster, proxy: TcpProxy) -> None:
    sent: list[str] = []
    before = len(cluster.fired)
    sending = threading.Thread(target=lambda: sent.extend(cluster.fire_many("db", 40, threads=3)))
    sending.start()
    wait_for(lambda: len(cluster.fired) >= before + 10, timeout=120, what="first comments received", interval=0.05)
    proxy.cut()  # mid-intake and mid-work: webhooks get 5xx (Meta retries), loops lose their connections
    time.sleep(4)
    proxy.restore()
    sending.join(timeout=180)
    assert not sending.is_alive()

    ids = list(cluster.comment_ids(sent).values())
    cluster.wait_states(ids, "posted")
    approving = threading.Thread(target=cluster.approve_all, args=(ids,))
    approving.start()
    time.sleep(1)
    proxy.cut()  # again while decisions are recorded and replies published
    time.sleep(3)
    proxy.restore()
    approving.join(timeout=180)
    assert not approving.is_alive()
    cluster.wait_states(ids, "published")
    assert_exactly_once(cluster, sent)


def test_slack_answering_500s_for_a_while(cluster: Cluster) -> None:
    r = cluster.ws_admin.post(
        "/workspace/faults", json={"fail": 25, "status": 500, "methods": ["chat.postMessage", "chat.update"]}
    )
    assert r.status_code == 200
    sent = cluster.fire_many("slack", 30, threads=3)
    review_then_publish(cluster, sent)
    assert cluster.ws_admin.get("/workspace/faults").json()["failed"] == 25, "Slack's 500s were not all met"
    assert_exactly_once(cluster, sent)


def test_platform_answering_5xx_is_retried_by_the_outbox(cluster: Cluster) -> None:
    sent = cluster.fire_many("graph", 30, threads=3)
    ids = list(cluster.comment_ids(sent).values())
    cluster.wait_states(ids, "posted")
    faults = [{"status": 500}, {"status": 503, "retry_after": 1}, {"status": 502}] * 3
    assert cluster.graph.post("/_emulator/faults", json={"next": faults}).status_code == 200
    cluster.approve_all(ids)
    cluster.wait_states(ids, "published")
    calls = cluster.graph.get("/_emulator/calls").json()
    assert sum(1 for c in calls if c["status"] >= 500) == len(faults), "the platform's 5xx were not all met"
    assert_exactly_once(cluster, sent)
