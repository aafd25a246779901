"""Drafting evaluation on a labelled set (`sowana eval drafts`).

- grounding: comments labelled `question` whose labels name kb_ids: a serious proposal cites one of
  them (`grounding_main`: the main serious proposal does). `grounding_any_intent` and
  `grounding_any_intent_main`: the same over every comment whose labels name kb_ids (real comments
  name a grievance more often than they ask a question).
- citation_precision: FAQ citations of serious proposals that are among the comment's kb_ids, over
  comments whose labels name kb_ids.
- humor_on_complaints: creative proposals for a comment labelled complaint, distress or toxic.
- language_match: proposals whose detected language (lingua, French/English) is the comment's.
- humor_violations: creative proposals for a comment labelled humor_ok=false (must be 0).
- length_violations: proposals longer than their platform allows (X: 280, weighted).
- injection_failures: built-in injection attempts (knowledge.drafting.injections) a draft complied with.
"""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from knowledge.drafting import INJECTIONS, CommentIn, Draft, draft_for_comment
from knowledge.drafting.injections import failures
from knowledge.drafting.text import detect_lang, fits
from knowledge.embeddings import Embedder
from knowledge.eval.triage import read_jsonl
from knowledge.loaders import load_path
from knowledge.personas import Persona, get_persona
from knowledge.retrieval import Retriever
from knowledge.store import open_store

BRAND = "eval"
TriageFn = Callable[[CommentIn, str | None], Any]


class LabelTriage:
    """A triage result read from the labels (used only when the triage package cannot be imported)."""

    def __init__(self, label: dict[str, Any], lang: str | None) -> None:
        self.lang = lang if lang in ("fr", "en") else "other"
        self.intent = label.get("intent", "other")
        self.sentiment = label.get("sentiment", "neu")
        self.needs_sac = bool(label.get("needs_sac", False))
        self.humor_ok = bool(label.get("humor_ok", False))
        self.humor_off_reasons: list[str] = []
        self.moderation = label.get("moderation", "none")
        self.moderation_reason = None
        self.private_followup = False


def _triager() -> tuple[TriageFn | None, str]:
    try:
        from knowledge.triage import TriageInput, get_triager
    except ImportError:
        return None, "labels"
    triager = get_triager()

    def run(comment: CommentIn, lang: str | None) -> Any:
        return triager.triage(
            TriageInput(text=comment.text, platform=comment.platform, lang=lang, parent_text=comment.parent_text)
        )

    return run, "triage"


def _author(row: dict[str, Any]) -> str | None:
    author = row.get("author")
    if isinstance(author, dict):
        return author.get("name")
    return row.get("author_name") or (author if isinstance(author, str) else None)


def score_drafts(
    drafts: dict[str, Draft],
    comments: dict[str, dict[str, Any]],
    labels: dict[str, dict[str, Any]],
    known_faq: set[str] | None = None,
) -> dict[str, Any]:
    """Metrics from the drafts (pure, so it is tested alone). `known_faq`: the FAQ's ids, for precision."""
    grounded = grounded_main = questions = 0
    any_grounded = any_grounded_main = with_kb = cited = cited_ok = 0
    proposals = lang_ok = humor_bad = humor_complaint = length_bad = 0
    mismatched: list[str] = []
    ungrounded: list[str] = []
    for cid, draft in drafts.items():
        label, comment = labels.get(cid, {}), comments[cid]
        want_lang = comment.get("lang") or detect_lang(str(comment.get("text", "")))
        platform = str(comment.get("platform", "other"))
        if label.get("intent") == "question" and label.get("kb_ids"):
            questions += 1
            wanted = set(label["kb_ids"])
            serious = [p for p in draft.proposals if p.kind == "serious"]
            if any(wanted & set(p.cited_ids) for p in serious):
                grounded += 1
            else:
                ungrounded.append(cid)
            main = next((p for p in serious if p.variant == "main"), None)
            grounded_main += bool(main and wanted & set(main.cited_ids))
        if label.get("kb_ids"):
            with_kb += 1
            wanted = set(label["kb_ids"])
            serious = [p for p in draft.proposals if p.kind == "serious"]
            any_grounded += any(wanted & set(p.cited_ids) for p in serious)
            main = next((p for p in serious if p.variant == "main"), None)
            any_grounded_main += bool(main and wanted & set(main.cited_ids))
            faq_cited = {c for p in serious for c in p.cited_ids if c in known_faq} if known_faq else set()
            cited += len(faq_cited)
            cited_ok += len(faq_cited & wanted)
        for p in draft.proposals:
            proposals += 1
            if detect_lang(p.text) == want_lang:
                lang_ok += 1
            else:
                mismatched.append(cid)
            if p.kind == "creative" and not label.get("humor_ok", False):
                humor_bad += 1
            if p.kind == "creative" and label.get("intent") in ("complaint", "distress", "toxic"):
                humor_complaint += 1
            if not fits(p.text, platform):
                length_bad += 1
    return {
        "grounding": grounded / questions if questions else 1.0,
        "grounding_main": grounded_main / questions if questions else 1.0,
        "language_match": lang_ok / proposals if proposals else 1.0,
        "grounding_any_intent": any_grounded / with_kb if with_kb else 1.0,
        "grounding_any_intent_main": any_grounded_main / with_kb if with_kb else 1.0,
        "citation_precision": cited_ok / cited if cited else 1.0,
        "comments_with_kb": with_kb,
        "humor_violations": humor_bad,
        "humor_on_complaints": humor_complaint,
        "length_violations": length_bad,
        "questions_with_kb": questions,
        "proposals": proposals,
        "creative_proposals": sum(p.kind == "creative" for d in drafts.values() for p in d.proposals),
        "ungrounded_ids": sorted(set(ungrounded)),
        "language_mismatch_ids": sorted(set(mismatched)),
    }


def evaluate_drafts(
    kb_path: Path,
    comments_path: Path,
    labels_path: Path,
    persona: Persona | None = None,
    store_dir: Path | None = None,
    embedder: Embedder | None = None,
    use_triage: bool = True,
) -> dict[str, Any]:
    """Import the KB into a throw-away store, triage and draft (offline) every comment, and score."""
    comments = {str(r["id"]): r for r in read_jsonl(Path(comments_path))}
    labels = {str(r["id"]): r for r in read_jsonl(Path(labels_path))}
    return evaluate_draft_rows(kb_path, comments, labels, persona, store_dir, embedder, use_triage)


def evaluate_draft_rows(
    kb_path: Path,
    comments: dict[str, dict[str, Any]],
    labels: dict[str, dict[str, Any]],
    persona: Persona | None = None,
    store_dir: Path | None = None,
    embedder: Embedder | None = None,
    use_triage: bool = True,
    llm: Any | None = None,
    keep: dict[str, Draft] | None = None,
) -> dict[str, Any]:
    """`evaluate_drafts` on comments and labels already read (real comments stay in memory).
    `keep`: filled with every draft by comment id, for a closer look."""
    missing = [cid for cid in labels if cid not in comments]
    if missing:
        raise ValueError(f"labels without a comment: {', '.join(missing[:5])}")
    report = load_path(Path(kb_path))
    if not report.entries:
        raise ValueError(f"{kb_path}: no knowledge entries could be read ({len(report.errors)} errors)")
    persona = persona or get_persona("espiegle")
    triage_fn, triage_source = _triager() if use_triage else (None, "labels")
    drafts: dict[str, Draft] = {}
    latencies: list[float] = []
    injection_failed: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(dir=store_dir) as tmp:
        store = open_store(tmp, None, embedder)
        store.upsert(BRAND, report.entries)
        retriever = Retriever(store)
        first = next(iter(comments.values()), None)
        if first is not None:  # warm-up (index, caches) so latencies measure steady state
            draft_for_comment(
                retriever, BRAND, CommentIn(text=str(first.get("text", ""))), LabelTriage({}, "fr"), persona
            )
        for cid, label in labels.items():
            row = comments[cid]
            comment = CommentIn(
                text=str(row.get("text", "")),
                platform=str(row.get("platform", "other")),
                author_name=_author(row),
                parent_text=row.get("parent_text"),
            )
            lang = row.get("lang")
            triage = triage_fn(comment, lang) if triage_fn else LabelTriage(label, lang or detect_lang(comment.text))
            drafts[cid] = draft_for_comment(retriever, BRAND, comment, triage, persona, llm=llm)
            latencies.append(drafts[cid].latency_ms)
        for inj in INJECTIONS:
            comment = CommentIn(text=inj.text, platform="facebook", author_name="Alex")
            triage = (
                triage_fn(comment, inj.lang)
                if triage_fn
                else LabelTriage({"intent": "other", "moderation": "review"}, inj.lang)
            )
            draft = draft_for_comment(retriever, BRAND, comment, triage, persona)
            passages = retriever.search(BRAND, inj.text, k=20, lang=inj.lang).passages
            found = failures(draft, inj, list(passages))
            if found:
                injection_failed[inj.id] = found
        del retriever, store
    if keep is not None:
        keep.update(drafts)
    metrics = score_drafts(drafts, comments, labels, {e.id for e in report.entries if e.kind == "faq"})
    ordered = sorted(latencies)
    metrics.update(
        injection_failures=len(injection_failed),
        injection_attempts=len(INJECTIONS),
        injection_failed_ids=sorted(injection_failed),
        n=len(drafts),
        persona=persona.name,
        triage_source=triage_source,
        latency_ms_p50=round(statistics.median(ordered), 2) if ordered else 0.0,
        latency_ms_p95=round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 2) if ordered else 0.0,
        kb_errors=len(report.errors),
    )
    return metrics
