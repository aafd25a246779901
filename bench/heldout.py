"""Triage and retrieval on every labelled set we keep, in one table.

    uv run python bench/heldout.py [--with-dev ../shared/data/dev]

The sets under bench/heldout/ were written for evaluation only (other brands, other domains than
the shipped examples and sample brand) and are never used to choose a weight or a threshold:
those come from bench/triage_cv.py and bench/fit_retrieval.py. `--with-dev` adds the
development set as one more column. The last line is the JSON of every figure.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from knowledge.eval.retrieval import evaluate_modes  # noqa: E402
from knowledge.eval.triage import CONTRACT_KEYS, evaluate_triage  # noqa: E402
from knowledge.retrieval import MODES  # noqa: E402
from knowledge.triage import Triager  # noqa: E402

HELDOUT = Path(__file__).resolve().parent / "heldout"
TRIAGE_KEYS = (*CONTRACT_KEYS, "hide_false_positives")


def measure(folder: Path, triager: Triager) -> dict[str, Any]:
    comments, labels, kb = folder / "comments.jsonl", folder / "labels.jsonl", folder / "kb.jsonl"
    figures: dict[str, Any] = {"triage": evaluate_triage(comments, labels, triager)}
    if kb.exists():
        figures["retrieval"] = evaluate_modes(kb, comments, labels, MODES)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--with-dev", type=Path, help="a folder in the dev-set format to add as a column")
    args = parser.parse_args()
    folders = sorted(p for p in HELDOUT.iterdir() if (p / "labels.jsonl").exists())
    if args.with_dev:
        folders.insert(0, args.with_dev)
    triager = Triager()
    results = {folder.name: measure(folder, triager) for folder in folders}
    names = list(results)
    print(f"{'':28}" + "".join(f"{n[:18]:>20}" for n in names))
    for key in TRIAGE_KEYS:
        print(f"{'triage ' + key:28}" + "".join(f"{results[n]['triage'][key]:>20.3f}" for n in names))
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
                n: {"triage": {k: r["triage"][k] for k in TRIAGE_KEYS}, "retrieval": r.get("retrieval")}
                for n, r in results.items()
            }
        )
    )


if __name__ == "__main__":
    main()
