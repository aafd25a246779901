"""A reply the platform accepted but answered too late (a time-out after it was published) exists once on
the platform and once in the database: the publisher does not retry it blindly, and the outbox reads the
comment's replies back before trying again, adopting ours when it is there."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.platforms.http import make_client
from api.platforms.meta import MetaPublisher
from api.platforms.x import XPublisher
from bot.comments import decisions
from bot.comments.outbox import Outbox
from bot.comments.publisher import CommentRef, Publisher
from bot.models import Comment, Publication, State
from bot.runtime.retry import RetryPolicy as OutboxRetry
from tests.api.platforms.conftest import FB_PAGE, PAGE_TOKEN, X_TOKEN
from tests.api.platforms.test_meta_publisher import FAST, fb_comment, published
from tests.bot.rows import posted_comment, state_of


@pytest.fixture
def meta(graph_only: str) -> Iterator[MetaPublisher]:
    # A client that gives up before the emulator's late answer comes, as Sowana's 10 s would before Graph's.
    client = make_client(f"{graph_only}/v21.0", timeout=httpx.Timeout(1.0))
    pub = MetaPublisher(graph_url=f"{graph_only}/v21.0", page_token=PAGE_TOKEN, policy=FAST, client=client)
    yield pub
    pub.close()


def approved_reply(engine, graph: httpx.Client, text: str) -> tuple[CommentRef, int]:
    """A Facebook comment on the brand's page, in Sowana with its reply approved; (ref, comment id)."""
    ref = fb_comment(graph, text)
    assert ref.post_id and ref.post_id.startswith(f"{FB_PAGE}_")
    comment_id, (proposal_id,) = posted_comment(engine, ref.external_id)
    with Session(engine) as s:
        s.execute(update(Comment).where(col(Comment.id) == comment_id).values(post_id=ref.post_id))
        s.commit()
    decisions.approve(engine, proposal_id, "U0CM")
    return ref, comment_id


def drain(engine, publisher: Publisher) -> None:
    Outbox(engine, lambda _b, _p: publisher, retry=OutboxRetry(max_attempts=5, base_delay=0.0)).drain(timeout=30)


def replies_to(graph: httpx.Client, external_id: str) -> list[dict[str, Any]]:
    """The replies the emulated platform holds under this comment."""
    return [p for p in published(graph) if p["kind"] == "reply" and p["target"] == external_id]


def publications(engine: Engine, comment_id: int) -> list[Publication]:
    with Session(engine) as s:
        return list(s.exec(select(Publication).where(col(Publication.comment_id) == comment_id)).all())


def test_a_reply_accepted_then_timed_out_exists_once_on_the_platform_and_in_the_database(
    engine, graph: httpx.Client, meta: MetaPublisher
):
    ref, comment_id = approved_reply(engine, graph, "Livrez-vous à Gatineau le samedi ?")
    graph.post("/_emulator/faults", json={"next": [{"kind": "accepted_then_timeout", "delay": 3}]})
    drain(engine, meta)

    replies = replies_to(graph, ref.external_id)
    assert len(replies) == 1
    pubs = publications(engine, comment_id)
    assert [(p.status, p.platform_id) for p in pubs] == [("published", replies[0]["id"])]
    assert pubs[0].attempts == 2  # the lost answer, then the read-back that adopted it
    assert state_of(engine, comment_id) == State.published


def test_a_reply_that_never_left_is_posted_on_the_next_try(engine, graph: httpx.Client, meta: MetaPublisher):
    """The read-back finds nothing (the platform refused the first try): the reply is posted, once."""
    ref, comment_id = approved_reply(engine, graph, "Do you deliver to Gatineau?")
    graph.post("/_emulator/faults", json={"next": [{"kind": "usage_limit", "regain_minutes": 60}]})
    drain(engine, meta)

    replies = replies_to(graph, ref.external_id)
    assert len(replies) == 1
    [pub] = publications(engine, comment_id)
    assert (pub.status, pub.platform_id, pub.attempts) == ("published", replies[0]["id"], 2)


def test_an_x_reply_accepted_then_timed_out_exists_once_on_x_and_in_the_database(engine, x_only: str):
    with httpx.Client(base_url=x_only, timeout=10) as xapi:
        xapi.post("/_emulator/reset")
        fired = xapi.post(
            "/_emulator/fire",
            json={
                "text": "@panierboreal vous livrez à Lévis ?",
                "author": {"id": "77", "name": "Chloé", "username": "chloe"},
            },
        ).json()
        tweet_id = str(fired["id"])
        comment_id, (proposal_id,) = posted_comment(engine, tweet_id)
        with Session(engine) as s:
            s.execute(update(Comment).where(col(Comment.id) == comment_id).values(platform="x"))
            s.commit()
        decisions.approve(engine, proposal_id, "U0CM")
        xapi.post("/_emulator/faults", json={"next": [{"kind": "accepted_then_timeout", "delay": 3}]})
        client = make_client(f"{x_only}/2", timeout=httpx.Timeout(1.0))
        pub = XPublisher(api_url=f"{x_only}/2", bearer_token=X_TOKEN, policy=FAST, client=client)
        try:
            drain(engine, pub)
        finally:
            pub.close()
        replies = [p for p in xapi.get("/_emulator/published").json() if p["kind"] == "reply"]
    assert [r["target"] for r in replies] == [tweet_id]
    with Session(engine) as s:
        pubs = s.exec(select(Publication).where(col(Publication.comment_id) == comment_id)).all()
    assert [(p.status, p.platform_id, p.attempts) for p in pubs] == [("published", replies[0]["id"], 2)]
