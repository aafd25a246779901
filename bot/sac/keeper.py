"""Customer-service cases at work: the case keeper (its Slack side is cards.py).

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

from sqlalchemy import exists, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bot.blocks.sac import clock_notice
from bot.blocks.text import fmt
from bot.brain import draft_followups
from bot.comments.casefile import load_case
from bot.comments.messages import closing_windows, mark_reminded, reply_window
from bot.comments.window import describe
from bot.db import session_scope
from bot.models import Comment, Escalation, State, TriageRecord, utcnow
from bot.runtime.leases import claim_rows, default_owner
from bot.runtime.loop import PollingLoop
from bot.sac import decisions
from bot.sac.cards import CaseSlack, Now
from bot.sla import Clock, ClockState, SlaPolicy, case_clocks

log = logging.getLogger(__name__)

SOWANA = "sowana"  # the actor of what the keeper does by itself
CARD_RECHECK_SECONDS = 2.0


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
        followup_llm: Any | None = None,
    ) -> None:
        super().__init__(poll_seconds)
        self.followup_llm = followup_llm  # None: follow-ups from templates
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
            done += self.check_clocks() + self.remind_windows()
        return done

    # --- escalation by Sowana itself -------------------------------------------------------------
    def escalate_waiting(self) -> int:
        anchor_case = aliased(Escalation)
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
                    # A direct message in the thread of a case customer service has is part of that case.
                    ~exists().where(
                        col(anchor_case.comment_id) == col(Comment.thread_of),
                        col(anchor_case.status).in_(("open", "claimed")),
                    ),
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
                targets = decisions.followup_targets(esc.followup, case.comment.private)
                with session_scope(self.engine, write=True) as s:
                    for proposal in draft_followups(case, targets, self.followup_llm):
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

    def remind_windows(self) -> int:
        """A direct message still unanswered when its platform's reply window closes within two hours (#24)
        is told in its thread once: past the window, the platform refuses the answer."""
        slack = self.slack
        if slack is None or slack.sender is None:
            return 0
        now = utcnow()  # the platform's window runs on real time, not the business-hours clock
        with session_scope(self.engine) as s:
            closing = closing_windows(s, now)
        sent = 0
        for conversation_id, message in closing:
            assert message.id is not None
            with session_scope(self.engine, write=True) as s:
                if not mark_reminded(s, conversation_id):
                    continue  # another process told it
                left = describe(reply_window(s, message, "message"), now) or ""
                text = fmt(
                    ":alarm_clock: Message privé #{} sans réponse : {} · unanswered private message", message.id, left
                )
                slack.review_thread(message.id, text, key=f"window:{message.id}", session=s, urgent=True)
            sent += 1
        if sent:
            slack.sender.wake()
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

    return or_(col(Escalation.card_posted_at).is_(None), col(Escalation.card_posted_at) < col(Escalation.updated_at))
