"""Small pure text helpers: platform length, first names, sentences, emoji, language."""

from __future__ import annotations

import re
import unicodedata

from knowledge.lang import detect_lang as detect_lang  # re-exported for this module's callers

# Public reply limits. X counts most non-Latin characters and emoji double (weighted length).
PLATFORM_LIMITS = {"x": 280, "twitter": 280}
DEFAULT_LIMIT = 1500

_EMOJI = re.compile(
    "[\U0001f300-\U0001faff\U0001f000-\U0001f2ff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d\U0001f1e6-\U0001f1ff]"
)
_SENTENCE = re.compile(r"(?<=[.!?…])\s+(?=\S)")
_URL = re.compile(r"https?://\S+")


def limit_for(platform: str | None) -> int:
    return PLATFORM_LIMITS.get((platform or "").strip().lower(), DEFAULT_LIMIT)


def _weight(ch: str) -> int:
    # twitter-text: Latin, Latin-1/Extended, Greek, Cyrillic… and general punctuation weigh 1; the rest 2.
    code = ord(ch)
    return 1 if code <= 4351 or 8192 <= code <= 8205 or 8208 <= code <= 8223 or 8242 <= code <= 8247 else 2


def platform_length(text: str, platform: str | None) -> int:
    """Length as the platform counts it (X: weighted, a URL counts 23); elsewhere characters."""
    if (platform or "").lower() not in PLATFORM_LIMITS:
        return len(text)
    urls = _URL.findall(text)
    rest = _URL.sub("", text)
    return sum(_weight(c) for c in rest if c not in "\ufe0f\u200d") + 23 * len(urls)


def fits(text: str, platform: str | None) -> bool:
    return platform_length(text, platform) <= limit_for(platform)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


def strip_emoji(text: str) -> str:
    return re.sub(r"[ \t]{2,}", " ", _EMOJI.sub("", text)).strip()


def has_emoji(text: str) -> bool:
    return bool(_EMOJI.search(text))


def first_name(display_name: str | None) -> str | None:
    """'Julie Tremblay' → 'Julie'; handles, digits and empty names → None (never greet '@growfast_2026')."""
    if not display_name:
        return None
    token = display_name.strip().split()[0] if display_name.strip() else ""
    token = token.strip(",.;:!?")
    if not token or not re.fullmatch(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", token) or len(token) > 30:
        return None
    return token[0].upper() + token[1:] if token.islower() or token.isupper() else token


def join(*parts: str | None) -> str:
    """Join non-empty parts with one space."""
    return " ".join(p.strip() for p in parts if p and p.strip())


def fold(text: str) -> str:
    """Lower case without accents ('Remboursé' → 'rembourse')."""
    return unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
