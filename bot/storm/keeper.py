"""Storm mode: when a review channel's backlog passes a threshold, low-value comments (spam, praise,
near-identical texts) wait in groups shown as one summary message with bulk actions, instead of one
message each. Urgent and distinctive comments keep their own message.

Every grouped comment still ends in a recorded state: it is `posted` when its summary is in Slack
(its SlackPost, kind "storm", points at the summary), then `hidden` or `approved` → `published` by the
bulk actions, each with its own Decision and Publication row (unique per comment: exactly once).

The decisions (switching on and off, who joins which group) are pure functions; `StormKeeper` applies
them between the sender's rounds, under a row lock on the channel's `StormChannel` row, so several
processes never group the same channel at once.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from bot.blocks.storm import GroupView, MemberView, storm_notice, summary_message
from bot.comments.decisions import Outcome, add_reply
from bot.comments.lifecycle import IllegalTransition, audit, transition_in
from bot.db import session_scope
from bot.models import (
    Comment,
    Decision,
    Proposal,
    Publication,
    SlackOutgoing,
    State,
    StormChannel,
    StormGroup,
    TriageRecord,
    utcnow,
)
from bot.slack.queue import enqueue_in

log = logging.getLogger(__name__)

SIMILAR = 0.7  # token-set Jaccard from which two comments are near-identical
MAX_GROUP = 200  # members of one summary
LOW_VALUE_INTENTS = {"praise": "praise", "banter": "praise", "spam": "spam"}
_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"[@#]\w+")
_WORD = re.compile(r"[a-z]{2,}")


# --- pure decisions -------------------------------------------------------------------------------


def tokens(text: str) -> frozenset[str]:
    """What a text says, for near-identity: words without accents, case, links, mentions, digits."""
    text = _MENTION.sub(" ", _URL.sub(" ", text.lower()))
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return frozenset(_WORD.findall(text))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def storm_switch(active: bool, backlog: int, threshold: int, calm_for: float = 0.0, cooldown: float = 0.0) -> bool:
    """On past the threshold; off only once the backlog has stayed at or below half of it for
    `cooldown` seconds (`calm_for` is how long it has), so a storm's ups and downs don't flap."""
    if threshold <= 0:
        return False
    if not active:
        return backlog > threshold
    return backlog > threshold // 2 or calm_for < cooldown


@dataclass(frozen=True)
class Candidate:
    job_id: int
    text: str
    intent: str | None = None
    priority: int = 2  # 0 urgent … 3 low


@dataclass
class OpenGroup:
    key: int | str  # a group's id, or a new group's temporary key
    kind: str  # spam | praise | similar
    label: str
    size: int = 0
    signature: frozenset[str] = field(default_factory=frozenset)


@dataclass
class Plan:
    joins: dict[int | str, list[int]] = field(default_factory=dict)  # group key -> job ids
    new_groups: list[OpenGroup] = field(default_factory=list)

    def add(self, group: OpenGroup, job_id: int) -> None:
        self.joins.setdefault(group.key, []).append(job_id)
        group.size += 1


def plan_groups(
    candidates: Sequence[Candidate], groups: Sequence[OpenGroup], *, similar: float = SIMILAR, max_size: int = MAX_GROUP
) -> Plan:
    """Which waiting comments join which group. Urgent and high-priority comments never do; spam
    joins the spam group; a text near-identical to another (waiting or grouped) joins or starts a
    'similar' group; praise and banter join the praise group; the rest keep their own message."""
    plan = Plan()
    open_groups = [g for g in groups if g.size < max_size]
    fresh = 0

    def new_group(kind: str, label: str, signature: frozenset[str] = frozenset()) -> OpenGroup:
        nonlocal fresh
        fresh += 1
        group = OpenGroup(key=f"new{fresh}", kind=kind, label=label, signature=signature)
        plan.new_groups.append(group)
        open_groups.append(group)
        return group

    def find(kind: str, signature: frozenset[str] | None = None) -> OpenGroup | None:
        for g in open_groups:
            if g.kind != kind or g.size >= max_size:
                continue
            if signature is None or similarity(signature, g.signature) >= similar:
                return g
        return None

    eligible = [c for c in candidates if c.priority >= 2]
    signatures = {c.job_id: tokens(c.text) for c in eligible}
    loners: list[Candidate] = []
    for c in eligible:
        sig = signatures[c.job_id]
        if c.intent == "spam":
            plan.add(find("spam") or new_group("spam", c.text), c.job_id)
            continue
        group = find("similar", sig) if sig else None
        if group is not None:
            plan.add(group, c.job_id)
            continue
        twin = next((o for o in loners if sig and similarity(sig, signatures[o.job_id]) >= similar), None)
        if twin is not None:
            loners.remove(twin)
            group = new_group("similar", twin.text, signatures[twin.job_id])
            plan.add(group, twin.job_id)
            plan.add(group, c.job_id)
            continue
        loners.append(c)
    for c in loners:
        if LOW_VALUE_INTENTS.get(c.intent or "") == "praise":
            plan.add(find("praise") or new_group("praise", c.text), c.job_id)
    return plan


def impersonal(text: str, author_name: str) -> str:
    """A drafted reply made fit for many: the first author's first name taken out."""
    first = (author_name or "").split()[0] if (author_name or "").split() else ""
    if len(first) >= 2:
        text = re.sub(rf"\s*\b{re.escape(first)}\b", "", text)
    return re.sub(r"\s+([,.])", r"\1", text).strip()  # French keeps its space before ! ? ; :


# --- applying them --------------------------------------------------------------------------------


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
    now = utcnow()
    rows = s.execute(
        select(col(SlackOutgoing.id), col(SlackOutgoing.priority), col(Comment.text), col(TriageRecord.result))
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
        Candidate(job_id=r[0], priority=r[1], text=r[2], intent=(r[3] or {}).get("intent") if r[3] else None)
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


# --- reading a group ----------------------------------------------------------------------------


def members(s: Session, group_id: int) -> list[tuple[Comment, SlackOutgoing]]:
    return [
        (c, j)
        for j, c in s.execute(
            select(SlackOutgoing, Comment)
            .join(Comment, col(Comment.id) == col(SlackOutgoing.comment_id))
            .where(col(SlackOutgoing.group_id) == group_id, col(SlackOutgoing.kind) == "review")
            .order_by(col(SlackOutgoing.id))
        ).all()
    ]


def group_reply(s: Session, group: StormGroup, comments: list[Comment]) -> str | None:
    """The reply offered to all: the group's own if someone wrote it, else the first member's first
    proposal, made impersonal."""
    if group.reply_text:
        return group.reply_text
    for comment in comments:
        latest = s.execute(select(func.max(Proposal.round)).where(col(Proposal.comment_id) == comment.id)).scalar()
        proposal = s.execute(
            select(Proposal)
            .where(col(Proposal.comment_id) == comment.id, col(Proposal.round) == latest)
            .order_by(col(Proposal.id))
            .limit(1)
        ).scalar_one_or_none()
        if proposal is not None:
            return impersonal(proposal.text, comment.author_name)
    return None


def summary_content(engine: Engine, group_id: int) -> tuple[str, list[dict[str, Any]]]:
    with session_scope(engine) as s:
        group = s.get(StormGroup, group_id)
        assert group is not None
        found = members(s, group_id)
        comments = [c for c, _ in found]
        reply = group_reply(s, group, comments)
        view = GroupView(group.id or 0, group.kind, group.label, group.action, group.action_by, group.reply_text)
    return summary_message(view, [MemberView(c.id or 0, c.author_name, c.text, c.state) for c in comments], reply)


def group_place(engine: Engine, group_id: int) -> tuple[str, str | None, int]:
    """(channel, summary ts, members) of a group."""
    with session_scope(engine) as s:
        group = s.get(StormGroup, group_id)
        assert group is not None
        return group.channel, group.ts, group.size


# --- bulk actions -------------------------------------------------------------------------------


def hide_all(engine: Engine, group_id: int, actor: str) -> Outcome:
    """Hide every member still waiting for the team (each once: one hide Publication per comment)."""
    return _bulk(engine, group_id, actor, "hide", None)


def reply_all(engine: Engine, group_id: int, actor: str, text: str | None = None) -> Outcome:
    """One reply approved for every member still waiting: a Decision and a public_reply Publication
    each (the unique constraint makes a second click publish nothing twice)."""
    return _bulk(engine, group_id, actor, "reply", text)


def _bulk(engine: Engine, group_id: int, actor: str, action: str, text: str | None) -> Outcome:
    with session_scope(engine, write=True) as s:
        group = s.get(StormGroup, group_id, with_for_update=True)
        if group is None:
            return Outcome(False, "Groupe introuvable · group not found")
        if group.action:
            return Outcome(False, "Déjà fait · already done")
        if group.ts is None:
            return Outcome(False, "Ce groupe n'est pas encore affiché · this group is not shown yet")
        comments = [c for c, _ in members(s, group_id)]
        if action == "reply":
            text = (text or "").strip() or group_reply(s, group, comments)
            if not text:
                return Outcome(False, "Pas de réponse à publier · no reply to publish")
        done = 0
        for comment in comments:
            assert comment.id is not None
            if comment.state != State.posted or comment.deleted_at:
                continue
            try:
                with s.begin_nested():
                    if action == "hide":
                        s.add(Decision(brand=comment.brand, comment_id=comment.id, actor=actor, action="hide"))
                        s.add(
                            Publication(
                                brand=comment.brand, comment_id=comment.id, target="hide", text="", requested_by=actor
                            )
                        )
                        s.flush()
                        transition_in(
                            s,
                            comment.id,
                            State.hidden,
                            actor=actor,
                            expected_from=State.posted,
                            detail={"via": "storm"},
                        )
                    else:
                        assert text is not None
                        add_reply(s, comment, actor, "approve", text, edited_text=text)
                        s.flush()
                        transition_in(
                            s,
                            comment.id,
                            State.approved,
                            actor=actor,
                            expected_from=State.posted,
                            detail={"via": "storm", "group": group_id},
                        )
                done += 1
            except (IntegrityError, IllegalTransition):
                continue  # someone acted on this one already: nothing twice
        group.action, group.action_by = action, actor
        if action == "reply":
            group.reply_text = text
        s.add(group)
        audit(s, brand=group.brand, actor=actor, action=f"storm_{action}_all", detail={"group": group_id, "n": done})
    return Outcome(True, f"{done}")
