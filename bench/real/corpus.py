"""The real-comment corpus (outside this repository) joined with our labels (inside it).

The texts live in ../shared/data/real/{en,fr}/comments.jsonl next to the repository, or wherever
SOWANA_REAL_CORPUS points; they are read, never copied. `labels.jsonl` here holds our adjudicated
labels keyed by corpus id, `split.json` which sources train and which are held out.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LABELS = HERE / "labels.jsonl"
SPLIT = HERE / "split.json"
LABEL_KEYS = ("intent", "sentiment", "needs_sac", "humor_ok", "moderation")


def corpus_dir() -> Path:
    env = os.environ.get("SOWANA_REAL_CORPUS")
    return Path(env) if env else HERE.parents[2] / "shared" / "data" / "real"


@dataclass(frozen=True)
class Row:
    id: str
    lang: str
    platform: str
    text: str
    source: str
    labels: dict[str, Any]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def comments() -> dict[str, dict[str, Any]]:
    """Every corpus row by id (both languages). A missing corpus says where it was looked for."""
    folder = corpus_dir()
    if not (folder / "en" / "comments.jsonl").exists():
        raise SystemExit(f"real-comment corpus not found in {folder} (set SOWANA_REAL_CORPUS)")
    return {r["id"]: r for lang in ("en", "fr") for r in read_jsonl(folder / lang / "comments.jsonl")}


def labels(path: Path = LABELS) -> dict[str, dict[str, Any]]:
    return {r["id"]: {k: r[k] for k in r if k != "id"} for r in read_jsonl(path)}


def split() -> dict[str, list[str]]:
    data = json.loads(SPLIT.read_text(encoding="utf-8"))
    return {"train": list(data["train"]), "heldout": list(data["heldout"])}


def rows(
    part: str | None = None,
    sources: Iterable[str] | None = None,
    label_path: Path = LABELS,
    texts: dict[str, dict[str, Any]] | None = None,
) -> list[Row]:
    """Labelled rows of one part of the split ("train", "heldout") or of named sources, in corpus order.
    `texts`: the corpus already read by `comments()`, when the caller has it."""
    wanted = set(sources) if sources is not None else set(split()[part]) if part else None
    gold = labels(label_path)
    out = []
    for cid, row in (texts if texts is not None else comments()).items():
        if cid not in gold or (wanted is not None and row["source"] not in wanted):
            continue
        out.append(Row(cid, row["lang"], row["platform"], row["text"], row["source"], gold[cid]))
    return out
