"""The triage model: learnt numbers only (no text), fitted offline and shipped as `model.npz`.

Two views of the labelled comments, blended per head:
- a ridge classifier over [sentence embedding, scaled surface features, bias, hashed n-grams], solved
  in closed form (numpy, its dual: a few seconds for a few thousand rows), which generalises;
- a distance-weighted k-NN vote over the embeddings, which keeps rare, sharp cases (a scam wording,
  a slur) close to their neighbours.

`bench/real/train_triage.py` produces the file from our written examples and the labelled real
comments of the training sources; it never sees a held-out source.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.triage.features import FEATURES, NGRAM_BUCKETS, ngram_matrix
from knowledge.triage.types import INTENTS, MODERATIONS, SENTIMENTS

MODEL_PATH = Path(__file__).with_name("model.npz")

# Heads: name -> classes. Binary heads use (False, True).
HEADS: dict[str, tuple[Any, ...]] = {
    "intent": INTENTS,
    "sentiment": SENTIMENTS,
    "needs_sac": (False, True),
    "humor_ok": (False, True),
    "moderation": MODERATIONS,
    "low_literacy": (False, True),
}
BALANCED = frozenset({"intent", "moderation", "needs_sac"})  # rare classes (spam, distress, hide) count
UNKNOWN = -1  # a row without this head's label (real comments carry no low_literacy tag)


@dataclass(frozen=True)
class FitOptions:
    l2: float = 1.0
    feature_scale: float = 0.5  # surface features next to a unit-norm embedding
    temperature: float = 6.0  # ridge scores live in about [0, 1]: sharpen them into probabilities
    k: int = 9
    knn_weight: float = 0.4
    knn_sharpness: float = 12.0  # the closest neighbours dominate the vote
    ngram_scale: float = 1.0  # hashed n-grams (unit norm) next to the embedding

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> FitOptions:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in values.items() if k in known})


@dataclass(frozen=True)
class LabelledSet:
    vectors: np.ndarray  # (n, dim), L2-normalised
    features: np.ndarray  # (n, len(FEATURES))
    grams: np.ndarray  # (n, NGRAM_BUCKETS): idf-weighted, L2-normalised hashed n-grams
    labels: dict[str, np.ndarray]  # head -> class index per row, UNKNOWN where absent
    weights: np.ndarray  # (n,)

    @classmethod
    def of(
        cls,
        vectors: np.ndarray,
        features: np.ndarray,
        grams: np.ndarray,
        labels: Sequence[Mapping[str, Any]],
        weights: Sequence[float] | np.ndarray | None = None,
    ) -> LabelledSet:
        if not (len(vectors) == len(features) == len(grams) == len(labels)):
            raise ValueError("vectors, features, n-grams and labels must have one row per comment")
        indices = {
            head: np.array([classes.index(row[head]) if head in row else UNKNOWN for row in labels], dtype=np.int8)
            for head, classes in HEADS.items()
        }
        w = np.ones(len(labels)) if weights is None else np.asarray(weights, dtype=np.float64)
        return cls(vectors.astype(np.float32), features.astype(np.float32), grams.astype(np.float32), indices, w)

    def subset(self, idx: np.ndarray) -> LabelledSet:
        return LabelledSet(
            self.vectors[idx],
            self.features[idx],
            self.grams[idx],
            {h: y[idx] for h, y in self.labels.items()},
            self.weights[idx],
        )


def dense_design(vectors: np.ndarray, features: np.ndarray, opts: FitOptions) -> np.ndarray:
    ones = np.ones((vectors.shape[0], 1), dtype=np.float32)
    return np.hstack([vectors, features * opts.feature_scale, ones]).astype(np.float32)


def kernel(a: LabelledSet, b: LabelledSet, opts: FitOptions) -> np.ndarray:
    """Inner products of the rows' full designs ([embedding, features, bias, n-grams]), (len a, len b)."""
    dense = dense_design(a.vectors, a.features, opts) @ dense_design(b.vectors, b.features, opts).T
    return (dense + (opts.ngram_scale**2) * (a.grams @ b.grams.T)).astype(np.float64)


def solve_head(k: np.ndarray, y: np.ndarray, w: np.ndarray, n_classes: int, *, balanced: bool, l2: float) -> np.ndarray:
    """Weighted ridge onto one-hot targets in its dual form: alpha with (D K + l2 I) alpha = D Y.

    The n-gram design has 32,768 columns but a training set has a few thousand rows, so the
    (rows x rows) system is the small one. Rows with UNKNOWN labels get no weight.
    """
    known = y != UNKNOWN
    yk = np.where(known, y, 0).astype(np.int64)
    w = np.where(known, w, 0.0)
    if balanced:
        counts = np.bincount(yk, weights=w, minlength=n_classes)
        w = w * (w.sum() / (n_classes * np.maximum(counts, 1e-9)))[yk]
    system = w[:, None] * k + l2 * np.eye(k.shape[0])
    return np.linalg.solve(system, w[:, None] * np.eye(n_classes)[yk])


def softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


def knn_vote(sims: np.ndarray, labels: np.ndarray, n_classes: int, opts: FitOptions) -> np.ndarray:
    """Distance-weighted vote of the k most similar labelled rows (rows without this label skipped)."""
    known = labels != UNKNOWN
    head_sims = np.where(known[None, :], sims, -np.inf)
    k = min(opts.k, int(known.sum()))
    top = np.argpartition(-head_sims, k - 1, axis=1)[:, :k]
    top_sims = np.take_along_axis(head_sims, top, axis=1)
    votes = np.exp((top_sims - top_sims.max(axis=1, keepdims=True)) * opts.knn_sharpness)
    knn = np.zeros((sims.shape[0], n_classes), dtype=np.float64)
    np.add.at(knn, (np.repeat(np.arange(len(top)), k), labels[top].ravel().astype(np.int64)), votes.ravel())
    return knn / knn.sum(axis=1, keepdims=True)


def blend(
    ridge_scores: np.ndarray, sims: np.ndarray, labels: np.ndarray, n_classes: int, opts: FitOptions
) -> np.ndarray:
    ridge = softmax(ridge_scores * opts.temperature)
    return (1 - opts.knn_weight) * ridge + opts.knn_weight * knn_vote(sims, labels, n_classes, opts)


@dataclass
class TriageModel:
    dense_weights: dict[str, np.ndarray]  # head -> (dim + features + 1, classes)
    ngram_weights: dict[str, np.ndarray]  # head -> (NGRAM_BUCKETS, classes), n-gram scale folded in
    idf: np.ndarray  # (NGRAM_BUCKETS,)
    knn_vectors: np.ndarray  # (n, dim): the labelled rows' embeddings
    knn_labels: dict[str, np.ndarray]  # head -> class index per row (UNKNOWN where absent)
    options: FitOptions
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def dim(self) -> int:
        return int(self.knn_vectors.shape[1])

    def predict(self, vectors: np.ndarray, features: np.ndarray, texts: Sequence[str]) -> list[dict[str, np.ndarray]]:
        """Per row, each head's class probabilities."""
        # A model fitted without n-grams has all-zero n-gram weights: skip hashing the comment.
        grams = ngram_matrix(list(texts), self.idf) if self.options.ngram_scale else None
        return self.predict_grams(vectors, features, grams)

    def predict_grams(
        self, vectors: np.ndarray, features: np.ndarray, grams: np.ndarray | None
    ) -> list[dict[str, np.ndarray]]:
        """`predict` with the n-gram rows already computed (cross-validation has them for every row)."""
        if vectors.shape[0] == 0:
            return []
        x = dense_design(vectors, features, self.options)
        sims = vectors.astype(np.float32) @ self.knn_vectors.T
        rows: list[dict[str, np.ndarray]] = [{} for _ in range(vectors.shape[0])]
        for head, classes in HEADS.items():
            scores = x @ self.dense_weights[head]
            if grams is not None:
                scores = scores + grams @ self.ngram_weights[head]
            probs = blend(scores, sims, self.knn_labels[head], len(classes), self.options)
            for i in range(len(rows)):
                rows[i][head] = probs[i]
        return rows

    def save(self, path: Path) -> None:
        arrays: dict[str, np.ndarray] = {"knn_vectors": self.knn_vectors.astype(np.float16), "idf": self.idf}
        for head in HEADS:
            arrays[f"w_{head}"] = self.dense_weights[head].astype(np.float32)
            arrays[f"g_{head}"] = self.ngram_weights[head].astype(np.float16)
            arrays[f"y_{head}"] = self.knn_labels[head]
        meta = {**self.meta, "options": self.options.__dict__, "features": list(FEATURES)}
        arrays["meta"] = np.array(json.dumps(meta, sort_keys=True))
        with path.open("wb") as fh:
            np.savez_compressed(fh, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> TriageModel:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("features") != list(FEATURES) or data["idf"].shape != (NGRAM_BUCKETS,):
                raise ValueError(f"{path}: trained with other features; rerun bench/real/train_triage.py")
            return cls(
                dense_weights={h: data[f"w_{h}"] for h in HEADS},
                ngram_weights={h: data[f"g_{h}"].astype(np.float32) for h in HEADS},
                idf=data["idf"],
                knn_vectors=data["knn_vectors"].astype(np.float32),
                knn_labels={h: data[f"y_{h}"] for h in HEADS},
                options=FitOptions.of(meta.get("options", {})),
                meta=meta,
            )


def fit(
    data: LabelledSet,
    *,
    embedder: str,
    idf: np.ndarray,
    options: FitOptions | None = None,
    gram: np.ndarray | None = None,
    **meta: Any,
) -> TriageModel:
    """Fit every head; `gram` is the data's kernel when the caller already has it (cross-validation)."""
    opts = options or FitOptions()
    k = kernel(data, data, opts) if gram is None else gram
    x = dense_design(data.vectors, data.features, opts)
    dense, grams = {}, {}
    for head, classes in HEADS.items():
        alpha = solve_head(
            k, data.labels[head], data.weights, len(classes), balanced=head in BALANCED, l2=opts.l2
        ).astype(np.float32)
        dense[head] = x.T @ alpha
        grams[head] = (opts.ngram_scale**2) * (data.grams.T @ alpha)
    return TriageModel(
        dense_weights=dense,
        ngram_weights=grams,
        idf=idf.astype(np.float32),
        knn_vectors=data.vectors.astype(np.float32),
        knn_labels=dict(data.labels),
        options=opts,
        meta={"embedder": embedder, "rows": int(len(data.weights)), **meta},
    )
