"""Choose the retrieval weights and the "nothing good enough" thresholds on the training sets.

    uv run python bench/fit_retrieval.py

The training sets: the ones we wrote for this only (bench/retrieval_train/: a gym chain, a
clothing shop, an energy utility, a pet store; and the sample brand with the comments of
bench/sample_cases.py) and the real training sources of bench/real/split.json with the FAQ we
wrote for each (bench/real/kb/; texts read from ../shared/data/real, skipped when it is absent).
The dev set, bench/heldout/ and the real held-out sources never take part in a choice, they
measure it afterwards (`sowana eval retrieval`, bench/heldout.py, bench/real_retrieval.py).

1. A grid over the question view's weight in the entry vector (answer + weight x question,
   store.QUESTION_WEIGHT) and the keyword weight (retrieval.KEYWORD_WEIGHT), scored by the mean
   over the training sets of hit@3 + MRR/2 (computed exactly, over every entry). The language
   bonus stays out of the fit: labels accept both language versions of an answer, so they cannot
   value what the bonus is for (citing the French version to a French comment).
2. The claim weight (retrieval.CLAIM_WEIGHT: how much a comment's best-matched claim counts
   beside the whole comment), with the real retriever, by the same objective.
3. With the shipped settings, the real retriever on each training set: the threshold that best
   separates the best score of answerable comments from that of comments the FAQ cannot answer.
"""

from __future__ import annotations

import itertools
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.sample_cases import CASES, SAMPLES
from knowledge.embeddings import get_embedder
from knowledge.loaders import detect_lang, load_path
from knowledge.retrieval import (
    BM25,
    CLAIM_WEIGHT,
    KEYWORD_WEIGHT,
    LANG_BONUS,
    MODES,
    THRESHOLDS,
    Retriever,
    keyword_terms,
)
from knowledge.store import QUESTION_WEIGHT, Entry, blend_views, embed_views, open_store

TRAIN = Path(__file__).resolve().parent / "retrieval_train"
REAL = Path(__file__).resolve().parent / "real"
GRID = {"question": (0.25, 0.5, 0.75, 1.0, 1.5), "keyword": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)}


@dataclass
class Comment:
    text: str
    lang: str | None
    wanted: set[str]


@dataclass
class TrainingSet:
    name: str
    entries: list[Entry]
    comments: list[Comment]


def _jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_training_sets(root: Path = TRAIN) -> list[TrainingSet]:
    sets = []
    for folder in sorted(p for p in root.iterdir() if (p / "labels.jsonl").exists()):
        texts = {str(r["id"]): r for r in _jsonl(folder / "comments.jsonl")}
        comments = []
        for label in _jsonl(folder / "labels.jsonl"):
            row = texts[str(label["id"])]
            text = str(row["text"])
            lang = str(row.get("lang") or "") or detect_lang(text)
            comments.append(Comment(text, lang, set(label.get("kb_ids") or [])))  # type: ignore[arg-type]
        sets.append(TrainingSet(folder.name, load_path(folder / "kb.jsonl").entries, comments))
    sample = [Comment(text, detect_lang(text), set(ids)) for text, ids in CASES]
    sets.append(TrainingSet("sample_brand", load_path(SAMPLES).entries, sample))
    return sets + real_training_sets()


def real_training_sets() -> list[TrainingSet]:
    """The real training sources with a FAQ (never the held-out ones); none without the corpus."""
    sys.path.insert(0, str(REAL))
    import corpus

    try:
        texts = corpus.comments()
    except SystemExit as exc:
        print(f"(real training sources skipped: {exc})")
        return []
    sets = []
    for source in corpus.split()["train"]:
        kb, labels = REAL / "kb" / f"{source}.jsonl", REAL / "kb" / f"{source}.labels.jsonl"
        if not labels.exists():
            continue
        comments = []
        for label in _jsonl(labels):
            row = texts[str(label["id"])]
            text = str(row["text"])
            lang = str(row.get("lang") or "") or detect_lang(text)
            comments.append(Comment(text, lang, set(label.get("kb_ids") or [])))  # type: ignore[arg-type]
        sets.append(TrainingSet(f"real:{source}", load_path(kb).entries, comments))
    return sets


def best_threshold(pos: list[float], neg: list[float]) -> tuple[float, float]:
    """Threshold with the best accuracy (ties: the median of the best cuts)."""
    candidates = sorted(set(pos + neg))
    cuts = [(a + b) / 2 for a, b in zip(candidates, candidates[1:], strict=False)] or [0.5]
    accs = [(sum(p >= c for p in pos) + sum(n < c for n in neg)) / (len(pos) + len(neg)) for c in cuts]
    best = max(accs)
    good = [c for c, a in zip(cuts, accs, strict=True) if a == best]
    return float(np.median(good)), best


class Scorer:
    """Every component score of one training set, so the grid is pure numpy."""

    def __init__(self, ts: TrainingSet) -> None:
        embedder = get_embedder()
        self.ts = ts
        self.ids = [e.id for e in ts.entries]
        self.answers, self.questions = embed_views(embedder, ts.entries)
        self.queries = embedder.embed([c.text for c in ts.comments])
        bm25 = BM25([e.text for e in ts.entries], keyword_terms)
        self.keyword = np.stack([bm25.scores(c.text) for c in ts.comments])
        self.same_lang = np.array([[float(bool(c.lang) and e.lang == c.lang) for e in ts.entries] for c in ts.comments])
        self.answerable = [i for i, c in enumerate(ts.comments) if c.wanted]

    def objective(self, question: float, keyword: float) -> tuple[float, float]:
        """(hit@3, MRR) over the answerable comments."""
        scores = self.queries @ blend_views(self.answers, self.questions, question).T
        scores = scores + keyword * self.keyword + LANG_BONUS * self.same_lang
        hits = rr = 0.0
        for i in self.answerable:
            order = np.argsort(-scores[i], kind="stable")
            rank = next(r for r, j in enumerate(order, 1) if self.ids[j] in self.ts.comments[i].wanted)
            hits += rank <= 3
            rr += 1 / rank
        n = len(self.answerable)
        return hits / n, rr / n


def fit_weights(scorers: list[Scorer]) -> None:
    rows = []
    for q, kw in itertools.product(GRID["question"], GRID["keyword"]):
        results = [s.objective(q, kw) for s in scorers]
        hit3 = float(np.mean([h for h, _ in results]))
        mrr = float(np.mean([m for _, m in results]))
        rows.append((hit3 + mrr / 2, hit3, mrr, q, kw))
    rows.sort(key=lambda r: -r[0])
    print(f"question  keyword   hit@3    MRR  objective (mean over the training sets; language bonus {LANG_BONUS})")
    shipped = (QUESTION_WEIGHT, KEYWORD_WEIGHT)
    for obj, hit3, mrr, q, kw in rows[:8] + [r for r in rows[8:] if r[3:] == shipped]:
        mark = "  ← shipped" if (q, kw) == shipped else ""
        print(f"{q:8.2f} {kw:8.2f} {hit3:7.3f} {mrr:6.3f} {obj:10.3f}{mark}")
    print(f"vector only: hit@3 {np.mean([s.objective(QUESTION_WEIGHT, 0.0)[0] for s in scorers]):.3f}")


def rank_of(found: list[str], wanted: set[str]) -> int | None:
    return next((r for r, i in enumerate(found, 1) if i in wanted), None)


def fit_claim_weight(retriever: Retriever, sets: list[TrainingSet]) -> None:
    print("claim weight  hit@1  hit@3    MRR  objective (mean over the training sets, hybrid)")
    for weight in (0.0, 0.15, 0.25, 0.35, 0.5):
        retriever.claim_weight = weight
        per_set = []
        for ts in sets:
            ranks = [
                rank_of([p.id for p in retriever.search(ts.name, c.text, k=10, lang=c.lang).passages], c.wanted)
                for c in ts.comments
                if c.wanted
            ]
            per_set.append(
                (
                    np.mean([r == 1 for r in ranks]),
                    np.mean([r is not None and r <= 3 for r in ranks]),
                    np.mean([1 / r if r else 0.0 for r in ranks]),
                )
            )
        h1, h3, mrr = np.mean(per_set, axis=0)
        mark = "  ← shipped" if weight == CLAIM_WEIGHT else ""
        print(f"{weight:12.2f} {h1:6.3f} {h3:6.3f} {mrr:6.3f} {h3 + mrr / 2:10.3f}{mark}")
    retriever.claim_weight = CLAIM_WEIGHT


def fit_thresholds(sets: list[TrainingSet]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(tmp)
        for ts in sets:
            store.upsert(ts.name, ts.entries)
        retriever = Retriever(store)
        fit_claim_weight(retriever, sets)
        for mode in MODES:
            pos: list[float] = []
            neg: list[float] = []
            for ts in sets:
                for c in ts.comments:
                    found = retriever.search(ts.name, c.text, k=3, lang=c.lang, mode=mode)
                    (pos if c.wanted else neg).append(found.passages[0].score if found.passages else 0.0)
            cut, acc = best_threshold(pos, neg)
            print(
                f"{mode:<8} answerable median {np.median(pos):.3f}, unanswerable median {np.median(neg):.3f} "
                f"→ threshold {cut:.3f} (accuracy {acc:.3f}); shipped {THRESHOLDS[mode]:.3f}"
            )


def main() -> None:
    sets = load_training_sets()
    print(f"training sets: {', '.join(f'{s.name} ({len(s.comments)})' for s in sets)}")
    fit_weights([Scorer(s) for s in sets])
    fit_thresholds(sets)


if __name__ == "__main__":
    main()
