"""Triage and retrieval on every labelled set we keep, in one table: the real comments of the
held-out sources (bench/real/split.json; never trained or tuned on) beside the sets we wrote.

    uv run python bench/heldout.py [--with-dev ../shared/data/dev] [--no-real]
    SOWANA_LLM=openai:gpt-4o-mini uv run python bench/heldout.py   # the LLM path, offline as its fallback

Real columns: each held-out source, then all held-out English, French and both. Their texts are
read from ../shared/data/real (SOWANA_REAL_CORPUS); retrieval on a real source uses the FAQ we
wrote for it (bench/real/kb/).

The sets under bench/heldout/ were written for evaluation only (other brands, other domains than
the shipped examples and sample brand) and are never used to choose a weight or a threshold:
those come from bench/triage_cv.py and bench/fit_retrieval.py. `--with-dev` adds the
development set as one more column. The last line is the JSON of every figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent / "real"))

import corpus  # noqa: E402

from api.commands.triage import build_triager  # noqa: E402
from knowledge.eval.retrieval import evaluate_modes  # noqa: E402
from knowledge.eval.triage import CONTRACT_KEYS, evaluate_triage, evaluate_triage_rows  # noqa: E402
from knowledge.retrieval import MODES  # noqa: E402
from knowledge.triage import Triager  # noqa: E402

HELDOUT = Path(__file__).resolve().parent / "heldout"
TRIAGE_KEYS = (*CONTRACT_KEYS, "hide_precision", "hide_false_positives")
REAL_KB = Path(__file__).resolve().parent / "real" / "kb"


def measure_real(triager: Triager) -> dict[str, dict[str, Any]]:
    """Held-out real sources, one by one and grouped by language."""
    texts = corpus.comments()
    held = corpus.rows("heldout", texts=texts)
    groups: dict[str, list[corpus.Row]] = {}
    for row in held:
        groups.setdefault(f"real:{row.source}", []).append(row)
    for lang in ("en", "fr"):
        groups[f"real:heldout-{lang}"] = [r for r in held if r.lang == lang]
    groups["real:heldout"] = held
    out: dict[str, dict[str, Any]] = {}
    for name, rows in groups.items():
        labels = [{"id": r.id, **r.labels} for r in rows]
        out[name] = {"triage": evaluate_triage_rows(texts, labels, triager)}
        source = name.removeprefix("real:")
        kb, kb_labels = REAL_KB / f"{source}.jsonl", REAL_KB / f"{source}.labels.jsonl"
        if kb.exists() and kb_labels.exists():
            with tempfile.TemporaryDirectory() as tmp:  # the eval reads files; the texts never enter the repo
                comments = Path(tmp) / "comments.jsonl"
                comments.write_text("".join(json.dumps(texts[r.id]) + "\n" for r in rows), encoding="utf-8")
                out[name]["retrieval"] = evaluate_modes(kb, comments, kb_labels, MODES)
    return out


def measure(folder: Path, triager: Triager) -> dict[str, Any]:
    comments, labels, kb = folder / "comments.jsonl", folder / "labels.jsonl", folder / "kb.jsonl"
    figures: dict[str, Any] = {"triage": evaluate_triage(comments, labels, triager)}
    if kb.exists():
        figures["retrieval"] = evaluate_modes(kb, comments, labels, MODES)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--with-dev", type=Path, help="a folder in the dev-set format to add as a column")
    parser.add_argument("--no-real", action="store_true", help="only the sets we wrote")
    args = parser.parse_args()
    folders = sorted(p for p in HELDOUT.iterdir() if (p / "labels.jsonl").exists())
    if args.with_dev:
        folders.insert(0, args.with_dev)
    triager = build_triager()  # SOWANA_LLM, as `sowana eval triage`: the same held-out rows for either path
    results = {} if args.no_real else measure_real(triager)
    results.update({folder.name: measure(folder, triager) for folder in folders})
    names = list(results)
    print(f"{'':28}" + "".join(f"{n[:18]:>20}" for n in names))
    for key in TRIAGE_KEYS:
        print(f"{'triage ' + key:28}" + "".join(f"{results[n]['triage'][key]:>20.3f}" for n in names))
    answered = [results[n]["triage"]["sources"] for n in names]
    print(f"{'triage answered by the LLM':28}" + "".join(f"{a.get('llm', 0):>20}" for a in answered))
    for mode in MODES:
        for key in ("hit@1", "hit@3", "mrr"):
            cells = [results[n].get("retrieval", {}).get(mode, {}).get(key) for n in names]
            print(
                f"{f'retrieval {mode} {key}':28}"
                + "".join(f"{c:>20.3f}" if c is not None else f"{'-':>20}" for c in cells)
            )
    print(
        json.dumps(
            {
                n: {"triage": {k: r["triage"][k] for k in (*TRIAGE_KEYS, "sources")}, "retrieval": r.get("retrieval")}
                for n, r in results.items()
            }
        )
    )


if __name__ == "__main__":
    main()
