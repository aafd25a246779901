"""Hybrid retrieval: Chroma's vector similarity fused with a BM25 keyword score.

Vectors carry meaning across languages (a French question finds an English answer); BM25
catches the exact words the model blurs (place names, product names, numbers), and the
customer-service concepts of knowledge/concepts.py let it match "écrasées" with "abîmés" or
"arrêter" with "cancel". Both scores live in 0–1, so their weighted sum is an absolute score
and one calibrated threshold says "nothing good enough" (drafting then offers a private
follow-up instead of inventing).

Real comments carry several grievances: the comment is split into its claims
(knowledge/claims.py), each claim is matched as well, and each passage says which claims it
settles, so drafting can answer every one.

Weights come from bench/fit_retrieval.py on the training sets of bench/retrieval_train/ and
the real training sources; the dev set, bench/heldout/ and the real held-out sources only
measure them (bench/real_retrieval.py).
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from knowledge.claims import clean_text, split_claims
from knowledge.concepts import concept_tags
from knowledge.second_encoder import PassageCache, SecondEncoder
from knowledge.store import KINDS, Entry, KnowledgeStore, MetaValue

Mode = Literal["vector", "keyword", "hybrid"]
MODES: tuple[Mode, ...] = ("vector", "keyword", "hybrid")

# Hybrid score = cosine + KEYWORD_WEIGHT x normalised BM25 (words and concepts).
KEYWORD_WEIGHT = 0.6
# Added to entries in the asked language when ranking (prefer, don't exclude: an English-only
# answer must still reach a French question).
LANG_BONUS = 0.02
# Best score under which a search says "nothing good enough", per mode: the best-accuracy cut
# between comments the FAQ answers and comments it cannot, on bench/retrieval_train/
# (bench/fit_retrieval.py), never on the dev or held-out sets.
THRESHOLDS: dict[str, float] = {"vector": 0.31, "keyword": 0.07, "hybrid": 0.37}
# A comment of several claims scores an entry (1 - CLAIM_WEIGHT) x its whole-comment score +
# CLAIM_WEIGHT x its best score for one claim, so the second grievance of a comment still finds
# its entry; a one-claim comment keeps its whole score (same scale, same thresholds). Chosen on
# the real training sources and bench/retrieval_train/ (bench/fit_retrieval.py); 0 turns claim
# matching off (one embedding and one vector query per claim are its cost).
CLAIM_WEIGHT = 0.25

# With a second encoder (knowledge/second_encoder.py), the vector score is FIRST x cos(USE) +
# SECOND x cos(E5) and the keyword weight and thresholds are these: chosen by leave-one-source-out
# cross-validation on the real training sources (bench/real/cv_run.py), never on held-out ones.
# E5's cosines sit in a narrow band (0.7–0.9), hence its larger weight, and are higher for entries
# in the comment's language: they are centred per entry language (_centred_by_lang) so an answer
# that exists only in the other language is not pushed down.
SECOND_WEIGHTS = (0.3, 4.2)
SECOND_KEYWORD_WEIGHT = KEYWORD_WEIGHT
SECOND_THRESHOLDS: dict[str, float] = {"vector": 3.70, "keyword": THRESHOLDS["keyword"], "hybrid": 3.78}

_STOPWORD_TEXT = """
    a au aux avec ce ces cet cette c ca ça d de des du dans elle en et est etre être il ils je j l la le les
    leur lui ma mais me mes moi mon n ne nos notre nous on ou où par pas pour qu que qui s sa se ses si son
    sur ta te tes toi ton tu un une vos votre vous y ai as avez avons ont sont suis es était
    quel quelle quels quelles lequel laquelle comment bonjour salut allo merci svp stp oui non bien tres
    très plus peut peux faire fait
    the a an and or of to in on at for with is are was were be been am do does did i you your yours we
    our us it its this that these those my me he she they them their there here what which who how when
    where why can could would should will have has had not no yes hi hello hey thanks thank please just
    so if as by from about any some get
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_SUFFIXES = (
    "issements", "issement", "ations", "ation", "ements", "ement", "aisons", "aison", "ments", "ment",
    "euses", "euse", "eaux", "ings", "ing", "ies", "ied", "ons", "ez", "er", "ed", "es", "e", "s", "x",
)  # fmt: skip


def fold(text: str) -> str:
    """Lower case without accents, so 'Québec' and 'quebec' match."""
    return unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()


def stem(token: str) -> str:
    """A light French/English suffix stripper: 'livrez', 'livrer', 'livraison' → 'livr'."""
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            return token[: -len(suffix)]
    return token


def _stems(folded: str) -> list[str]:
    words = re.findall(r"[a-z0-9]+", folded)
    return [stem(w) for w in words if len(w) > 1 and w not in _STOPWORDS]


def tokenize(text: str) -> list[str]:
    return _stems(fold(text))


def concepts(text: str) -> list[str]:
    """The customer-service concepts a text names (`~refund`, `~damaged`…), whatever its words."""
    return concept_tags(fold(text))


def keyword_terms(text: str) -> list[str]:
    """What the keyword index matches on: the stemmed words and the concepts they name."""
    folded = fold(text)  # once: it runs for every entry when the index is built
    return _stems(folded) + concept_tags(folded)


class BM25:
    """Okapi BM25 over a brand's entries, in numpy, with a 0–1 normalised score.

    The normalised score divides by the sum of the query terms' idf (terms unseen in the
    corpus count as the rarest), which is roughly what a document matching every query term
    once scores: it reads as "how much of the query, weighted by rarity, this entry covers".
    """

    def __init__(
        self,
        documents: Sequence[str],
        tokenizer: Callable[[str], list[str]] = tokenize,
        k1: float = 1.2,
        b: float = 0.75,
    ) -> None:
        self.k1, self.b = k1, b
        self.tokenizer = tokenizer
        tokenized = [tokenizer(d) for d in documents]
        self.n_docs = len(tokenized)
        lengths = np.array([len(t) for t in tokenized], dtype=np.float32)
        avg = float(lengths.mean()) if self.n_docs and lengths.mean() > 0 else 1.0
        self._norm = k1 * (1 - b + b * lengths / avg)
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for doc, tokens in enumerate(tokenized):
            for term, tf in Counter(tokens).items():
                docs, tfs = postings.setdefault(term, ([], []))
                docs.append(doc)
                tfs.append(tf)
        self._postings = {
            t: (np.array(d, dtype=np.int64), np.array(f, dtype=np.float32)) for t, (d, f) in postings.items()
        }
        self._max_idf = self._idf(1)

    def _idf(self, df: int) -> float:
        return math.log(1 + (self.n_docs - df + 0.5) / (df + 0.5))

    def scores(self, query: str) -> np.ndarray:
        """Normalised scores (0–1) of every document for `query`."""
        out = np.zeros(self.n_docs, dtype=np.float32)
        terms = set(self.tokenizer(query))
        if not terms or not self.n_docs:
            return out
        total_idf = 0.0
        for term in terms:
            posting = self._postings.get(term)
            if posting is None:
                total_idf += self._max_idf
                continue
            docs, tfs = posting
            idf = self._idf(len(docs))
            total_idf += idf
            out[docs] += idf * tfs * (self.k1 + 1) / (tfs + self._norm[docs])
        return np.minimum(out / total_idf, 1.0)


@dataclass
class Passage:
    """A retrieved entry, with what a draft needs to cite it."""

    id: str
    collection: str
    question: str
    answer: str
    lang: str | None
    score: float
    vector_score: float | None = None
    keyword_score: float | None = None
    source: dict[str, MetaValue] = field(default_factory=dict)
    # Indexes into SearchResult.claims of the claims this entry is the best good-enough match for
    # (among the entries of its collection); empty when it was found on the whole comment only.
    claims: tuple[int, ...] = ()

    @property
    def text(self) -> str:
        return f"{self.question}\n{self.answer}".strip()


@dataclass
class SearchResult:
    passages: list[Passage]
    no_answer: bool
    threshold: float
    mode: str
    # The claims the comment was split into (knowledge.claims.split_claims).
    claims: list[str] = field(default_factory=list)


@dataclass
class _BrandIndex:
    revision: str  # the store's shared revision it was built at (KnowledgeStore.revision)
    entries: list[Entry]
    keys: dict[tuple[str, str], int]
    bm25: BM25
    # The entries' stored vectors, row for row: a candidate's cosine to the comment and to each
    # claim is one product, never a second read from Chroma.
    vectors: np.ndarray


def _centred_by_lang(scores: np.ndarray, langs: Sequence[str | None]) -> np.ndarray:
    """[text, candidate] scores with each entry language's mean moved to the mean of all candidates."""
    out = scores.copy()
    codes = np.array([lang or "" for lang in langs])
    overall = scores.mean(axis=1, keepdims=True)
    for lang in set(codes.tolist()):
        same = codes == lang
        out[:, same] += overall - scores[:, same].mean(axis=1, keepdims=True)
    return out


def _passage(entry: Entry, score: float, vec: float | None, kw: float | None) -> Passage:
    return Passage(
        id=entry.id,
        collection=entry.kind,
        question=entry.question,
        answer=entry.answer,
        lang=entry.lang,
        score=score,
        vector_score=vec,
        keyword_score=kw,
        source=dict(entry.meta),
    )


class Retriever:
    """Searches a brand's knowledge. The keyword index and the vectors are kept in memory and rebuilt
    when the brand's shared revision moves: a write by any process is searched within a second or so."""

    def __init__(
        self,
        store: KnowledgeStore,
        keyword_weight: float | None = None,
        thresholds: dict[str, float] | None = None,
        claim_weight: float = CLAIM_WEIGHT,
        second: SecondEncoder | None = None,
    ) -> None:
        """`second`: an optional second encoder fused with USE (costly: see knowledge/second_encoder.py);
        it brings its own keyword weight and thresholds unless they are given."""
        self.store = store
        if keyword_weight is None:
            keyword_weight = KEYWORD_WEIGHT if second is None else SECOND_KEYWORD_WEIGHT
        self.keyword_weight = keyword_weight
        self.claim_weight = claim_weight
        default = THRESHOLDS if second is None else SECOND_THRESHOLDS
        self.thresholds = dict(default if thresholds is None else thresholds)
        self._second = PassageCache(second) if second is not None else None
        self._indexes: dict[str, _BrandIndex] = {}
        self._lock = threading.Lock()

    @property
    def second_name(self) -> str | None:
        """The second encoder's name, None without one."""
        return self._second.encoder.name if self._second is not None else None

    def _index(self, brand: str) -> _BrandIndex:
        revision = self.store.revision(brand)
        with self._lock:
            cached = self._indexes.get(brand)
            if cached is not None and cached.revision == revision:
                return cached
            entries = self.store.list(brand)
            stored = self.store.vectors(brand)
            dim = self.store.embedder.dim
            zero = np.zeros(dim, dtype=np.float32)
            index = _BrandIndex(
                revision=revision,
                entries=entries,
                keys={(e.kind, e.id): i for i, e in enumerate(entries)},
                bm25=BM25([e.text for e in entries], keyword_terms),
                vectors=np.stack([stored.get((e.kind, e.id), zero) for e in entries])
                if entries
                else np.zeros((0, dim), dtype=np.float32),
            )
            self._indexes[brand] = index
            return index

    def search(
        self,
        brand: str,
        query: str,
        k: int = 5,
        lang: str | None = None,
        mode: Mode = "hybrid",
        strict_lang: bool = False,
        kinds: Sequence[str] = KINDS,
    ) -> SearchResult:
        """The `k` best passages; `no_answer` is set when the best one scores under the threshold.

        `lang` ranks entries in that language a little higher; with `strict_lang` the others
        are left out. The result lists the comment's claims; a comment of several claims is also
        matched claim by claim (vector and hybrid modes), and each passage names the claims it is
        the best good-enough match for in its collection (a one-claim comment: the top passages).
        """
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
        threshold = self.thresholds[mode]
        claims = split_claims(query)
        # Claims weigh in through their meaning: in keyword mode alone they only add noise.
        multi = self.claim_weight > 0 and mode != "keyword" and len(claims) > 1
        texts = [query, *claims] if multi else [query]
        pool = max(k * 4, 20)
        index = self._index(brand)
        allowed = [
            i
            for i, e in enumerate(index.entries)
            if e.kind in kinds and (not strict_lang or lang is None or e.lang == lang)
        ]
        candidates: set[tuple[str, str]] = set()
        vectors = self.store.embedder.embed(texts) if mode != "keyword" and query.strip() else None
        if vectors is not None:
            found = self.store.query_many(brand, vectors, pool, kinds, lang if strict_lang else None)
            candidates.update((entry.kind, entry.id) for hits in found for entry, _ in hits)
        keyword: np.ndarray | None = None
        if mode in ("keyword", "hybrid") and allowed:
            keyword = np.stack([index.bm25.scores(text) for text in texts])
            sub = np.array(allowed)
            for scores in keyword:
                for i in sub[np.argsort(-scores[sub], kind="stable")[:pool]]:
                    if scores[i] > 0:
                        candidates.add((index.entries[i].kind, index.entries[i].id))
        keys = sorted(key for key in candidates if key in index.keys)  # others: written after our index
        rows = [index.keys[key] for key in keys]
        # [t, c]: text t (0 = the whole comment, then each claim) against candidate c.
        if vectors is not None:
            vec = vectors @ index.vectors[rows].T
            if self._second is not None and rows:
                first, second = SECOND_WEIGHTS
                pairs = [(index.entries[r].question, index.entries[r].answer) for r in rows]
                # E5 reads the cleaned comment (handles and links only blur it); claims are clean already.
                asked = self._second.encoder.queries([clean_text(query) or query, *texts[1:]])
                langs = [index.entries[r].lang for r in rows]
                vec = first * vec + second * _centred_by_lang(asked @ self._second.vectors(pairs).T, langs)
        else:
            vec = np.zeros((len(texts), len(rows)), dtype=np.float32)
        kw = keyword[:, rows] if keyword is not None else np.zeros_like(vec)
        if mode == "vector":
            scores = vec
        elif mode == "keyword":
            scores = kw
        else:
            # Keyword evidence only adds: an entry in another language (no shared words) keeps its
            # full cosine, so cross-lingual answers are not pushed down.
            scores = vec + self.keyword_weight * kw
        fused = scores[0]
        if multi and len(keys):
            fused = (1 - self.claim_weight) * scores[0] + self.claim_weight * scores[1:].max(axis=0)
        bonus = np.array([LANG_BONUS if lang and index.entries[r].lang == lang else 0.0 for r in rows])
        order = sorted(range(len(keys)), key=lambda c: (-(fused[c] + bonus[c]), keys[c][1]))
        chosen = order[:k]
        # candidate → the claims it settles best: per claim, the best good-enough entry of each
        # collection (drafting answers from the FAQ and draws on viral answers apart).
        best_of: dict[int, list[int]] = {}
        claim_scores = scores[1:] if multi else scores[:1] if len(claims) == 1 else scores[:0]
        for claim, row_scores in enumerate(claim_scores):
            ranked_claim = row_scores + bonus
            for kind in {keys[c][0] for c in range(len(keys))}:
                of_kind = [c for c in range(len(keys)) if keys[c][0] == kind]
                winner = max(of_kind, key=lambda c: (ranked_claim[c], -c))
                if row_scores[winner] >= threshold and (multi or winner in chosen):
                    best_of.setdefault(winner, []).append(claim)
        if multi:
            # Each claim's best entries get a place among the k, in place of the weakest others.
            for winner in sorted(set(best_of) - set(chosen), key=lambda c: -fused[c]):
                spare = [c for c in reversed(chosen) if c not in best_of]
                if spare:
                    chosen.remove(spare[0])
                    chosen.append(winner)
            chosen.sort(key=lambda c: (-(fused[c] + bonus[c]), keys[c][1]))
        passages = []
        for c in chosen:
            entry = index.entries[rows[c]]
            v = float(vec[0, c]) if vectors is not None else None
            s = float(kw[0, c]) if keyword is not None else None
            passage = _passage(entry, float(fused[c]), v, s)
            passage.claims = tuple(best_of.get(c, ()))
            passages.append(passage)
        best = max((p.score for p in passages), default=0.0)
        return SearchResult(
            passages=passages, no_answer=best < threshold, threshold=threshold, mode=mode, claims=claims
        )
