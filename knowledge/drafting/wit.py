"""Where an offline creative proposal finds its wit and its facts (pure).

Wit is never invented offline: it is the opening quip of the persona's own example for a comment
like this one, or of the nearest past viral answer. The facts after the quip always come from the
FAQ. A persona example also says what the reply should inform about (its sentences after the quip):
that guides which FAQ entry to quote, since its own figures may be out of date.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.drafting.text import fold
from knowledge.drafting.types import PassageLike
from knowledge.personas.model import Persona

# Words too common to say two texts are about the same thing.
_STOP = frozenset(
    {
        "avec",
        "avant",
        "pour",
        "dans",
        "votre",
        "vous",
        "nous",
        "cette",
        "c'est",
        "qu'on",
        "mais",
        "plus",
        "tout",
        "tous",
        "tres",
        "that",
        "this",
        "with",
        "your",
        "have",
        "from",
        "they",
        "them",
        "what",
        "when",
        "just",
        "like",
        "about",
        "would",
        "there",
        "their",
        "been",
        "were",
        "will",
    }
)
# A persona example this close to the comment (shared content words over the shorter text's) lends its quip;
# a FAQ answer this close to the example's facts is the one to quote.
EXAMPLE_MIN_OVERLAP = 0.5
FACTS_MIN_OVERLAP = 0.3
# A guided entry still has to be among the retrieved ones, at least this related to the comment.
GUIDED_MIN_SCORE = 0.2
_QUIP_END = re.compile(r"(?<=[.!?…])\s+(?=\S)|(?<=[\U0001f300-\U0001faff\u2600-\u27bf])\s+(?=[A-ZÀ-Ý])")
_SERIOUSLY = re.compile(
    r"^(?:plus s[ée]rieusement|blague [àa] part|more seriously|seriously|jokes aside)\s*[:,]?\s*", re.IGNORECASE
)


@dataclass(frozen=True)
class Wit:
    quip: str
    viral_id: str | None = None  # None: the persona's own example or quip
    facts: str = ""  # what the example's reply goes on to say (to find the FAQ entry)
    generic: bool = False  # one of the persona's brand-neutral quips for this kind of comment


def _words(text: str) -> set[str]:
    return {w[:6] for w in re.findall(r"[a-z']{4,}", fold(text)) if w not in _STOP}


def overlap(a: str, b: str) -> float:
    """Shared content words (six-letter stems) over the shorter text's; 0 under three shared words."""
    wa, wb = _words(a), _words(b)
    if len(wa & wb) < 3:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))


def split_quip(reply: str) -> tuple[str, str]:
    """(opening joke, the rest): the joke runs to the first sentence end or emoji."""
    parts = _QUIP_END.split(reply.strip(), maxsplit=1)
    rest = parts[1] if len(parts) > 1 else ""
    return parts[0].strip(), _SERIOUSLY.sub("", rest.strip())


def find_wit(
    persona: Persona, text: str, lang: str, viral: PassageLike | None, situation: str | None = None
) -> Wit | None:
    """The persona's example for a comment like this one first, else the nearest viral answer, else
    (given the situation) one of the persona's own quips for it, the same one for the same comment."""
    scored = sorted(
        ((overlap(text, e.comment), e.reply) for e in persona.examples if e.lang == lang and e.comment),
        reverse=True,
    )
    if scored and scored[0][0] >= EXAMPLE_MIN_OVERLAP:
        joke, facts = split_quip(scored[0][1])
        return Wit(joke, None, facts)
    if viral is not None:
        return Wit(split_quip(viral.answer)[0], viral.id)
    quips = [q.text for q in persona.quips if q.lang == lang and q.situation == situation]
    if quips:
        return Wit(quips[zlib.crc32(text.encode("utf-8")) % len(quips)], generic=True)
    return None


def guided_answer(facts: str, passages: Sequence[PassageLike], lang: str) -> PassageLike | None:
    """The retrieved FAQ entry, in the comment's language, that says what the example's facts are about."""
    if not facts:
        return None
    best: tuple[float, PassageLike] | None = None
    for p in passages:
        if p.collection != "faq" or (p.lang not in (None, lang)) or p.score < GUIDED_MIN_SCORE:
            continue
        score = overlap(facts, p.answer)
        if score >= FACTS_MIN_OVERLAP and (best is None or score > best[0]):
            best = (score, p)
    return best[1] if best else None


def example_facts(persona: Persona, text: str, lang: str) -> str:
    """The facts part of the persona's example for a comment like this one ('' when none is close)."""
    wit = find_wit(persona, text, lang, None)
    return wit.facts if wit is not None else ""
