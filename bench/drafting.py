"""Offline drafting latency, retrieval included (target p95 < 100 ms, issue #20).

Imports the shipped sample brand into a throw-away Chroma store, then drafts replies to a mix of
French and English comments (questions, complaints, banter, distress) with the default personas.
Prints p50/p95/max for retrieval + drafting, and for drafting alone (passages given).

    uv run python bench/drafting.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from knowledge.drafting import CommentIn, draft_for_comment, draft_reply
from knowledge.embeddings import get_embedder
from knowledge.loaders import load_path
from knowledge.personas import get_persona
from knowledge.retrieval import Retriever
from knowledge.store import open_store

SAMPLES = Path(__file__).resolve().parents[1] / "knowledge/samples/panier_boreal"
BRAND = "panier_boreal"
COMMENTS = [
    ("fr", "question", "Est-ce que vous livrez à Sherbrooke le samedi?", "facebook"),
    ("en", "question", "How much is the family basket?", "x"),
    ("fr", "question", "Comment je fais pour suspendre mon abonnement pendant les vacances?", "instagram"),
    ("en", "question", "Do you sell gift cards?", "facebook"),
    ("fr", "complaint", "Mes tomates étaient toutes écrasées, c'est décevant.", "facebook"),
    ("en", "complaint", "You charged me twice this week, fix it.", "x"),
    ("fr", "banter", "Encore du chou frisé?? Vous avez une entente avec les chèvres 🐐", "instagram"),
    ("en", "banter", "my cat has claimed your box as her new apartment", "instagram"),
    ("fr", "distress", "J'ai perdu ma job, je sais pas comment payer ce mois-ci, j'en peux plus", "facebook"),
    ("en", "question", "Do you deliver to the moon?", "x"),
]


def _triage(lang: str, intent: str) -> SimpleNamespace:
    return SimpleNamespace(
        lang=lang,
        intent=intent,
        sentiment="neg" if intent in ("complaint", "distress") else "neu",
        needs_sac=intent in ("complaint", "distress"),
        humor_ok=intent == "banter",
        humor_off_reasons=[],
        moderation="none",
        moderation_reason=None,
        private_followup=False,
    )


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    embedder = get_embedder()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(tmp, None, embedder)
        store.upsert(BRAND, load_path(SAMPLES).entries)
        retriever = Retriever(store)
        personas = [get_persona("informatif"), get_persona("espiegle")]
        cases = [
            (CommentIn(text=t, platform=p, author_name="Julie Tremblay"), _triage(lg, i)) for lg, i, t, p in COMMENTS
        ]
        for comment, triage in cases:  # warm-up: keyword index, model, Chroma's first reads after the import
            draft_for_comment(retriever, BRAND, comment, triage, personas[1])
        full: list[float] = []
        compose: list[float] = []
        for _ in range(args.rounds):
            for persona in personas:
                for comment, triage in cases:
                    started = time.perf_counter()
                    draft = draft_for_comment(retriever, BRAND, comment, triage, persona)
                    full.append((time.perf_counter() - started) * 1000)
                    passages = retriever.search(BRAND, comment.text, k=5, lang=triage.lang).passages
                    started = time.perf_counter()
                    draft_reply(comment, triage, passages, persona)
                    compose.append((time.perf_counter() - started) * 1000)
                    assert draft.proposals or triage.intent == "spam"
    print(f"offline drafting, {len(full)} drafts ({len(COMMENTS)} comments × {len(personas)} personas × {args.rounds})")
    for label, values in (("retrieval + drafting", full), ("drafting only", compose)):
        print(
            f"  {label:22s} p50 {statistics.median(values):6.2f} ms   p95 {_pct(values, 0.95):6.2f} ms"
            f"   max {max(values):6.2f} ms"
        )
    print(f"  target p95 < 100 ms (retrieval + drafting): {'met' if _pct(full, 0.95) < 100 else 'NOT met'}")


if __name__ == "__main__":
    main()
