"""What the Slack listeners need, gathered once by the composition root (no globals)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import Engine

from bot.models import utcnow
from bot.settings import Settings
from bot.sla import SlaPolicy
from bot.slack.review import SlackReview

if TYPE_CHECKING:
    from bot.sac.cards import CaseSlack


@dataclass(frozen=True)
class PersonaInfo:
    name: str
    description: str
    humor: int = 0


@dataclass(frozen=True)
class KbHit:
    id: str
    score: float
    question: str
    answer: str


class Approvers:
    """Who may approve, edit and hide: SOWANA_APPROVERS user ids (U…/W…) and user groups (S…).
    Unset means every member of the review channel. Group members are cached for a minute."""

    def __init__(self, ids: Sequence[str], ttl: float = 60.0) -> None:
        self.users = {i for i in ids if not i.startswith("S")}
        self.groups = [i for i in ids if i.startswith("S")]
        self.ttl = ttl
        self._cache: dict[str, tuple[float, set[str]]] = {}
        self._lock = asyncio.Lock()

    @property
    def everyone(self) -> bool:
        return not self.users and not self.groups

    async def allowed(self, user: str, client: AsyncWebClient) -> bool:
        if self.everyone or user in self.users:
            return True
        for group in self.groups:
            if user in await self._members(group, client):
                return True
        return False

    async def _members(self, group: str, client: AsyncWebClient) -> set[str]:
        async with self._lock:
            cached = self._cache.get(group)
            if cached and time.monotonic() - cached[0] < self.ttl:
                return cached[1]
            response = await client.usergroups_users_list(usergroup=group)
            members = set(response.get("users") or [])
            self._cache[group] = (time.monotonic(), members)
            return members


@dataclass
class BotServices:
    engine: Engine
    settings: Settings
    review: SlackReview
    approvers: Approvers
    wake: Callable[[], None] = lambda: None
    personas: Callable[[], Sequence[PersonaInfo]] = tuple
    default_persona: str = "informatif"
    kb_search: Callable[[str, str], Sequence[KbHit]] | None = None  # (brand, question)
    on_correction: Callable[[str, dict[str, Any]], None] | None = None  # (text, labels)
    brand_for_channel: Callable[[str], str] = field(default=lambda _channel: "default")
    # Distinct approvers a brand's creative replies need (SOWANA_CREATIVE_APPROVALS, or its brand entry).
    creative_approvals: Callable[[str], int] = field(default=lambda _brand: 1)
    # Customer-service cases: the SLA of a brand, the clock (tests move it), the case's Slack side.
    sla_for: Callable[[str], SlaPolicy] | None = None
    now: Callable[[], datetime] = utcnow
    cases: CaseSlack | None = None

    def persona_names(self) -> list[str]:
        return [p.name for p in self.personas()]
