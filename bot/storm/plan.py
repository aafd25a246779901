"""Storm mode's pure decisions: when a channel switches storm mode on and off, and which waiting
comments join which group (spam, praise, near-identical texts) — no database, no Slack. keeper.py
applies them; bulk.py acts on a whole group."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

SIMILAR = 0.7  # token-set Jaccard from which two comments are near-identical
MAX_GROUP = 200  # members of one summary
LOW_VALUE_INTENTS = {"praise": "praise", "banter": "praise", "spam": "spam"}
_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"[@#]\w+")
_WORD = re.compile(r"[a-z]{2,}")


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
    private: bool = False  # a direct message (#24): personal, never in a summary shown to the channel


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
    """Which waiting comments join which group. Urgent and high-priority comments never do, nor direct
    messages (each is one person's private conversation: it keeps its own message); spam
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

    eligible = [c for c in candidates if c.priority >= 2 and not c.private]
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
