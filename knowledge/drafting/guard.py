"""Checks every proposal passes before a CM sees it: known citations, no promise the sources don't make,
no prompt leak, no obeying instructions written in the comment."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from knowledge.drafting.text import fold

# Claims a reply may only make when a cited passage makes them too. Patterns run on folded text.
RISKY_CLAIMS: dict[str, re.Pattern[str]] = {
    "refund": re.compile(r"rembours|refund|reimburs|money back|\bargent (?:vous sera |te sera )?(?:rendu|remis)"),
    "free": re.compile(r"gratuit|(?<!feel )(?<!feels )\bfree\b(?! to\b)|sans frais|free of charge|no charge|\boffert"),
    "discount": re.compile(r"rabais|reduction|discount|coupon|code promo|promo code|\b\d+ ?% (?:off|de rabais)"),
    "compensation": re.compile(r"dedommag|compens|geste commercial|goodwill"),
}
# Instructions aimed at the assistant rather than at the brand ("ignore your instructions", "SYSTEM:").
_INJECTION = re.compile(
    r"ignor\w*\s+(?:toutes?\s+|all\s+|tes\s+|vos\s+|your\s+|the\s+|les\s+|previous\s+|pr[eé]c[eé]dentes?\s+)*"
    r"(?:instructions?|consignes?|r[eè]gles|rules|prompts?)"
    r"|oublie\w*\s+(?:toutes?\s+)?(?:tes|vos|les)\s+(?:instructions?|consignes?|r[eè]gles)"
    r"|forget\s+(?:all\s+|your\s+|the\s+)*(?:instructions?|rules)"
    r"|\bsyst[eè]me?\s*:|\bsystem\s*:|\[/?(?:system|inst)\]|<\|?(?:system|im_start)"
    r"|developer mode|mode d[ée]veloppeur|jailbreak|\bDAN\b"
    r"|(?:you are|you're) now\b|tu es (?:maintenant|désormais|dorénavant)|vous êtes (?:maintenant|désormais)"
    r"|(?:reveal|show|print|repeat|give me|tell me)\s+(?:me\s+)?(?:your|the)\s+(?:full\s+|system\s+|initial\s+)*"
    r"(?:prompt|instructions|system message)"
    r"|(?:r[ée]v[eè]le|montre|affiche|donne|r[ée]p[eè]te)[-\w]*\s+(?:moi\s+)?(?:ton|tes|votre|vos|le)\s+"
    r"(?:prompt|instructions|consignes|message syst[eè]me)"
    r"|admin password|mot de passe (?:admin|administrateur)"
    r"|\bnew (?:rule|instruction)s?\b|\bnouvelles? (?:consignes?|instructions?|r[eè]gles?)\b"
    r"|(?:translate|tradui\w*)\s+(?:your|tes|vos)\s+(?:instructions|consignes)"
    r"|(?:écris|ecris|publie|réponds|reponds|dis|write|post|reply|say)\s+(?:exactement\s+|exactly\s+)?"
    r"(?:que|that|with|avec)?\s*[«\"“]",
    re.IGNORECASE,
)


def looks_like_injection(text: str) -> bool:
    """True when a comment talks to the assistant instead of the brand (it stays data either way)."""
    return bool(_INJECTION.search(text))


def risky_claims(text: str) -> set[str]:
    folded = fold(text)
    return {name for name, pattern in RISKY_CLAIMS.items() if pattern.search(folded)}


def unsupported_claims(text: str, sources: Iterable[str]) -> set[str]:
    """Risky claims in `text` that none of the source texts makes (a refund promised out of thin air)."""
    claimed = risky_claims(text)
    if not claimed:
        return set()
    backed: set[str] = set()
    for source in sources:
        backed |= risky_claims(source)
    return claimed - backed


def keep_known(cited: Sequence[str], known: Iterable[str]) -> tuple[list[str], list[str]]:
    """(kept, dropped): citations must be ids of passages the drafter was given, in order, once each."""
    allowed = set(known)
    kept: list[str] = []
    dropped: list[str] = []
    for cid in cited:
        cid = str(cid).strip()
        if cid in allowed and cid not in kept:
            kept.append(cid)
        elif cid and cid not in allowed:
            dropped.append(cid)
    return kept, dropped


def _shingles(text: str, size: int) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", fold(text))
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def leaks_prompt(text: str, prompt: str, canary: str, size: int = 7) -> bool:
    """The reply repeats the canary or any 7-word run of the system prompt."""
    if canary.lower() in text.lower():
        return True
    return bool(_shingles(text, size) & _shingles(prompt, size))


def avoided_words(text: str, avoid: Iterable[str]) -> list[str]:
    folded = fold(text)
    return [w for w in avoid if re.search(r"(?<!\w)" + re.escape(fold(w)) + r"(?!\w)", folded)]


# Above this share of shared word triples, an "alternative" only rephrases the main reply's edges.
SAME_CONTENT = 0.7


def same_content(alternative: str, main: str, greeting: str = "", signature: str = "") -> bool:
    """The alternative says what the main reply says (a copy minus the greeting): no real choice for the CM."""

    def body(text: str) -> set[tuple[str, ...]]:
        for edge in (greeting, signature):
            if edge.strip():
                text = text.replace(edge.strip(), " ")
        return _shingles(text, 3)

    a, b = body(alternative), body(main)
    if not a or not b:
        return fold(alternative).strip() == fold(main).strip()
    return len(a & b) / min(len(a), len(b)) >= SAME_CONTENT
