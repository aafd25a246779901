"""Triage evaluation on a labelled set (the `data/dev/` format of DESIGN.md)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from knowledge.triage.types import INTENTS, TriageInput, TriageResult

# The fractions DESIGN.md's evaluation contract names for `eval triage --json`.
CONTRACT_KEYS = (
    "intent_accuracy",
    "intent_macro_f1",
    "sentiment_accuracy",
    "needs_sac_precision",
    "needs_sac_recall",
    "humor_fp_rate",
    "humor_fp_rate_distress",
    "hide_recall",
)


class _Triages(Protocol):
    def triage_many(self, inputs: Sequence[TriageInput | str]) -> list[TriageResult]: ...


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSON-lines file; a bad line is reported with its number."""
    rows = []
    with Path(path).open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from None
            if not isinstance(row, dict) or "id" not in row:
                raise ValueError(f"{path}:{number}: expected an object with an 'id'")
            rows.append(row)
    return rows


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def macro_f1(pairs: list[tuple[str, str]], classes: Sequence[str]) -> float:
    scores = []
    for cls in classes:
        tp = sum(1 for gold, pred in pairs if gold == cls and pred == cls)
        fp = sum(1 for gold, pred in pairs if gold != cls and pred == cls)
        fn = sum(1 for gold, pred in pairs if gold == cls and pred != cls)
        if tp + fp + fn == 0:
            continue  # a class absent from both gold and predictions says nothing
        precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        scores.append(_ratio(int(2 * precision * recall * 1e9), int((precision + recall) * 1e9)))
    return sum(scores) / len(scores) if scores else 0.0


def evaluate_triage(comments_path: Path, labels_path: Path, triager: _Triages) -> dict[str, Any]:
    """Metrics of DESIGN.md (fractions in 0-1, counts as integers) plus a confusion matrix.

    `confusion[gold][predicted]` counts intents; `errors` lists the ids whose intent was wrong.
    """
    return evaluate_triage_rows({row["id"]: row for row in read_jsonl(comments_path)}, read_jsonl(labels_path), triager)


def evaluate_triage_rows(
    comments: dict[str, dict[str, Any]], labels: list[dict[str, Any]], triager: _Triages
) -> dict[str, Any]:
    """`evaluate_triage` on rows already read: comments by id, and label rows (each with an `id`)."""
    missing = [row["id"] for row in labels if row["id"] not in comments]
    if missing:
        raise ValueError(f"labels without a comment: {', '.join(map(str, missing[:5]))}")
    inputs = [
        TriageInput(
            text=str(comments[row["id"]].get("text", "")),
            platform=str(comments[row["id"]].get("platform") or "other"),
            lang=comments[row["id"]].get("lang"),
        )
        for row in labels
    ]
    results = triager.triage_many(inputs)
    return score_triage(labels, results)


def score_triage(labels: list[dict[str, Any]], results: Sequence[TriageResult]) -> dict[str, Any]:
    """The figures for triage results against their gold label rows (same order)."""
    intents: list[tuple[str, str]] = [(str(g["intent"]), str(r.intent)) for g, r in zip(labels, results, strict=True)]
    sentiment_ok = sum(1 for g, r in zip(labels, results, strict=True) if g.get("sentiment") == r.sentiment)
    sac_tp = sum(1 for g, r in zip(labels, results, strict=True) if g.get("needs_sac") and r.needs_sac)
    sac_fp = sum(1 for g, r in zip(labels, results, strict=True) if not g.get("needs_sac") and r.needs_sac)
    sac_fn = sum(1 for g, r in zip(labels, results, strict=True) if g.get("needs_sac") and not r.needs_sac)
    no_humor = [(g, r) for g, r in zip(labels, results, strict=True) if g.get("humor_ok") is False]
    humor_fp = sum(1 for _, r in no_humor if r.humor_ok)
    distress = [(g, r) for g, r in no_humor if g.get("intent") == "distress"]
    humor_fp_distress = sum(1 for _, r in distress if r.humor_ok)
    hide_gold = [(g, r) for g, r in zip(labels, results, strict=True) if g.get("moderation") == "hide"]
    hide_found = sum(1 for _, r in hide_gold if r.moderation == "hide")
    hide_fp = sum(
        1 for g, r in zip(labels, results, strict=True) if g.get("moderation") != "hide" and r.moderation == "hide"
    )
    classes: list[str] = list(INTENTS)
    confusion: dict[str, dict[str, int]] = {gold: {pred: 0 for pred in classes} for gold in classes}
    for gold, pred in intents:
        confusion.setdefault(gold, {p: 0 for p in classes})[pred] += 1
    n = len(labels)
    return {
        "n": n,
        "intent_accuracy": _ratio(sum(1 for g, p in intents if g == p), n),
        "intent_macro_f1": macro_f1(intents, classes),
        "sentiment_accuracy": _ratio(sentiment_ok, n),
        "needs_sac_precision": _ratio(sac_tp, sac_tp + sac_fp),
        "needs_sac_recall": _ratio(sac_tp, sac_tp + sac_fn),
        "humor_fp_rate": _ratio(humor_fp, len(no_humor)),
        "humor_fp_rate_distress": _ratio(humor_fp_distress, len(distress)),
        "hide_recall": _ratio(hide_found, len(hide_gold)),
        "hide_precision": _ratio(hide_found, hide_found + hide_fp),
        "humor_fp": humor_fp,
        "humor_no_count": len(no_humor),
        "humor_fp_distress": humor_fp_distress,
        "distress_count": len(distress),
        "hide_count": len(hide_gold),
        "hide_found": hide_found,
        "hide_false_positives": hide_fp,
        "needs_sac_count": sac_tp + sac_fn,
        "sources": {s: sum(1 for r in results if r.source == s) for s in sorted({r.source for r in results})},
        "confusion": confusion,
        "errors": [str(g["id"]) for g, r in zip(labels, results, strict=True) if g["intent"] != r.intent],
    }
