"""The learnt part of offline triage at run time: the shipped model's heads, and the team's corrections.

The heads themselves (ridge + k-NN over sentence embeddings and surface features) are in `model.py`,
trained by `bench/real/train_triage.py` on real comments and our written examples and shipped as
`model.npz`. A team correction made in Slack counts at once for the comments that look like it,
without retraining (`_apply_corrections`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.embeddings import Embedder
from knowledge.triage.features import fit_idf, for_embedding, ngram_matrix
from knowledge.triage.model import HEADS, LabelledSet, TriageModel, fit
from knowledge.triage.types import CORRECTABLE

EXAMPLES_PATH = Path(__file__).with_name("examples.jsonl")

log = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sowana"


def embed_cached(embedder: Embedder, texts: Sequence[str], cache_dir: Path | None) -> np.ndarray:
    """Embed the shipped examples once per (model, examples) pair: ~600 rows cost ~5 s on 2 cores.

    The key hashes the model name and every text, so an edited examples file is re-embedded.
    A cache that cannot be read or written is skipped, never fatal.
    """
    if cache_dir is None:
        return embedder.embed(list(texts))
    digest = hashlib.sha256("\x1f".join([embedder.name, *texts]).encode("utf-8")).hexdigest()[:20]
    path = cache_dir / f"triage-{embedder.name}-{digest}.npy"
    try:
        vectors = np.load(path)
        if vectors.shape == (len(texts), embedder.dim):
            return vectors.astype(np.float32, copy=False)
    except (OSError, ValueError):
        pass
    vectors = embedder.embed(list(texts))
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cache_dir, suffix=".tmp", delete=False) as fh:
            np.save(fh, vectors)
        os.replace(fh.name, path)  # atomic: a concurrent reader never sees half a file
    except OSError as exc:
        log.debug("triage embedding cache not written: %s", exc)
    return vectors


@dataclass(frozen=True)
class Example:
    text: str
    labels: dict[str, Any]
    weight: float = 1.0


def _validate_labels(labels: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key in CORRECTABLE:
        if key not in labels or labels[key] is None:
            if not partial:
                raise ValueError(f"missing label {key!r}")
            continue
        value = labels[key]
        allowed = HEADS[key]
        if key in ("needs_sac", "humor_ok"):
            if not isinstance(value, bool):
                raise ValueError(f"{key} must be true or false, got {value!r}")
        elif value not in allowed:
            raise ValueError(f"{key} must be one of {', '.join(map(str, allowed))}, got {value!r}")
        clean[key] = value
    unknown = set(labels) - set(CORRECTABLE) - {"low_literacy"}
    if partial and unknown:
        raise ValueError(f"cannot correct {', '.join(sorted(unknown))}; correctable: {', '.join(CORRECTABLE)}")
    if partial and not clean:
        raise ValueError(f"a correction needs at least one of {', '.join(CORRECTABLE)}")
    return clean


def load_examples(path: Path = EXAMPLES_PATH) -> list[Example]:
    """The shipped examples (JSON lines). A bad line stops loading with its line number."""
    examples = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                if not isinstance(row.get("text"), str) or not row["text"].strip():
                    raise ValueError("missing text")
                labels = _validate_labels(row, partial=False)
            except ValueError as exc:  # json.JSONDecodeError is a ValueError
                raise ValueError(f"{path}:{number}: {exc}") from None
            labels["low_literacy"] = "low_literacy" in (row.get("tags") or [])
            examples.append(Example(text=row["text"], labels=labels))
    return examples


def correction_example(text: str, labels: Mapping[str, Any]) -> Example:
    if not isinstance(text, str) or not text.strip():
        raise ValueError("a correction needs the comment's text")
    return Example(text=text, labels=_validate_labels(labels, partial=True))


@dataclass
class HeadPrediction:
    classes: tuple[Any, ...]
    probs: np.ndarray  # one row

    def best(self) -> tuple[Any, float]:
        i = int(np.argmax(self.probs))
        return self.classes[i], float(self.probs[i])

    def prob(self, cls: Any) -> float:
        return float(self.probs[self.classes.index(cls)])


@dataclass
class Prediction:
    heads: dict[str, HeadPrediction]
    corrected: dict[str, Any] = field(default_factory=dict)  # labels a near team correction imposes


class ExampleClassifier:
    """The trained heads (`TriageModel`) plus the team's corrections, added live."""

    def __init__(self, embedder: Embedder, model: TriageModel, *, correction_floor: float = 0.72) -> None:
        self._embedder = embedder
        self._model = model
        self._correction_floor = correction_floor
        self._lock = threading.Lock()
        self._corrections: list[Example] = []
        self._correction_vectors = np.zeros((0, model.dim), dtype=np.float32)

    @classmethod
    def from_examples(
        cls,
        embedder: Embedder,
        examples: Sequence[Example],
        features: np.ndarray,
        *,
        cache_dir: Path | None = None,
        **fit_options: Any,
    ) -> ExampleClassifier:
        """Learn at start-up from examples given in code or a file (tests, cross-validation)."""
        if not examples:
            raise ValueError("the triage classifier needs labelled examples")
        texts = [e.text for e in examples]
        vectors = embed_cached(embedder, [for_embedding(t) for t in texts], cache_dir)
        idf = fit_idf(texts)
        data = LabelledSet.of(
            vectors, features, ngram_matrix(texts, idf), [e.labels for e in examples], [e.weight for e in examples]
        )
        return cls(embedder, fit(data, embedder=embedder.name, idf=idf, **fit_options))

    @property
    def model(self) -> TriageModel:
        return self._model

    @property
    def corrections(self) -> list[Example]:
        return list(self._corrections)

    def add_corrections(self, corrections: Sequence[Example]) -> None:
        if not corrections:
            return
        vectors = self.embed([c.text for c in corrections])
        with self._lock:
            self._corrections.extend(corrections)
            self._correction_vectors = np.vstack([self._correction_vectors, vectors])

    def remove_corrections(self, texts: Collection[str]) -> int:
        """Forget the corrections made on these texts (their author's data was erased); how many went."""
        with self._lock:
            keep = [i for i, c in enumerate(self._corrections) if c.text not in texts]
            removed = len(self._corrections) - len(keep)
            if removed:
                self._corrections = [self._corrections[i] for i in keep]
                self._correction_vectors = self._correction_vectors[keep]
        return removed

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self._embedder.embed([for_embedding(t) for t in texts])

    def predict(self, vectors: np.ndarray, features: np.ndarray, texts: Sequence[str]) -> list[Prediction]:
        with self._lock:
            corrections = list(self._corrections)
            correction_vectors = self._correction_vectors
        csims = vectors @ correction_vectors.T if corrections else None
        out = []
        for row, probs in enumerate(self._model.predict(vectors, features, texts)):
            heads = {head: HeadPrediction(HEADS[head], p) for head, p in probs.items()}
            corrected = self._apply_corrections(heads, corrections, csims[row] if csims is not None else None)
            out.append(Prediction(heads=heads, corrected=corrected))
        return out

    def _apply_corrections(
        self, heads: dict[str, HeadPrediction], corrections: list[Example], sims: np.ndarray | None
    ) -> dict[str, Any]:
        """Team corrections outweigh shipped examples nearby: blend toward the nearest correction's labels.

        alpha grows from 0 at cosine 0.6 to 0.9 at cosine 0.85 and above; at alpha >= 0.5 the corrected
        label wins outright.
        """
        if sims is None or not corrections:
            return {}
        corrected: dict[str, Any] = {}
        order = np.argsort(-sims)
        for head in CORRECTABLE:
            for idx in order:
                if head not in corrections[idx].labels:
                    continue
                sim = float(sims[idx])
                alpha = min(0.9, max(0.0, (sim - 0.6) / 0.25 * 0.9))
                if alpha <= 0:
                    break
                pred = heads[head]
                target = np.zeros_like(pred.probs)
                target[pred.classes.index(corrections[idx].labels[head])] = 1.0
                pred.probs = (1 - alpha) * pred.probs + alpha * target
                if sim >= self._correction_floor:
                    corrected[head] = corrections[idx].labels[head]
                break
        return corrected
