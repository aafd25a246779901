"""Retrieval on the real comments, per source: the FAQ we wrote for each brand source
(bench/real/kb/) against the comments' labelled kb_ids.

    uv run python bench/real_retrieval.py [--part train|heldout|all] [--modes hybrid,vector,keyword] [--second] [--json]

Train sources (bench/real/split.json) are the ones a retrieval choice may be fitted or tuned
on; held-out sources only measure it. Comment texts are read from ../shared/data/real
(SOWANA_REAL_CORPUS) into a throw-away folder, never into the repository.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent / "real"))

import corpus  # noqa: E402

from knowledge.eval.retrieval import evaluate_modes  # noqa: E402
from knowledge.retrieval import MODES, Mode  # noqa: E402
from knowledge.second_encoder import SecondEncoder, get_second_encoder  # noqa: E402

REAL_KB = Path(__file__).resolve().parent / "real" / "kb"
KEYS = ("hit@1", "hit@3", "mrr", "multi_coverage@5", "no_answer_precision", "no_answer_recall")
SHORT = {"no_answer_precision": "noP", "no_answer_recall": "noR", "multi_coverage@5": "cov5"}


def kb_sources(part: str) -> list[tuple[str, str]]:
    """(part, source) of every source with a FAQ, train first."""
    split = corpus.split()
    parts = ("train", "heldout") if part == "all" else (part,)
    return [(p, s) for p in parts for s in split[p] if (REAL_KB / f"{s}.labels.jsonl").exists()]


def measure(
    sources: list[tuple[str, str]], modes: tuple[Mode, ...], second: SecondEncoder | None = None
) -> dict[str, dict[str, Any]]:
    texts = corpus.comments()
    out: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for part, source in sources:
            labels = REAL_KB / f"{source}.labels.jsonl"
            ids = [json.loads(line)["id"] for line in labels.read_text(encoding="utf-8").splitlines() if line.strip()]
            comments = Path(tmp) / f"{source}.jsonl"
            comments.write_text("".join(json.dumps(texts[i]) + "\n" for i in ids if i in texts), encoding="utf-8")
            out[source] = {
                "part": part,
                **evaluate_modes(REAL_KB / f"{source}.jsonl", comments, labels, modes, second=second),
            }
    return out


def mean(results: dict[str, dict[str, Any]], part: str, mode: str, key: str) -> float:
    rows = [r[mode][key] for r in results.values() if r["part"] == part]
    return sum(rows) / len(rows) if rows else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=("train", "heldout", "all"), default="all")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated modes")
    parser.add_argument("--second", action="store_true", help="fuse the optional second encoder (E5-small)")
    parser.add_argument("--json", action="store_true", help="also print every figure as JSON")
    args = parser.parse_args()
    modes = tuple(m for m in args.modes.split(",") if m in MODES)
    t0 = time.perf_counter()
    second = get_second_encoder() if args.second else None
    results = measure(kb_sources(args.part), modes, second)  # type: ignore[arg-type]
    head = f"{'source':<24}{'part':<8}{'n':>5}{'none':>5}"
    for mode in modes:
        head += "  " + " ".join(f"{(mode[:3] + ' ' + SHORT.get(k, k)):>11}" for k in KEYS)
    print(head)
    for source, r in results.items():
        first = r[modes[0]]
        line = f"{source:<24}{r['part']:<8}{first['answerable']:>5}{first['unanswerable']:>5}"
        for mode in modes:
            line += "  " + " ".join(f"{r[mode][k]:>11.3f}" for k in KEYS)
        print(line)
    for part in ("train", "heldout"):
        if any(r["part"] == part for r in results.values()):
            line = f"{'mean ' + part:<24}{'':<8}{'':>10}"
            for mode in modes:
                line += "  " + " ".join(f"{mean(results, part, mode, k):>11.3f}" for k in KEYS)
            print(line)
    print(f"({time.perf_counter() - t0:.0f} s)")
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
