"""What real public comments carry besides their words: handles, links, emoji, shouting, the rules' facts.

Three pure functions. `for_embedding` rewrites a comment the way the sentence encoder reads best (a chain
of @handles, links and stretched letters are noise to it; the words are not). `surface` turns the
comment and the detectors' facts into a small vector, in [0, 1] each, that the learnt heads weigh next
to the embedding — so "a link and a lure word" or "swearing but no insult aimed at anyone" are learnt
from labelled real comments instead of being hard rules. `ngrams` hashes the comment's words, word pairs
and letter groups, so slang, misspellings and SMS spelling ("jsp", "tjrs", "pkoi", "smh") that the
encoder has never seen still count once a labelled comment has used them.
"""

from __future__ import annotations

import math
import re
import unicodedata
import zlib
from collections import Counter

import numpy as np

from knowledge.triage.detectors import LEADING_HANDLES, Signals, opens_with_question_word

_HANDLE = re.compile(r"(?<![\w@])@\w{1,30}")
_URL = re.compile(r"(https?://\S+|\bwww\.\S+)", re.IGNORECASE)
_HASHTAG = re.compile(r"(?<!\w)#(\w+)")
_STRETCH = re.compile(r"(\w)\1{2,}")
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f]")
_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
_LONG_NUMBER = re.compile(r"\d{4,}")
_MONEY = re.compile(r"([$€£]\s?\d|\d\s?[$€£]|\b\d+\s?(?:dollars?|euros?|fcfa|cfa|usd|cad|eur)\b)", re.IGNORECASE)
_FIRST_PERSON = re.compile(
    r"\b(i|i'm|im|i've|ive|my|me|mine|we|our|us|je|j'|j’|moi|mon|ma|mes|nous|nos|notre|on)\b", re.IGNORECASE
)
_SECOND_PERSON = re.compile(r"\b(you|your|you're|u|ur|vous|votre|vos|tu|t'|t’|ton|ta|tes|toi)\b", re.IGNORECASE)
# Warm words and sore words in both languages: the encoder reads them, but a comment's sentiment often
# hangs on one of them among handles and hashtags.
_WARM = re.compile(
    r"\b(thanks?|thank you|thx|ty|love|great|awesome|amazing|best|excellent|perfect|merci|bravo|génial|genial|"
    r"super|top|excellent|parfait|adore|j'adore|meilleur|félicitations|felicitations|chapeau)\b|[❤😍🥰👏🙏😊]",
    re.IGNORECASE,
)
_SORE = re.compile(
    r"\b(worst|terrible|horrible|awful|ridiculous|disgusting|unacceptable|never again|disappointed|shame|"
    r"pire|nul|nulle|honteux|honte|inadmissible|scandale|scandaleux|déçu|déçue|decu|ras le bol|marre|"
    r"inacceptable|lamentable|catastrophe|n'importe quoi)\b|[😡🤬😤👎]",
    re.IGNORECASE,
)

FEATURES: tuple[str, ...] = (
    "handles",
    "starts_with_handle",
    "links",
    "hashtags",
    "emoji",
    "emoji_only",
    "caps",
    "exclamations",
    "question_mark",
    "question_word",
    "stretched",
    "length",
    "long_number",
    "money",
    "first_person",
    "second_person",
    "warm",
    "sore",
    "personal_data",
    "lure",
    "distress",
    "hardship",
    "safety",
    "legal",
    "minor",
    "injection",
    "hate",
    "insult",
    "profanity",
    "sac_hint",
    "account_marker",
    "problem",
    "misspelt",
)


def for_embedding(text: str) -> str:
    """The comment as the encoder should read it: no leading @handle chain, links and handles as a word,
    stretched letters shortened, shouting lowered. Never empty."""
    out = LEADING_HANDLES.sub("", text)
    out = _URL.sub(" lien ", out)
    out = _HANDLE.sub("@user", out)
    out = _STRETCH.sub(r"\1\1", out)
    letters = [c for c in out if c.isalpha()]
    if len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.6:
        out = out.lower()
    out = " ".join(out.split())
    return out or text.strip() or " "


def _capped(count: float, cap: float) -> float:
    return min(count, cap) / cap


def surface(text: str, signals: Signals) -> np.ndarray:
    """The comment's surface and the detectors' facts, one float in [0, 1] per name in FEATURES."""
    words = _WORD.findall(text)
    letters = [c for c in text if c.isalpha()]
    shouted = sum(1 for w in words if len(w) >= 3 and w.isupper())
    values = {
        "handles": _capped(len(_HANDLE.findall(text)), 3),
        "starts_with_handle": float(text.lstrip().startswith("@")),
        "links": _capped(len(signals.links), 2),
        "hashtags": _capped(len(_HASHTAG.findall(text)), 3),
        "emoji": _capped(len(_EMOJI.findall(text)), 5),
        "emoji_only": float(bool(text.strip()) and not letters),
        "caps": shouted / len(words) if words else 0.0,
        "exclamations": _capped(text.count("!"), 3),
        "question_mark": float("?" in text),
        "question_word": float(opens_with_question_word(text)),
        "stretched": float(bool(_STRETCH.search(text))),
        "length": min(1.0, math.log1p(len(words)) / math.log(120)),
        "long_number": float(bool(_LONG_NUMBER.search(text))),
        "money": float(bool(_MONEY.search(text))),
        "first_person": _capped(len(_FIRST_PERSON.findall(text)), 4),
        "second_person": _capped(len(_SECOND_PERSON.findall(text)), 3),
        "warm": _capped(len(_WARM.findall(text)), 2),
        "sore": _capped(len(_SORE.findall(text)), 2),
        "personal_data": float(bool(signals.personal_data)),
        "lure": float(signals.lure),
        "distress": float(signals.distress),
        "hardship": float(signals.hardship),
        "safety": float(signals.safety),
        "legal": float(signals.legal),
        "minor": float(signals.minor),
        "injection": float(signals.injection),
        "hate": float(signals.hate),
        "insult": float(signals.insult),
        "profanity": float(signals.profanity),
        "sac_hint": float(signals.sac_hint),
        "account_marker": float(signals.account_marker),
        "problem": float(signals.problem),
        "misspelt": _capped(signals.literacy.phonetic + signals.literacy.near_misses, 3),
    }
    return np.array([values[name] for name in FEATURES], dtype=np.float32)


NGRAM_BUCKETS = 1 << 15
_TOKEN = re.compile(r"@user|lien|[^\W_]+|[!?]|[\U0001f000-\U0001faff\u2600-\u27bf]", re.UNICODE)


def _fold(text: str) -> str:
    lowered = for_embedding(text).lower()
    return "".join(c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c))


def _bucket(gram: str) -> int:
    return zlib.crc32(gram.encode("utf-8")) & (NGRAM_BUCKETS - 1)


def ngrams(text: str) -> dict[int, float]:
    """Hashed counts of words, word pairs and 3- to 5-letter groups (sublinear: 1 + log count)."""
    words = _TOKEN.findall(_fold(text))
    grams: Counter[str] = Counter(f"w:{w}" for w in words)
    grams.update(f"b:{a} {b}" for a, b in zip(words, words[1:], strict=False))
    for w in words:
        padded = f"<{w}>"
        for n in (3, 4, 5):
            grams.update(f"c:{padded[i : i + n]}" for i in range(max(1, len(padded) - n + 1)))
    counts: dict[int, float] = {}
    for gram, count in grams.items():
        b = _bucket(gram)
        counts[b] = counts.get(b, 0.0) + 1.0 + math.log(count)
    return counts


def ngram_matrix(texts: list[str], idf: np.ndarray) -> np.ndarray:
    """Rows of idf-weighted, L2-normalised hashed n-grams (dense: a few comments at a time at run time)."""
    out = np.zeros((len(texts), NGRAM_BUCKETS), dtype=np.float32)
    for row, text in enumerate(texts):
        for b, v in ngrams(text).items():
            out[row, b] = v * idf[b]
        norm = float(np.linalg.norm(out[row]))
        if norm > 0:
            out[row] /= norm
    return out


def fit_idf(texts: list[str]) -> np.ndarray:
    df = np.zeros(NGRAM_BUCKETS, dtype=np.float64)
    for text in texts:
        df[list(ngrams(text))] += 1
    return np.log((1 + len(texts)) / (1 + df)).astype(np.float32) + 1.0
