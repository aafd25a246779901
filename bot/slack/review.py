"""The worker's side of Slack (sync client): post or update review messages, tell threads.

Listeners use the async client through Bolt; the worker and the outbox run in threads and use
this. Both render with the same pure functions in bot/blocks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.blocks.review import failure_notice, review_message
from bot.blocks.text import SlackText, as_text, stored
from bot.comments.casefile import Case, load_case
from bot.db import session_scope
from bot.models import SlackOutgoing, SlackPost, State
from bot.slack.queue import Cancelled, thread_ts_of
from bot.storm.bulk import summary_content

log = logging.getLogger(__name__)
# Updates of one review message are rendered and sent one at a time: a listener's refresh that read the
# case just before a redraft landed must not reach Slack after the redraft's own update and leave the
# message showing the old state. Whoever goes second renders the latest rows. Within a process: striped
# locks by comment id. Across processes (PostgreSQL): the review post's row lock, held while the message
# is rendered and sent, so an update rendered in one process cannot overtake a newer one from another.
_STRIPES = 64


@contextmanager
def _one_update_at_a_time(locks: list[threading.Lock], engine: Engine, comment_id: int) -> Iterator[None]:
    with locks[comment_id % len(locks)]:
        if engine.dialect.name != "postgresql":  # SQLite: one process
            yield
            return
        with session_scope(engine) as s:
            s.execute(
                select(col(SlackPost.id))
                .where(col(SlackPost.comment_id) == comment_id, col(SlackPost.kind) == "review")
                .with_for_update()
            )
            yield


def make_web_client(token: str | None, base_url: str) -> WebClient:
    client = WebClient(token=token, base_url=base_url, timeout=10)
    # 429s wait for Retry-After; dropped connections are retried. Nothing is given up silently.
    client.retry_handlers.extend(
        [RateLimitErrorRetryHandler(max_retry_count=5), ConnectionErrorRetryHandler(max_retry_count=3)]
    )
    return client


class SlackReview:
    def __init__(self, client: WebClient, engine: Engine, personas: Callable[[], Sequence[str]] = tuple) -> None:
        self.client = client
        self.engine = engine
        self.personas = personas
        self._update_locks = [threading.Lock() for _ in range(_STRIPES)]

    def render(self, case: Case) -> tuple[SlackText, list[dict[str, Any]]]:
        return review_message(case, self.personas())

    def publish_review(self, comment_id: int, channel: str) -> str:
        """Post the review message, or update it when it exists (a redraft); returns its ts."""
        with _one_update_at_a_time(self._update_locks, self.engine, comment_id):
            return self._publish_review(comment_id, channel)

    def _publish_review(self, comment_id: int, channel: str) -> str:
        case = load_case(self.engine, comment_id)
        assert case is not None
        text, blocks = self.render(case)
        post = case.review_post
        if post is not None and post.ts:
            self.client.chat_update(channel=post.channel, ts=post.ts, text=as_text(text), blocks=blocks)
            return post.ts
        thread_ts = thread_ts_of(self.engine, comment_id) if case.comment.thread_of else None
        if case.comment.thread_of and thread_ts is None:
            raise RuntimeError("the thread this message belongs in is not in Slack yet")  # the worker retries
        response = self.client.chat_postMessage(
            channel=channel,
            text=as_text(text),
            blocks=blocks,
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(response["ts"])

    def render_job(self, job: SlackOutgoing) -> tuple[str, list[dict[str, Any]] | None]:
        """What a queued message says, rendered when it leaves (so it shows the latest state)."""
        if job.kind == "review" and job.comment_id is not None:
            case = load_case(self.engine, job.comment_id)
            if case is None or case.comment.state not in (State.proposed, State.triaged):
                raise Cancelled(f"comment is {case.comment.state if case else 'gone'}")
            return self.render(case)
        if job.kind == "storm" and job.group_id is not None:
            return summary_content(self.engine, job.group_id)
        return stored(job.text or ""), job.blocks  # made fit when it was queued (sender.enqueue_in)

    def refresh(self, comment_id: int) -> None:
        """Re-render a comment's review message after anything changed."""
        with _one_update_at_a_time(self._update_locks, self.engine, comment_id):
            self._refresh(comment_id)

    def _refresh(self, comment_id: int) -> None:
        case = load_case(self.engine, comment_id)
        if case is None or case.review_post is None or not case.review_post.ts:
            return
        text, blocks = self.render(case)
        self.client.chat_update(
            channel=case.review_post.channel, ts=case.review_post.ts, text=as_text(text), blocks=blocks
        )

    def thread(self, comment_id: int, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """A message in the comment's review thread; a plain str is escaped (bot/blocks/text.py). A direct
        message shown in another comment's thread (#24) is told there."""
        with session_scope(self.engine) as s:
            post = s.exec(
                select(SlackPost).where(col(SlackPost.comment_id) == comment_id, col(SlackPost.kind) == "review")
            ).first()
        thread_ts = thread_ts_of(self.engine, comment_id)
        if post is None or not post.ts or thread_ts is None:
            return
        self.client.chat_postMessage(channel=post.channel, thread_ts=thread_ts, text=as_text(text), blocks=blocks)

    def failure(self, comment_id: int, reason: str) -> None:
        """The platform's reason (outside text) with a retry button, in the review thread."""
        text, blocks = failure_notice(comment_id, reason)
        self.thread(comment_id, text, blocks)
