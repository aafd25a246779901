"""Retrieval evaluation on labelled comments (`sowana eval retrieval`).

hit@1 / hit@3 / MRR are measured on the comments whose labels name `kb_ids` (a hit: any
labelled id among the top k). `no_answer_precision` is measured on the comments the
retriever flags "nothing good enough": the fraction whose labels name no kb_ids. When no
comment is flagged, nothing was wrongly flagged, so the precision is 1.0 by convention (the
`no_answer_flagged` count, 0, tells the reader it is vacuous). `multi_coverage@5`: over the comments
labelled with several entries (several problems), the share of their entries found in the top 5.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from knowledge.embeddings import Embedder
from knowledge.loaders import detect_lang, load_path
from knowledge.retrieval import Mode, Retriever
from knowledge.second_encoder import SecondEncoder
from knowledge.store import open_store

BRAND = "eval"


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: invalid JSON: {exc.msg}") from None
    return rows


def score_rankings(
    rankings: dict[str, list[str]], flagged: dict[str, bool], labels: dict[str, list[str]]
) -> dict[str, Any]:
    """Metrics from each comment's ranked ids and no-answer flag (pure, so it is tested alone)."""
    answerable = [cid for cid, ids in labels.items() if ids and cid in rankings]
    h1 = h3 = rr = 0.0
    for cid in answerable:
        wanted = set(labels[cid])
        ranked = rankings[cid]
        rank = next((i + 1 for i, x in enumerate(ranked) if x in wanted), None)
        if rank is not None:
            h1 += rank == 1
            h3 += rank <= 3
            rr += 1.0 / rank
    n = len(answerable)
    multi = [cid for cid in answerable if len(set(labels[cid])) > 1]
    coverage = [len(set(labels[cid]) & set(rankings[cid][:5])) / len(set(labels[cid])) for cid in multi]
    flagged_ids = [cid for cid, f in flagged.items() if f and cid in labels]
    correct_flags = sum(1 for cid in flagged_ids if not labels[cid])
    unanswerable = sum(1 for cid in labels if not labels[cid] and cid in rankings)
    return {
        "hit@1": h1 / n if n else 0.0,
        "hit@3": h3 / n if n else 0.0,
        "mrr": rr / n if n else 0.0,
        "multi_coverage@5": sum(coverage) / len(coverage) if coverage else 1.0,
        "no_answer_precision": correct_flags / len(flagged_ids) if flagged_ids else 1.0,
        "no_answer_recall": correct_flags / unanswerable if unanswerable else 1.0,
        "answerable": n,
        "unanswerable": unanswerable,
        "no_answer_flagged": len(flagged_ids),
    }


def evaluate_modes(
    kb_path: Path,
    comments_path: Path,
    labels_path: Path,
    modes: tuple[Mode, ...],
    store_dir: Path | None = None,
    embedder: Embedder | None = None,
    second: SecondEncoder | None = None,
) -> dict[str, dict[str, Any]]:
    """Import the KB once into a throw-away store (brand `eval`) and measure each mode
    (with `second`, the optional second encoder fused in)."""
    comments = {str(r["id"]): r for r in _read_jsonl(comments_path)}
    labels = {str(r["id"]): list(r.get("kb_ids") or []) for r in _read_jsonl(labels_path)}
    report = load_path(kb_path)
    if not report.entries:
        raise ValueError(f"{kb_path}: no knowledge entries could be read ({len(report.errors)} errors)")
    with tempfile.TemporaryDirectory(dir=store_dir) as tmp:
        store = open_store(tmp, None, embedder)
        store.upsert(BRAND, report.entries)
        retriever = Retriever(store, second=second)
        results: dict[str, dict[str, Any]] = {}
        for mode in modes:
            rankings: dict[str, list[str]] = {}
            flagged: dict[str, bool] = {}
            for cid in labels:
                comment = comments.get(cid)
                if comment is None:
                    continue
                text = str(comment.get("text", ""))
                lang = comment.get("lang") or detect_lang(text)
                found = retriever.search(BRAND, text, k=10, lang=lang, mode=mode)
                rankings[cid] = [p.id for p in found.passages]
                flagged[cid] = found.no_answer
            metrics = score_rankings(rankings, flagged, labels)
            metrics["kb_errors"] = len(report.errors)
            results[mode] = metrics
        del retriever, store
    return results


def evaluate_retrieval(
    kb_path: Path | str,
    comments_path: Path | str,
    labels_path: Path | str,
    mode: Mode = "hybrid",
    store_dir: Path | str | None = None,
) -> dict[str, Any]:
    """hit@1, hit@3, mrr, no_answer_precision and counts for one mode."""
    return evaluate_modes(
        Path(kb_path), Path(comments_path), Path(labels_path), (mode,), Path(store_dir) if store_dir else None
    )[mode]
