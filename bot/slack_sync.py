"""The worker's side of Slack (sync client): post or update review messages, tell threads.

Listeners use the async client through Bolt; the worker and the outbox run in threads and use
this. Both render with the same pure functions in bot/blocks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.blocks.review import RETRY, review_message
from bot.blocks.sac import sac_card
from bot.case import Case, author_history, load_case
from bot.db import session_scope
from bot.models import SlackPost

log = logging.getLogger(__name__)


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

    def render(self, case: Case) -> tuple[str, list[dict[str, Any]]]:
        return review_message(case, self.personas())

    def publish_review(self, comment_id: int, channel: str) -> str:
        """Post the review message, or update it when it exists (a redraft); returns its ts."""
        case = load_case(self.engine, comment_id)
        assert case is not None
        text, blocks = self.render(case)
        post = case.review_post
        if post is not None and post.ts:
            self.client.chat_update(channel=post.channel, ts=post.ts, text=text, blocks=blocks)
            return post.ts
        response = self.client.chat_postMessage(
            channel=channel, text=text, blocks=blocks, unfurl_links=False, unfurl_media=False
        )
        return str(response["ts"])

    def refresh(self, comment_id: int) -> None:
        """Re-render a comment's review message after anything changed."""
        case = load_case(self.engine, comment_id)
        if case is None or case.review_post is None or not case.review_post.ts:
            return
        text, blocks = self.render(case)
        self.client.chat_update(channel=case.review_post.channel, ts=case.review_post.ts, text=text, blocks=blocks)

    def thread(self, comment_id: int, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        with session_scope(self.engine) as s:
            post = s.exec(
                select(SlackPost).where(col(SlackPost.comment_id) == comment_id, col(SlackPost.kind) == "review")
            ).first()
        if post is None or not post.ts:
            return
        self.client.chat_postMessage(channel=post.channel, thread_ts=post.ts, text=text, blocks=blocks)

    def post_sac_card(self, comment_id: int, channel: str) -> str | None:
        """Post (or update) the case card in the customer-service channel; returns its ts."""
        case = load_case(self.engine, comment_id)
        if case is None:
            return None
        link = None
        if case.review_post and case.review_post.ts:
            link = self.client.chat_getPermalink(channel=case.review_post.channel, message_ts=case.review_post.ts).get(
                "permalink"
            )
        text, blocks = sac_card(case, link, author_history(self.engine, case.comment))
        if case.sac_post and case.sac_post.ts:
            self.client.chat_update(channel=case.sac_post.channel, ts=case.sac_post.ts, text=text, blocks=blocks)
            return case.sac_post.ts
        ts = str(self.client.chat_postMessage(channel=channel, text=text, blocks=blocks)["ts"])
        with session_scope(self.engine, write=True) as s:
            s.add(SlackPost(brand=case.comment.brand, comment_id=comment_id, kind="sac", channel=channel, ts=ts))
        return ts

    def failure(self, comment_id: int, reason: str) -> None:
        text = f":warning: La publication a échoué · publishing failed: {reason}"
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": RETRY,
                        "value": str(comment_id),
                        "style": "primary",
                        "text": {"type": "plain_text", "text": "Réessayer · Retry"},
                    }
                ],
            },
        ]
        self.thread(comment_id, text, blocks)
