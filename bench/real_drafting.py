"""Offline drafting on real comments: the sources with a FAQ we wrote (bench/real/kb/), per source.

    uv run python bench/real_drafting.py [--part heldout|train|all] [--triage labels|shipped|both]
                                         [--persona espiegle] [--show SOURCE]

The comment texts are read from ../shared/data/real (SOWANA_REAL_CORPUS) and stay in memory.
`--triage labels` drafts from our adjudicated triage labels (bench/real/labels.jsonl), so drafting is
measured apart from triage errors; `shipped` runs the shipped triager first. Held-out sources only
measure: tune on `--part train`. Figures (knowledge.eval.drafts): grounding (comments labelled
question with kb_ids, as `sowana eval drafts`), the same over every comment with kb_ids, citation
precision, language match, humour on comments whose labels refuse it or that are complaints,
distress or toxic, injection failures (built-in attempts against the source's FAQ), drafting p95
with retrieval. `--show SOURCE` prints the ids of the comments a serious proposal failed to ground.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent / "real"))

import corpus  # noqa: E402

from knowledge.drafting import Draft  # noqa: E402
from knowledge.embeddings import get_embedder  # noqa: E402
from knowledge.eval.drafts import evaluate_draft_rows  # noqa: E402
from knowledge.personas import get_persona  # noqa: E402

KB = Path(__file__).resolve().parent / "real" / "kb"
COLUMNS = [
    ("n", "n"),
    ("kb", "comments_with_kb"),
    ("ground(q)", "grounding"),
    ("main(q)", "grounding_main"),
    ("ground", "grounding_any_intent"),
    ("main", "grounding_any_intent_main"),
    ("cite-prec", "citation_precision"),
    ("lang", "language_match"),
    ("humour!", "humor_violations"),
    ("on-compl!", "humor_on_complaints"),
    ("creative", "creative_proposals"),
    ("inject!", "injection_failures"),
    ("p95 ms", "latency_ms_p95"),
]


def sources(part: str) -> list[str]:
    split = corpus.split()
    wanted = split["heldout"] + split["train"] if part == "all" else split[part]
    return [s for s in wanted if (KB / f"{s}.jsonl").exists() and (KB / f"{s}.labels.jsonl").exists()]


def measure(
    source: str, texts: dict[str, dict[str, Any]], use_triage: bool, persona: str, keep: dict[str, Draft]
) -> dict[str, Any]:
    triage_labels = corpus.labels()
    labels = {}
    for row in corpus.read_jsonl(KB / f"{source}.labels.jsonl"):
        labels[row["id"]] = {**triage_labels.get(row["id"], {}), "kb_ids": row.get("kb_ids") or []}
    comments = {cid: texts[cid] for cid in labels}
    return evaluate_draft_rows(
        KB / f"{source}.jsonl",
        comments,
        labels,
        persona=get_persona(persona),
        embedder=get_embedder(),
        use_triage=use_triage,
        keep=keep,
    )


def _cell(value: Any) -> str:
    return f"{value:>10.3f}" if isinstance(value, float) else f"{value:>10}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("heldout", "train", "all"), default="heldout")
    parser.add_argument("--triage", choices=("labels", "shipped", "both"), default="both")
    parser.add_argument("--persona", default="espiegle")
    parser.add_argument("--show", help="a source whose ungrounded comment ids to print")
    args = parser.parse_args()
    texts = corpus.comments()
    modes = ["labels", "shipped"] if args.triage == "both" else [args.triage]
    everything: dict[str, dict[str, Any]] = {}
    for mode in modes:
        print(f"\n{args.part} sources, triage from {mode}, persona {args.persona}")
        print(f"{'source':24}" + "".join(f"{name:>10}" for name, _ in COLUMNS))
        for source in sources(args.part):
            keep: dict[str, Draft] = {}
            figures = measure(source, texts, mode == "shipped", args.persona, keep)
            everything[f"{mode}:{source}"] = {k: figures[k] for _, k in COLUMNS}
            print(f"{source:24}" + "".join(_cell(figures[k]) for _, k in COLUMNS))
            if args.show == source:
                print("  ungrounded (question):", " ".join(figures["ungrounded_ids"]))
                for cid, draft in keep.items():
                    main = draft.first()
                    print(f"  {cid}: {[p.cited_ids for p in draft.proposals]} {main.note if main else ''}")
    print(json.dumps(everything))


if __name__ == "__main__":
    main()
