"""Pick the rows of the second, independent annotation: a stratified random sample by source.

    python bench/real/second_sample.py > bench/real/second_sample.txt

Reads only the ids and sources of the corpus (corpus.py; no text is written).
"""

from __future__ import annotations

import random
import sys
from collections import defaultdict

from corpus import corpus_dir, read_jsonl

FRACTION = 0.22  # about 410 of 1,874 rows: over the 300 the issue asks, with room for every source
SEED = 20261204


def main() -> None:
    by_source: dict[str, list[str]] = defaultdict(list)
    for lang in ("en", "fr"):
        for row in read_jsonl(corpus_dir() / lang / "comments.jsonl"):
            by_source[row["source"]].append(row["id"])
    rng = random.Random(SEED)
    picked: list[str] = []
    for source in sorted(by_source):
        ids = by_source[source]
        picked += rng.sample(ids, max(3, round(len(ids) * FRACTION)) if len(ids) > 3 else len(ids))
    sys.stdout.write("".join(f"{i}\n" for i in sorted(picked)))


if __name__ == "__main__":
    main()
