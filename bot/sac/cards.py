"""A customer-service case in Slack: its card in the brand's SAC channel, the lines told under it and
in the review thread, and the follow-up proposals of a resolved case. Queued through the Slack sender
(rendered when they leave, so they show the case as it is then); edits go straight out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.blocks.sac import clock_line, escalated_line, followup_message, private_message_line, sac_card
from bot.blocks.text import SlackText, as_text
from bot.comments.casefile import author_history, load_case
from bot.db import session_scope
from bot.models import Comment, SlackOutgoing, SlackPost
from bot.sla import SlaPolicy, case_clocks
from bot.slack.queue import Cancelled, enqueue_in
from bot.slack.sender import SlackSender

log = logging.getLogger(__name__)
Now = Callable[[], datetime]


class CaseSlack:
    """The case's Slack messages: card in the SAC channel, lines and follow-ups in the review thread.

    With the Slack sender (bot/slack/sender.py), new messages are queued under an idempotency key and leave
    at the channel's pace, exactly once; cards and follow-ups are rendered when they leave, so they
    show the case as it is then. Edits of a message already in Slack (`chat.update`) go straight out.
    Without a sender (tests of the keeper alone) everything is posted directly."""

    def __init__(
        self,
        client: WebClient,
        engine: Engine,
        sla_for: Callable[[str], SlaPolicy],
        now: Now,
        refresh_review: Callable[[int], None] | None = None,
        sender: SlackSender | None = None,
        show_history: Callable[[str], bool] = lambda _brand: True,
    ) -> None:
        self.client, self.engine, self.sla_for, self.now = client, engine, sla_for, now
        self.show_history = show_history  # minimisation: a brand may keep the author's history off the card
        self.refresh_review = refresh_review  # re-renders the review message (SlackReview.refresh)
        self.sender = sender

    def _post(self, comment_id: int, *kinds: str) -> SlackPost | None:
        with session_scope(self.engine) as s:
            return s.exec(
                select(SlackPost).where(col(SlackPost.comment_id) == comment_id, col(SlackPost.kind).in_(kinds))
            ).first()

    def _queue(self, s: Session, comment_id: int, channel: str, key: str, **job: Any) -> None:
        brand = s.get(Comment, comment_id)
        enqueue_in(s, brand=brand.brand if brand else "default", channel=channel, key=key, comment_id=comment_id, **job)

    def review_thread(
        self, comment_id: int, text: str, *, key: str, session: Session | None = None, urgent: bool = False
    ) -> None:
        """A line in the comment's review thread (or its storm summary's), sent once per `key`; a plain str
        is escaped (bot/blocks/text.py), a line built with its helpers keeps its mentions."""
        post = self._post(comment_id, "review", "storm")
        if post is None:
            return
        if self.sender is None:
            if post.ts:
                self.client.chat_postMessage(channel=post.channel, thread_ts=post.ts, text=as_text(text))
            return
        job = {"kind": "message", "text": text, "thread_of": comment_id, "priority": "urgent" if urgent else "high"}
        if session is not None:
            self._queue(session, comment_id, post.channel, key, **job)
            return
        with session_scope(self.engine, write=True) as s:
            self._queue(s, comment_id, post.channel, key, **job)
        self.sender.wake()

    def card_thread(
        self, comment_id: int, channel: str, text: str, *, key: str, session: Session | None = None
    ) -> None:
        """A line under the case card (in the SAC channel itself while the card is not there yet)."""
        post = self._post(comment_id, "sac")
        thread_ts = post.ts if post is not None else None
        if self.sender is None:
            self.client.chat_postMessage(
                channel=post.channel if post else channel, thread_ts=thread_ts, text=as_text(text)
            )
            return
        job = {"kind": "message", "text": text, "thread_ts": thread_ts, "priority": "urgent"}
        if session is not None:
            self._queue(session, comment_id, post.channel if post else channel, key, **job)
            return
        with session_scope(self.engine, write=True) as s:
            self._queue(s, comment_id, post.channel if post else channel, key, **job)
        self.sender.wake()

    def message_on_card(self, session: Session, message: Comment) -> None:
        """A direct message in the thread of a comment that has a case shows under the case card too (#24),
        once (keyed by the message), in the caller's transaction."""
        if not message.private or message.thread_of is None or message.id is None:
            return
        post = self._post(message.thread_of, "sac")
        if post is None:
            return
        self.card_thread(
            message.thread_of, post.channel, private_message_line(message), key=f"dm-card:{message.id}", session=session
        )

    def card(self, comment_id: int) -> tuple[SlackText, list[dict[str, Any]]]:
        """The case card as it is now (rendered by the sender when a queued card leaves)."""
        case = load_case(self.engine, comment_id)
        if case is None or case.escalation is None:
            raise Cancelled("no case")
        esc = case.escalation
        policy = self.sla_for(case.comment.brand)
        clocks = case_clocks(esc.created_at, esc.claimed_at, esc.resolved_at, self.now(), policy)
        link = None
        if case.review_post and case.review_post.ts:
            link = self.client.chat_getPermalink(channel=case.review_post.channel, message_ts=case.review_post.ts).get(
                "permalink"
            )
        closed_today = policy.hours.closed.reason(policy.hours.local_day(self.now()))
        clocks_text = clock_line(clocks, policy.hours.tz.key, closed_today)
        history = author_history(self.engine, case.comment) if self.show_history(case.comment.brand) else None
        return sac_card(case, link, history, clocks_text)

    def render_job(self, job: SlackOutgoing) -> tuple[str, list[dict[str, Any]] | None] | None:
        """The content of a queued case message, or None when the job is not one of ours."""
        if job.comment_id is None or job.kind not in ("sac", "followups"):
            return None
        if job.kind == "sac":
            return self.card(job.comment_id)
        case = load_case(self.engine, job.comment_id)
        if case is None or case.escalation is None or not case.followups:
            raise Cancelled("no follow-ups")
        return followup_message(case)

    def sync_card(self, comment_id: int, channel: str) -> bool:
        """Post the case card (and tell the review thread), or update it. True when the card in Slack
        now shows the case as it is; False while a new card waits in the sender's queue."""
        case = load_case(self.engine, comment_id)
        if case is None or case.escalation is None:
            return True
        esc = case.escalation
        if case.sac_post and case.sac_post.ts:
            text, blocks = self.card(comment_id)
            self.client.chat_update(
                channel=case.sac_post.channel, ts=case.sac_post.ts, text=as_text(text), blocks=blocks
            )
            return True
        line = escalated_line(esc, channel)
        if self.sender is not None:
            with session_scope(self.engine, write=True) as s:
                self._queue(
                    s,
                    comment_id,
                    channel,
                    f"sac:{comment_id}",
                    kind="sac",
                    post_kind="sac",
                    priority="urgent" if esc.urgent else "high",
                )
                self.review_thread(comment_id, line, key=f"escalated:{comment_id}", session=s, urgent=esc.urgent)
            self.sender.wake()
        else:
            text, blocks = self.card(comment_id)
            ts = str(self.client.chat_postMessage(channel=channel, text=as_text(text), blocks=blocks)["ts"])
            with session_scope(self.engine, write=True) as s:
                s.add(SlackPost(brand=case.comment.brand, comment_id=comment_id, kind="sac", channel=channel, ts=ts))
            self.review_thread(comment_id, line, key=f"escalated:{comment_id}")
        if self.refresh_review is not None:  # an automatic escalation was never shown there yet
            self.refresh_review(comment_id)
        return self.sender is None

    def sync_followups(self, comment_id: int) -> None:
        """Post the follow-up proposals in the review thread, or update that message."""
        case = load_case(self.engine, comment_id)
        if case is None or case.escalation is None or not case.followups:
            return
        post = case.followup_post
        if post is not None and post.ts:
            text, blocks = followup_message(case)
            self.client.chat_update(channel=post.channel, ts=post.ts, text=as_text(text), blocks=blocks)
            return
        thread = self._post(comment_id, "review", "storm")
        if thread is None or not thread.ts:
            return
        if self.sender is not None:
            with session_scope(self.engine, write=True) as s:
                self._queue(
                    s,
                    comment_id,
                    thread.channel,
                    f"followups:{comment_id}",
                    kind="followups",
                    thread_of=comment_id,
                    post_kind="followup",
                    priority="high",
                )
            self.sender.wake()
            return
        text, blocks = followup_message(case)
        response = self.client.chat_postMessage(
            channel=thread.channel, thread_ts=thread.ts, text=as_text(text), blocks=blocks
        )
        with session_scope(self.engine, write=True) as s:
            s.add(
                SlackPost(
                    brand=case.comment.brand,
                    comment_id=comment_id,
                    kind="followup",
                    channel=thread.channel,
                    ts=str(response["ts"]),
                )
            )


class ReviewAndCases:
    """What the outbox tells Slack after a publication: the review message and the follow-ups."""

    def __init__(self, review: Any, cases: CaseSlack) -> None:
        self.review, self.cases = review, cases

    def refresh(self, comment_id: int) -> None:
        self.review.refresh(comment_id)
        self.cases.sync_followups(comment_id)

    def failure(self, comment_id: int, reason: str) -> None:
        self.review.failure(comment_id, reason)
