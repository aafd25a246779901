"""Agreement between the two independent annotations of the sample, per label (Cohen's kappa).

    python bench/real/agreement.py            # prints the table, writes AGREEMENT.md and disagreements.jsonl
    python bench/real/agreement.py --merge    # writes labels.jsonl: the first annotation, adjudicated

Reads annotations/first-*.jsonl (every row, five annotators by source) and annotations/second.jsonl
(the stratified sample of second_sample.txt). Writes the ids and both labels of every disagreement
to annotations/disagreements.jsonl for adjudication (never any text).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import HERE, LABEL_KEYS, LABELS, comments, read_jsonl  # noqa: E402

ANNOTATIONS = HERE / "annotations"


def cohen_kappa(a: Sequence[object], b: Sequence[object]) -> float:
    n = len(a)
    observed = sum(1 for x, y in zip(a, b, strict=True) if x == y) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb.get(k, 0) for k in ca) / (n * n)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def first_annotation() -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for path in sorted(ANNOTATIONS.glob("first-*.jsonl")):
        for row in read_jsonl(path):
            if row["id"] in out:
                raise SystemExit(f"{row['id']} labelled twice in the first annotation ({path.name})")
            out[row["id"]] = row
    return out


def merge() -> None:
    """labels.jsonl: every row's first label, replaced by the adjudicated one where the two annotators differed."""
    first = first_annotation()
    settled = {r["id"]: r for r in read_jsonl(ANNOTATIONS / "adjudicated.jsonl")}
    order = list(comments())
    with LABELS.open("w", encoding="utf-8") as fh:
        for cid in order:
            row = settled.get(cid, first[cid])
            fh.write(json.dumps({"id": cid, **{k: row[k] for k in LABEL_KEYS}}) + "\n")
    print(f"wrote {LABELS.name}: {len(order)} rows, {len(settled)} adjudicated")


def main() -> None:
    if "--merge" in sys.argv:
        merge()
        return
    first = first_annotation()
    second = {r["id"]: r for r in read_jsonl(ANNOTATIONS / "second.jsonl")}
    corpus = comments()
    both = [i for i in second if i in first]
    views: dict[str, tuple[list[object], list[object]]] = {
        key: ([first[i][key] for i in both], [second[i][key] for i in both]) for key in LABEL_KEYS
    }
    views["hide"] = (
        [first[i]["moderation"] == "hide" for i in both],
        [second[i]["moderation"] == "hide" for i in both],
    )
    lines = [
        "# Agreement between the two annotations",
        "",
        f"{len(both)} rows labelled blind by two annotators (the stratified sample `second_sample.txt`;",
        f"{sum(1 for i in both if corpus[i]['lang'] == 'fr')} French, "
        f"{sum(1 for i in both if corpus[i]['lang'] == 'en')} English). Produced by `agreement.py`.",
        "",
        "| label | agreement | Cohen's κ | κ English | κ French |",
        "|---|---|---|---|---|",
    ]
    for key, (a, b) in views.items():
        agree = sum(1 for x, y in zip(a, b, strict=True) if x == y) / len(a)
        per_lang = []
        for lang in ("en", "fr"):
            idx = [n for n, i in enumerate(both) if corpus[i]["lang"] == lang]
            per_lang.append(cohen_kappa([a[n] for n in idx], [b[n] for n in idx]))
        lines.append(f"| {key} | {agree:.3f} | {cohen_kappa(a, b):.3f} | {per_lang[0]:.3f} | {per_lang[1]:.3f} |")
    pairs = Counter(
        (first[i]["intent"], second[i]["intent"]) for i in both if first[i]["intent"] != second[i]["intent"]
    )
    lines += ["", "Most frequent intent disagreements (first → second):", ""]
    lines += [f"- {a} → {b}: {n}" for (a, b), n in pairs.most_common(10)]
    text = "\n".join(lines) + "\n"
    print(text)
    (HERE / "AGREEMENT.md").write_text(text, encoding="utf-8")
    with (ANNOTATIONS / "disagreements.jsonl").open("w", encoding="utf-8") as fh:
        for i in both:
            diff = [k for k in LABEL_KEYS if first[i][k] != second[i][k]]
            if diff:
                fh.write(
                    json.dumps(
                        {
                            "id": i,
                            "differ": diff,
                            "first": {k: first[i][k] for k in LABEL_KEYS},
                            "second": {k: second[i][k] for k in LABEL_KEYS},
                        }
                    )
                    + "\n"
                )


if __name__ == "__main__":
    main()
