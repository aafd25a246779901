"""Customer-service cases at work: the case keeper and its Slack side.

The keeper is a polling loop (one per process, safe side by side) that
- escalates by itself what customer service must handle (`TriageRecord.escalate`: distress, a
  complaint that needs the customer's file) once its review message is in Slack and nobody acted;
- posts the case card in the brand's SAC channel, and renders it again whenever the case changed
  (claim, note, resolution, closing) — leased rows, so a crash after a click still ends with a card;
- drafts the follow-ups of a resolved case from the SAC's note and posts them in the review thread;
- watches both SLA clocks: a reminder when one is at risk, the lead told when it is breached — once
  each, recorded in the row (compare-and-set), so restarts and other processes never repeat them.

Time comes from an injectable clock, so tests can move it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.blocks.sac import clock_line, clock_notice, escalated_line, followup_message, sac_card
from bot.blocks.text import SlackText, as_text
from bot.comments import decisions
from bot.comments.casefile import FOLLOWUP, Case, author_history, load_case
from bot.db import session_scope
from bot.models import Comment, Escalation, Proposal, SlackOutgoing, SlackPost, State, TriageRecord, utcnow
from bot.runtime.leases import claim_rows, default_owner
from bot.runtime.loop import PollingLoop
from bot.sla import Clock, ClockState, SlaPolicy, case_clocks
from bot.slack.queue import Cancelled, enqueue_in
from bot.slack.sender import SlackSender

log = logging.getLogger(__name__)

SOWANA = "sowana"  # the actor of what the keeper does by itself
CARD_RECHECK_SECONDS = 2.0
Now = Callable[[], datetime]


def draft_followups(case: Case, targets: tuple[str, ...]) -> list[Proposal]:
    """Follow-up proposals (not yet saved) for a resolved case, in the customer's language."""
    from knowledge.drafting.followup import followup_drafts
    from knowledge.drafting.text import limit_for

    esc, c = case.escalation, case.comment
    assert esc is not None and c.id is not None
    lang = (case.triage.result or {}).get("lang") if case.triage and case.triage.result else None
    drafts = followup_drafts(
        lang=str(lang or "fr"),
        author_name=c.author_name,
        note=esc.resolution_note or "",
        targets=targets,
        public_limit=limit_for(c.platform),
    )
    return [
        Proposal(
            brand=c.brand,
            comment_id=c.id,
            text=d.text,
            persona="sac",
            kind="serious",
            variant=FOLLOWUP,
            target=d.target,
            note=d.note,
            source="followup",
            round=0,  # outside the review rounds: a ✅ on the review message never approves one
        )
        for d in drafts
    ]


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
    ) -> None:
        self.client, self.engine, self.sla_for, self.now = client, engine, sla_for, now
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
        return sac_card(case, link, author_history(self.engine, case.comment), clock_line(clocks, policy.hours.tz.key))

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


class CaseKeeper(PollingLoop):
    name = "sowana-cases"

    def __init__(
        self,
        engine: Engine,
        slack: CaseSlack | None,
        *,
        sac_channel_for: Callable[[str], str | None],
        sla_for: Callable[[str], SlaPolicy],
        now: Now = utcnow,
        auto_escalate: bool = True,
        owner: str | None = None,
        lease_seconds: float = 60.0,
        poll_seconds: float = 0.5,
        clock_check_seconds: float | None = None,
    ) -> None:
        super().__init__(poll_seconds)
        self.engine, self.slack = engine, slack
        self.sac_channel_for, self.sla_for, self.now = sac_channel_for, sla_for, now
        self.auto_escalate = auto_escalate
        self.owner = owner or default_owner()
        self.lease_seconds = lease_seconds
        # Clocks count minutes: reading every open case each poll would be work for nothing.
        self.clock_check_seconds = 10 * poll_seconds if clock_check_seconds is None else clock_check_seconds
        self._clocks_checked = -float("inf")

    def run_once(self) -> int:
        done = self.escalate_waiting() if self.auto_escalate else 0
        done += self.sync_cards() + self.post_followups()
        if time.monotonic() - self._clocks_checked >= self.clock_check_seconds:
            self._clocks_checked = time.monotonic()
            done += self.check_clocks()
        return done

    # --- escalation by Sowana itself -------------------------------------------------------------
    def escalate_waiting(self) -> int:
        with session_scope(self.engine) as s:
            rows = s.exec(
                select(Comment.id, TriageRecord.priority)
                .join(TriageRecord, col(TriageRecord.comment_id) == col(Comment.id))
                .outerjoin(Escalation, col(Escalation.comment_id) == col(Comment.id))
                .where(
                    col(TriageRecord.escalate).is_(True),
                    col(Comment.state) == State.posted,
                    col(Comment.deleted_at).is_(None),
                    col(Escalation.id).is_(None),
                )
                .order_by(col(Comment.id))
                .limit(50)
            ).all()
        done = 0
        for comment_id, priority in rows:
            assert comment_id is not None
            outcome = decisions.escalate(
                self.engine, comment_id, SOWANA, via="auto", auto=True, urgent=priority == "urgent", now=self.now()
            )
            done += outcome.ok  # another process, or a person, may have been faster: fine
        return done

    # --- the case card ---------------------------------------------------------------------------
    def sync_cards(self) -> int:
        stale = or_stale()
        ids = claim_rows(self.engine, Escalation, [stale], owner=self.owner, lease_seconds=self.lease_seconds, limit=20)
        for esc_id in ids:
            snapshot = utcnow()  # what the card will show was read after this moment
            with session_scope(self.engine) as s:
                esc = s.get(Escalation, esc_id)
            if esc is None:
                continue
            channel = self.sac_channel_for(esc.brand)
            if channel and self.slack is not None:
                try:
                    current = self.slack.sync_card(esc.comment_id, channel)
                except Exception:
                    log.exception("case %s: could not post the card; will retry", esc.comment_id)
                    continue  # the lease expires and the card is tried again
                if not current:  # queued: look again shortly, to update it if the case moved meanwhile
                    self._release(esc_id, CARD_RECHECK_SECONDS)
                    continue
            with session_scope(self.engine, write=True) as s:
                s.execute(
                    update(Escalation)
                    .where(col(Escalation.id) == esc_id, col(Escalation.lease_owner) == self.owner)
                    .values(card_posted_at=snapshot, lease_owner=None, lease_until=None)
                )
        return len(ids)

    # --- follow-ups of a resolved case -----------------------------------------------------------
    def post_followups(self) -> int:
        conditions = [
            col(Escalation.status) == "resolved",
            col(Escalation.followups_posted_at).is_(None),
            col(Escalation.followup).in_(("public", "private", "both")),
        ]
        ids = claim_rows(
            self.engine, Escalation, conditions, owner=self.owner, lease_seconds=self.lease_seconds, limit=10
        )
        for esc_id in ids:
            with session_scope(self.engine) as s:
                esc = s.get(Escalation, esc_id)
            if esc is None:
                continue
            case = load_case(self.engine, esc.comment_id)
            if case is None:
                continue
            if not case.followups:  # drafted once: a retry after a crash posts the same proposals
                targets = decisions.FOLLOWUP_TARGETS.get(esc.followup or "none", ())
                with session_scope(self.engine, write=True) as s:
                    for proposal in draft_followups(case, targets):
                        s.add(proposal)
            if self.slack is not None:
                try:
                    self.slack.sync_followups(esc.comment_id)
                except Exception:
                    log.exception("case %s: could not post the follow-ups; will retry", esc.comment_id)
                    continue
            with session_scope(self.engine, write=True) as s:
                s.execute(
                    update(Escalation)
                    .where(col(Escalation.id) == esc_id, col(Escalation.lease_owner) == self.owner)
                    .values(followups_posted_at=utcnow(), lease_owner=None, lease_until=None)
                )
        return len(ids)

    # --- SLA clocks ------------------------------------------------------------------------------
    def check_clocks(self) -> int:
        now = self.now()
        with session_scope(self.engine) as s:
            running = s.exec(select(Escalation).where(col(Escalation.status).in_(("open", "claimed")))).all()
        sent = 0
        for esc in running:
            policy = self.sla_for(esc.brand)
            first, resolution = case_clocks(esc.created_at, esc.claimed_at, esc.resolved_at, now, policy)
            for clock in (first, resolution):
                if clock.state in (ClockState.at_risk, ClockState.breached):
                    sent += self._notice(esc, clock, clock_notice(clock, esc, policy.lead), now)
        return sent

    def _notice(self, esc: Escalation, clock: Clock, text: str, now: datetime) -> bool:
        """Record a clock's notice with a compare-and-set (only the process that sets it tells) and, in the
        same transaction, queue it under a key: exactly once, whatever restarts or processes there are.
        Without the sender it is sent after the commit (a crash in between loses that one notice)."""
        breached = clock.state == ClockState.breached
        column = f"{clock.name}_{'breached' if breached else 'reminded'}_at"
        channel = self.sac_channel_for(esc.brand) or ""
        slack = self.slack
        queued = slack is not None and slack.sender is not None
        with session_scope(self.engine, write=True) as s:
            if not _mark(s, esc.id, column, now):
                return False
            if breached:
                _mark(s, esc.id, f"{clock.name}_reminded_at", now)  # no reminder after a breach
            if queued and slack is not None:
                key = f"{column}:{esc.comment_id}"
                slack.card_thread(esc.comment_id, channel, text, key=f"card:{key}", session=s)
                slack.review_thread(esc.comment_id, text, key=f"review:{key}", session=s, urgent=True)
        if slack is not None and slack.sender is not None:
            slack.sender.wake()
        elif slack is not None:
            try:
                slack.card_thread(esc.comment_id, channel, text, key="")
                slack.review_thread(esc.comment_id, text, key="")
            except Exception:  # recorded as sent: a Slack outage must not turn into a notice every poll
                log.exception("case %s: could not send an SLA notice", esc.comment_id)
        return True

    def _release(self, esc_id: int | None, after: float) -> None:
        with session_scope(self.engine, write=True) as s:
            s.execute(
                update(Escalation)
                .where(col(Escalation.id) == esc_id, col(Escalation.lease_owner) == self.owner)
                .values(lease_owner=None, lease_until=utcnow() + timedelta(seconds=after))
            )


def _mark(s: Session, esc_id: int | None, column: str, now: datetime) -> bool:
    result = s.execute(
        update(Escalation)
        .where(col(Escalation.id) == esc_id, getattr(Escalation, column).is_(None))
        .values({column: now})
    )
    return bool(getattr(result, "rowcount", 0))


def or_stale() -> Any:
    """Cases whose card is missing or older than their last change."""
    from sqlalchemy import or_

    return or_(col(Escalation.card_posted_at).is_(None), col(Escalation.card_posted_at) < col(Escalation.updated_at))


class ReviewAndCases:
    """What the outbox tells Slack after a publication: the review message and the follow-ups."""

    def __init__(self, review: Any, cases: CaseSlack) -> None:
        self.review, self.cases = review, cases

    def refresh(self, comment_id: int) -> None:
        self.review.refresh(comment_id)
        self.cases.sync_followups(comment_id)

    def failure(self, comment_id: int, reason: str) -> None:
        self.review.failure(comment_id, reason)
