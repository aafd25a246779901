"""The platforms' reply windows for private answers (#24), as pure decisions.

Meta lets a page answer a person in Messenger or Instagram Direct with a standard message within
24 hours of that person's last message; past that, only a message with an allowed tag goes out
(`HUMAN_AGENT`, 7 days, for pages Meta approved for it) and everything else is refused. A private reply
to a comment is allowed once, within 7 days of the comment. X has no time window: its limits are the
person's message settings and the rate limits, which only the send can tell.

Sowana checks the window before any platform call (at the approval, and again when the outbox sends),
shows it in the review message, and reminds the thread before it closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

STANDARD = timedelta(hours=24)
HUMAN_AGENT = timedelta(days=7)
PRIVATE_REPLY = timedelta(days=7)
HUMAN_AGENT_TAG = "HUMAN_AGENT"
META = ("facebook", "instagram")


@dataclass(frozen=True)
class Window:
    """Until when a private answer may go out, and with which Meta tag (None: a standard message)."""

    closes_at: datetime
    tag: str | None = None

    def remaining(self, now: datetime) -> timedelta:
        return self.closes_at - now

    def is_open(self, now: datetime) -> bool:
        return now < self.closes_at


def message_window(platform: str, last_inbound_at: datetime | None, *, human_agent: bool = False) -> Window | None:
    """The window of a message in a conversation whose person last wrote at `last_inbound_at`; None
    when the platform sets none (X, other). With `human_agent`, past 24 h the HUMAN_AGENT tag applies."""
    if platform not in META or last_inbound_at is None:
        return None
    standard = last_inbound_at + STANDARD
    if human_agent:
        return Window(last_inbound_at + HUMAN_AGENT, tag=HUMAN_AGENT_TAG)
    return Window(standard)


def message_tag(window: Window | None, now: datetime) -> str | None:
    """The tag a message sent `now` needs: none within the standard 24 hours, else the window's."""
    if window is None or window.tag is None:
        return None
    return None if now < window.closes_at - (HUMAN_AGENT - STANDARD) else window.tag


def private_reply_window(platform: str, commented_at: datetime | None) -> Window | None:
    """The window of a private reply to a comment (Meta: 7 days from the comment; X: none)."""
    if platform not in META or commented_at is None:
        return None
    return Window(commented_at + PRIVATE_REPLY)


def _span(delta: timedelta) -> tuple[str, str]:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes >= 48 * 60:
        days = minutes // (24 * 60)
        return f"{days} j", f"{days} d"
    if minutes >= 60:
        hours = minutes // 60
        return f"{hours} h", f"{hours} h"
    return f"{minutes} min", f"{minutes} min"


def describe(window: Window | None, now: datetime) -> str | None:
    """'fenêtre de réponse : 3 h restantes · reply window: 3 h left', or that it closed; None: no window."""
    if window is None:
        return None
    if not window.is_open(now):
        return (
            "fenêtre de réponse fermée : la plateforme refuse une réponse maintenant · "
            "reply window closed: the platform refuses a reply now"
        )
    fr, en = _span(window.remaining(now))
    plural = "s" if not fr.startswith("1 ") else ""
    return f"fenêtre de réponse : {fr} restante{plural} · reply window: {en} left"


def refusal(window: Window, platform: str, *, private_reply: bool = False) -> str:
    """Why an approval past the window is refused, in the words the thread is told."""
    name = {"facebook": "Messenger", "instagram": "Instagram"}.get(platform, platform)
    if private_reply:
        why_fr, why_en = "7 jours après le commentaire", "7 days after the comment"
        then_fr, then_en = "Répondez publiquement.", "Answer publicly."
    else:
        span = "7" if window.tag else "24"
        why_fr = f"{span} {'jours' if window.tag else 'h'} après le dernier message de la personne"
        why_en = f"{span} {'days' if window.tag else 'h'} after the person's last message"
        then_fr = "Attendez qu'elle écrive à nouveau, ou répondez publiquement."
        then_en = "Wait for them to write again, or answer publicly."
    return (
        f"Réponse refusée avant envoi : la fenêtre de réponse de {name} est fermée depuis le "
        f"{window.closes_at:%d/%m à %H:%M} UTC ({why_fr}). {then_fr} · "
        f"Reply refused before sending: {name}'s reply window closed on {window.closes_at:%Y-%m-%d at %H:%M} UTC "
        f"({why_en}). {then_en}"
    )
