"""Storm mode: when a review channel's backlog passes a threshold, low-value comments (spam, praise,
near-identical texts) wait in groups shown as one summary message with bulk actions, instead of one
message each. Urgent and distinctive comments keep their own message.

Every grouped comment still ends in a recorded state: it is `posted` when its summary is in Slack
(its SlackPost, kind "storm", points at the summary), then `hidden` or `approved` → `published` by the
bulk actions, each with its own Decision and Publication row (unique per comment: exactly once).

The decisions (switching on and off, who joins which group) are pure functions (plan.py); `StormKeeper` applies
them between the sender's rounds, under a row lock on the channel's `StormChannel` row, so several
processes never group the same channel at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from bot.blocks.storm import storm_notice
from bot.comments.lifecycle import audit
from bot.db import session_scope
from bot.models import (
    Comment,
    SlackOutgoing,
    StormChannel,
    StormGroup,
    TriageRecord,
    utcnow,
)
from bot.runtime.leases import db_now
from bot.slack.queue import enqueue_in
from bot.storm.plan import Candidate, OpenGroup, plan_groups, storm_switch, tokens

log = logging.getLogger(__name__)


class StormKeeper:
    """Between the sender's rounds: switch storm mode per channel, group what waits."""

    def __init__(
        self,
        engine: Engine,
        threshold: int,
        *,
        every: float = 0.5,
        wake: Callable[[], None] = lambda: None,
        max_candidates: int = 3000,
        cooldown: float = 60.0,
    ) -> None:
        self.engine = engine
        self.threshold = threshold
        self.every = every
        self.wake = wake
        self.max_candidates = max_candidates
        self.cooldown = cooldown
        self._last = 0.0

    def __call__(self) -> None:
        if self.threshold <= 0 or time.monotonic() - self._last < self.every:
            return
        self._last = time.monotonic()
        self.upkeep()

    def upkeep(self) -> None:
        with session_scope(self.engine) as s:
            waiting = s.execute(
                select(col(SlackOutgoing.channel), func.min(SlackOutgoing.brand), func.count())
                .where(col(SlackOutgoing.kind) == "review", col(SlackOutgoing.status).in_(["pending", "grouped"]))
                .group_by(col(SlackOutgoing.channel))
            ).all()
            active = s.execute(select(StormChannel).where(col(StormChannel.active).is_(True))).scalars().all()
        backlogs = {str(ch): (str(brand), int(n)) for ch, brand, n in waiting}
        for row in active:
            backlogs.setdefault(row.channel, (row.brand, 0))
        for channel, (brand, backlog) in backlogs.items():
            self.channel(channel, brand, backlog)

    def channel(self, channel: str, brand: str, backlog: int) -> None:
        with session_scope(self.engine, write=True) as s:
            state = s.get(StormChannel, channel, with_for_update=True)
            if state is None:
                try:
                    with s.begin_nested():
                        s.add(StormChannel(channel=channel, brand=brand))
                except IntegrityError:
                    pass
                state = s.get(StormChannel, channel, with_for_update=True, populate_existing=True)
                assert state is not None
            now = utcnow()
            if backlog > self.threshold // 2 or state.busy_at is None:
                state.busy_at = now
            calm_for = (now - state.busy_at).total_seconds()
            on = storm_switch(state.active, backlog, self.threshold, calm_for, self.cooldown)
            if on != state.active:
                state.active = on
                if on:
                    state.epoch += 1
                    state.since = utcnow()
                text, blocks = storm_notice(on, backlog, self.threshold)
                enqueue_in(
                    s,
                    brand=brand,
                    channel=channel,
                    kind="notice",
                    key=f"storm-{'on' if on else 'off'}:{channel}:{state.epoch}",
                    text=text,
                    blocks=blocks,
                    priority="urgent",
                )
                audit(
                    s,
                    brand=brand,
                    actor="slack-sender",
                    action="storm_on" if on else "storm_off",
                    detail={"channel": channel, "backlog": backlog, "threshold": self.threshold},
                )
                log.info("storm mode %s in %s (backlog %s)", "on" if on else "off", channel, backlog)
                self.wake()
            state.backlog, state.updated_at = backlog, utcnow()
            s.add(state)
            if state.active:
                group_waiting(s, channel, brand, self.max_candidates)


def group_waiting(s: Session, channel: str, brand: str, limit: int) -> int:
    """Group the channel's waiting review messages that storm mode does not send one by one."""
    now = db_now(s.get_bind())
    rows = s.execute(
        select(
            col(SlackOutgoing.id),
            col(SlackOutgoing.priority),
            col(Comment.text),
            col(TriageRecord.result),
            col(Comment.private),
        )
        .join(Comment, col(Comment.id) == col(SlackOutgoing.comment_id))
        .outerjoin(TriageRecord, col(TriageRecord.comment_id) == col(SlackOutgoing.comment_id))
        .where(
            col(SlackOutgoing.channel) == channel,
            col(SlackOutgoing.kind) == "review",
            col(SlackOutgoing.status) == "pending",
            col(SlackOutgoing.started_at).is_(None),
            or_(col(SlackOutgoing.lease_until).is_(None), col(SlackOutgoing.lease_until) < now),
        )
        .order_by(col(SlackOutgoing.id))
        .limit(limit)
    ).all()
    if not rows:
        return 0
    candidates = [
        Candidate(
            job_id=r[0],
            priority=r[1],
            text=r[2],
            intent=(r[3] or {}).get("intent") if r[3] else None,
            private=bool(r[4]),
        )
        for r in rows
    ]
    existing = (
        s.execute(
            select(StormGroup)
            .where(col(StormGroup.channel) == channel, col(StormGroup.sealed).is_(False))
            .with_for_update()
        )
        .scalars()
        .all()
    )
    groups = [OpenGroup(g.id or 0, g.kind, g.label, g.size, tokens(g.label)) for g in existing]
    plan = plan_groups(candidates, groups)
    by_key: dict[int | str, StormGroup] = {g.id or 0: g for g in existing}
    for new in plan.new_groups:
        row = StormGroup(brand=brand, channel=channel, kind=new.kind, label=new.label[:2000])
        s.add(row)
        s.flush()
        assert row.id is not None
        by_key[new.key] = row
        enqueue_in(s, brand=brand, channel=channel, kind="storm", key=f"storm:{row.id}", group_id=row.id)
    grouped = 0
    for key, job_ids in plan.joins.items():
        group = by_key[key]
        result = s.execute(
            update(SlackOutgoing)
            .where(
                col(SlackOutgoing.id).in_(job_ids),
                col(SlackOutgoing.status) == "pending",
                col(SlackOutgoing.started_at).is_(None),
                or_(col(SlackOutgoing.lease_until).is_(None), col(SlackOutgoing.lease_until) < now),
            )
            .values(status="grouped", group_id=group.id)
        )
        moved = int(getattr(result, "rowcount", 0) or 0)
        group.size += moved
        grouped += moved
        s.add(group)
    return grouped
