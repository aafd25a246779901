"""The public entry point: `Triager.triage(TriageInput) -> TriageResult`."""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.embeddings import Embedder, get_embedder
from knowledge.triage.classifier import (
    EXAMPLES_PATH,
    Example,
    ExampleClassifier,
    Prediction,
    correction_example,
    default_cache_dir,
    load_examples,
)
from knowledge.triage.decide import RawLabels, decide
from knowledge.triage.detectors import Signals, build_vocab, detect
from knowledge.triage.features import surface
from knowledge.triage.lang import detect_lang
from knowledge.triage.llm import LLMError, LLMTriage, run_llm
from knowledge.triage.model import MODEL_PATH, FitOptions, TriageModel
from knowledge.triage.types import CORRECTABLE, INTENTS, TriageInput, TriageResult

log = logging.getLogger(__name__)


def _raw_from_prediction(pred: Prediction) -> RawLabels:
    h = pred.heads
    return RawLabels(
        intent_probs={c: float(p) for c, p in zip(h["intent"].classes, h["intent"].probs, strict=True)},
        sentiment=h["sentiment"].best()[0],
        needs_sac_prob=h["needs_sac"].prob(True),
        humor_prob=h["humor_ok"].prob(True),
        low_literacy_prob=h["low_literacy"].prob(True),
        hide_prob=h["moderation"].prob("hide"),
        corrected=dict(pred.corrected),
    )


def _raw_from_llm(answer: LLMTriage, offline: RawLabels) -> RawLabels:
    rest = (1.0 - answer.confidence) / (len(INTENTS) - 1)
    return RawLabels(
        intent_probs={i: (answer.confidence if i == answer.intent else rest) for i in INTENTS},
        sentiment=answer.sentiment,
        needs_sac_prob=1.0 if answer.needs_sac else 0.0,
        humor_prob=1.0 if answer.humor_ok else 0.0,
        low_literacy_prob=offline.low_literacy_prob,  # the spelling signals stay ours
        hide_prob=1.0 if answer.moderation == "hide" else 0.0,
        corrected=offline.corrected,  # the team's corrections outrank the model too
        topics=[t.strip().lower() for t in answer.topics if t.strip()][:5],
    )


def _example_from_row(row: Mapping[str, Any] | Example) -> Example:
    if isinstance(row, Example):
        return row
    labels = row.get("labels")
    if labels is None:
        labels = {k: row[k] for k in CORRECTABLE if k in row}
    return correction_example(str(row.get("text", "")), labels)


class Triager:
    """Offline triage (examples + rules), or an LLM with the offline result as its fallback and floor.

    `extra_examples`: corrections persisted by the bot ({"text", "labels": {...}} or flat rows), loaded
    at start-up so learning survives a restart. `add_correction` teaches a new one immediately.
    """

    def __init__(
        self,
        *,
        embedder: Embedder | None = None,
        examples: Sequence[Example] | Path | None = None,
        extra_examples: Iterable[Mapping[str, Any] | Example] = (),
        llm: Any | None = None,
        timeout: float = 10.0,
        cache_dir: Path | None | bool = True,
        model: TriageModel | Path | None = None,
        fit_options: FitOptions | None = None,
    ) -> None:
        """By default the shipped model (`model.npz`, trained by bench/real/train_triage.py) is loaded;
        `examples` learns at start-up from those instead (tests, cross-validation), with `fit_options`.
        `cache_dir`: where start-up example embeddings are cached (True: ~/.cache/sowana, False/None: none).
        """
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        written = (
            load_examples(examples or EXAMPLES_PATH)
            if examples is None or isinstance(examples, Path)
            else list(examples)
        )
        # The spelling vocabulary comes from our own written examples (fluent writing, both languages).
        self._vocab = build_vocab(e.text for e in written if not e.labels.get("low_literacy"))
        emb = embedder or get_embedder()
        if examples is None and model is None and MODEL_PATH.exists():
            model = MODEL_PATH
        if model is not None:
            self._classifier = ExampleClassifier(
                emb, model if isinstance(model, TriageModel) else TriageModel.load(model)
            )
        else:
            cache = default_cache_dir() if cache_dir is True else (cache_dir or None)
            features = np.vstack([surface(e.text, detect(e.text, None, self._vocab)) for e in written])
            self._classifier = ExampleClassifier.from_examples(
                emb, written, features, cache_dir=cache, options=fit_options
            )
        self._classifier.add_corrections([_example_from_row(r) for r in extra_examples])
        self._timeout = timeout
        self._llm = llm
        self._structured: Any = None
        self._structured_lock = threading.Lock()

    def with_llm(self, llm: Any | None, timeout: float | None = None) -> Triager:
        """A triager sharing this one's examples and corrections, with another (or no) LLM. Cheap."""
        if timeout is not None and timeout <= 0:
            raise ValueError("timeout must be positive")
        other = copy.copy(self)
        other._llm = llm
        other._timeout = self._timeout if timeout is None else timeout
        other._structured = None
        other._structured_lock = threading.Lock()
        return other

    @property
    def uses_llm(self) -> bool:
        return self._llm is not None

    def add_correction(self, text: str, labels: Mapping[str, Any]) -> None:
        """A reviewer's correction becomes an example now: the next similar comment follows it."""
        self._classifier.add_corrections([correction_example(text, labels)])

    def add_corrections(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Several corrections ({"text", "labels"} rows) at once, embedded in one batch."""
        self._classifier.add_corrections([_example_from_row(r) for r in rows])

    def forget_corrections(self, texts: Collection[str]) -> int:
        """Drop the corrections made on these texts (their author asked for erasure); how many went."""
        return self._classifier.remove_corrections(texts)

    @property
    def corrections(self) -> list[str]:
        """The texts of the team's corrections the model follows now."""
        return [c.text for c in self._classifier.corrections]

    def triage(self, inp: TriageInput | str) -> TriageResult:
        return self.triage_many([inp])[0]

    def triage_many(self, inputs: Sequence[TriageInput | str]) -> list[TriageResult]:
        items = [TriageInput(text=i) if isinstance(i, str) else i for i in inputs]
        if not items:
            return []
        vectors = self._classifier.embed([i.text for i in items])
        signals_list = [detect(i.text, i.engagement, self._vocab) for i in items]
        features = np.vstack([surface(i.text, s) for i, s in zip(items, signals_list, strict=True)])
        preds = self._classifier.predict(vectors, features, [i.text for i in items])
        results = []
        for inp, pred, signals in zip(items, preds, signals_list, strict=True):
            lang = detect_lang(inp.text, inp.lang)
            raw = _raw_from_prediction(pred)
            if self._llm is None:
                results.append(decide(raw, signals, lang, "offline"))
            else:
                results.append(self._triage_llm(inp, raw, signals, lang))
        return results

    def _structured_llm(self) -> Any:
        with self._structured_lock:
            if self._structured is None:
                assert self._llm is not None
                self._structured = self._llm.with_structured_output(LLMTriage)
            return self._structured

    def _triage_llm(self, inp: TriageInput, offline: RawLabels, signals: Signals, lang: Any) -> TriageResult:
        try:
            answer = run_llm(self._structured_llm(), inp, self._timeout)
        except (LLMError, NotImplementedError, ValueError, TypeError) as exc:
            # Never the text: only why the model could not be used.
            log.warning("triage LLM unusable, offline fallback: %s", exc)
            return decide(offline, signals, lang, "llm_fallback")
        result = decide(_raw_from_llm(answer, offline), signals, lang, "llm")
        if answer.moderation != "none" and result.moderation == "none" and "moderation" not in offline.corrected:
            # The model saw something the rules did not: a human looks, nothing is hidden on its word alone.
            result = result.model_copy(update={"moderation": "review", "moderation_reason": answer.moderation_reason})
        return result


@lru_cache(maxsize=1)
def get_triager() -> Triager:
    """The process-wide offline triager (building it embeds the shipped examples once, < 1 s)."""
    return Triager()
