"""What the brand says once customer service has settled a case (pure, offline).

The public reply closes the loop in front of everyone without a single detail of the customer's
file: it thanks them and, when a private message follows, says so. The private reply carries what
customer service did, taken from their note, for the CM to read (and adjust) before it is sent:
the note is written for colleagues, so the proposal says it must be reread.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

PUBLIC, PRIVATE = "public_reply", "private_reply"

_PUBLIC = {
    "fr": "Bonne nouvelle{name} : c'est réglé ! Merci de votre patience.",
    "en": "Good news{name}: it's sorted! Thank you for your patience.",
}
_PUBLIC_DM = {
    "fr": " Nous vous avons écrit en privé avec les détails.",
    "en": " We've sent you the details in a private message.",
}
_PRIVATE = {
    "fr": (
        "Bonjour{name}, notre service client s'est occupé de votre demande : {note} "
        "Si quelque chose n'est pas encore réglé, répondez-nous ici. Merci de votre patience !"
    ),
    "en": (
        "Hi{name}, our customer service team has taken care of your request: {note} "
        "If anything is still not right, just reply here. Thank you for your patience!"
    ),
}
REREAD = "À relire : tiré de la note du SAC · reread: taken from the customer-service note"


@dataclass(frozen=True)
class FollowupDraft:
    target: str  # public_reply | private_reply
    text: str
    note: str | None = None


def _first_name(author_name: str) -> str:
    first = (author_name or "").strip().split(" ")[0].lstrip("@")
    return first if first.isalpha() and len(first) <= 30 else ""


def _sentence(note: str) -> str:
    text = " ".join(note.split())
    if text and text[-1] not in ".!?…":
        text += "."
    return text[:1:].upper() + text[1:] if text and text[0].islower() else text


def followup_drafts(
    *, lang: str, author_name: str, note: str, targets: Collection[str], public_limit: int | None = None
) -> list[FollowupDraft]:
    """The follow-ups customer service asked for: a public reply, a private reply, or both."""
    lang = lang if lang in _PUBLIC else "fr"
    first = _first_name(author_name)
    name = f" {first}" if first else ""
    drafts: list[FollowupDraft] = []
    if PUBLIC in targets:
        text = _PUBLIC[lang].format(name=name) + (_PUBLIC_DM[lang] if PRIVATE in targets else "")
        if public_limit is not None and len(text) > public_limit:
            text = _PUBLIC[lang].format(name="")
        drafts.append(FollowupDraft(PUBLIC, text))
    if PRIVATE in targets:
        drafts.append(FollowupDraft(PRIVATE, _PRIVATE[lang].format(name=name, note=_sentence(note)), REREAD))
    return drafts
