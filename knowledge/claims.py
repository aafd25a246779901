"""A comment split into the claims it makes, so each grievance can be matched on its own.

Real comments carry several problems at once ("two weeks late, and when it came the box was
crushed"), around handles, links, hashtags and emoji. Matched as a whole, the strongest topic
hides the others; matched claim by claim, each finds its entry and drafting can answer each.

Pure functions, no model: `clean_text` strips what carries no meaning for retrieval (handles,
links, the `#` of hashtags, emoji, letters held "sooooo" long), `split_claims` cuts the cleaned
text at sentence ends and at the joints where a new grievance starts ("and also", "mais en plus").
"""

from __future__ import annotations

import re

MAX_CLAIMS = 6  # a rant of twenty sentences is matched on its first six and as a whole
MIN_WORDS = 3  # shorter pieces ("Honestly.", "Merci !") join their neighbour

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w.])[@＠][A-Za-z0-9_.]+")
_HASH = re.compile(r"(?<![\w&])#(\w)")
# Emoji, pictographs, dingbats, flags, variation selectors and joiners.
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d\U000e0000-\U000e007f]+")
_ELONGATED = re.compile(r"([^\W\d_])\1{2,}")
_REPEATED_PUNCT = re.compile(r"([!?.])[!?.]+")
_SPACES = re.compile(r"[ \t\u00a0]+")
# Where one claim ends and another begins: sentence ends, semicolons, line breaks, and the
# joints people use to add a second grievance.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\s*[;\n]+\s*|\s+[-–—]\s+")
_JOINTS = re.compile(
    r"(?:^|,?\s+)\b(?:and also|and now|and then|and on top of that|but also|on top of that|not to mention|"
    r"et en plus|en plus de [cç]a|et puis|et aussi|mais aussi|sans parler de|sans compter)\b\s+",
    re.IGNORECASE,
)


def clean_text(text: str) -> str:
    """The comment without handles, links, hashtag signs, emoji and elongations ("sooooo" → "so")."""
    text = _URL.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    text = _HASH.sub(r"\1", text)
    text = _EMOJI.sub(" ", text)
    text = _ELONGATED.sub(r"\1", text)
    text = _REPEATED_PUNCT.sub(r"\1", text)
    lines = [_SPACES.sub(" ", line).strip(" ,:") for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _words(piece: str) -> int:
    return len(re.findall(r"[^\W_]+", piece))


def split_claims(text: str) -> list[str]:
    """The claims of a comment, in order: one per sentence or added grievance, short pieces
    joined to their neighbour, at most MAX_CLAIMS. A one-claim comment gives one claim (its
    cleaned text); a comment with no words gives none."""
    cleaned = clean_text(text)
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(cleaned):
        pieces.extend(p.strip(" ,") for p in _JOINTS.split(sentence))
    pieces = [p for p in pieces if _words(p) > 0]
    claims: list[str] = []
    pending = ""
    for piece in pieces:
        merged = f"{pending} {piece}".strip() if pending else piece
        if _words(merged) < MIN_WORDS:
            pending = merged
            continue
        claims.append(merged)
        pending = ""
    if pending:
        if claims:
            claims[-1] = f"{claims[-1]} {pending}"
        else:
            claims.append(pending)
    if len(claims) > MAX_CLAIMS:
        claims = claims[: MAX_CLAIMS - 1] + [" ".join(claims[MAX_CLAIMS - 1 :])]
    return claims
