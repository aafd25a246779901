"""Import rate and query latency of the knowledge base with 10,000 synthetic entries.

    uv run python -m bench.retrieval [--n 10000] [--queries 200] [--second]

Targets on a 2-core machine: import > 200 entries/s, hybrid query p95 < 30 ms (k=5), for
one-sentence questions and for comments of two or three claims (each claim is embedded and
queried too, see knowledge/claims.py). Also prints HNSW recall@5 against exact search, which is
why `ef_search` is raised in store.py. With `--second`, the hybrid queries again with the optional
second encoder (knowledge/second_encoder.py): the first pass over the queries embeds the candidate
entries it meets (cached afterwards), the second pass is the steady state that is timed.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time

import numpy as np

from knowledge.retrieval import Retriever
from knowledge.second_encoder import get_second_encoder
from knowledge.store import Entry, open_store

TOPICS_FR = ["livraison", "abonnement", "paiement", "remboursement", "allergies", "boîtes", "recettes", "bio"]
TOPICS_EN = ["delivery", "subscription", "payment", "refund", "allergy", "boxes", "recipes", "organic"]
PLACES = ["Montréal", "Laval", "Québec", "Gatineau", "Lévis", "Sherbrooke", "Longueuil", "Trois-Rivières"]


def synthetic(n: int, seed: int = 7) -> list[Entry]:
    rng = random.Random(seed)
    entries = []
    for i in range(n):
        place, day = rng.choice(PLACES), rng.choice(["lundi", "mardi", "jeudi", "samedi"])
        if i % 2:
            topic = rng.choice(TOPICS_EN)
            q = f"Question {i} about {topic} in {place}?"
            a = f"Answer {i}: our {topic} policy for {place} changes on {day}, reference {rng.randint(0, 99999)}."
            lang = "en"
        else:
            topic = rng.choice(TOPICS_FR)
            q = f"Question {i} sur {topic} à {place}?"
            a = f"Réponse {i} : notre politique {topic} pour {place} change le {day}, réf. {rng.randint(0, 99999)}."
            lang = "fr"
        entries.append(Entry(id=f"e{i}", question=q, answer=a, lang=lang))
    return entries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--second", action="store_true", help="also time the optional second encoder")
    args = parser.parse_args()
    entries = synthetic(args.n)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(tmp)
        store.embedder.embed(["warm up"])
        t0 = time.perf_counter()
        store.upsert("bench", entries)
        import_s = time.perf_counter() - t0
        print(f"import: {args.n} entries in {import_s:.1f} s = {args.n / import_s:.0f} entries/s (embedding included)")
        retriever = Retriever(store)
        t0 = time.perf_counter()
        retriever.search("bench", "warm up")
        print(f"keyword index build (first query): {(time.perf_counter() - t0) * 1000:.0f} ms")
        rng = random.Random(1)
        queries = [
            rng.choice(
                ["Livrez-vous à {p} le {d}?", "Do you deliver to {p}?", "Politique de remboursement à {p}?"]
            ).format(p=rng.choice(PLACES), d=rng.choice(["lundi", "samedi"]))
            for _ in range(args.queries)
        ]
        claimed = [
            rng.choice(
                [
                    "Still waiting for my delivery to {p}!! And also my refund never came. Third time this month.",
                    "Livraison à {p} en retard de 5 jours et en plus le remboursement n'est jamais arrivé",
                    "@shop the app crashes at login. Then the payment for {p} failed twice",
                ]
            ).format(p=rng.choice(PLACES))
            for _ in range(args.queries)
        ]
        for mode, batch, label in [
            ("vector", queries, ""),
            ("keyword", queries, ""),
            ("hybrid", queries, ""),
            ("hybrid", claimed, ", comments of 2-3 claims"),
        ]:
            times = []
            for q in batch:
                t0 = time.perf_counter()
                retriever.search("bench", q, k=5, mode=mode)  # type: ignore[arg-type]
                times.append((time.perf_counter() - t0) * 1000)
            p50, p95 = np.percentile(times, [50, 95])
            print(f"query {mode:<7} k=5: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({args.queries} queries{label})")
        if args.second:
            second = Retriever(store, second=get_second_encoder())
            for batch, label in [(queries, ""), (claimed, ", comments of 2-3 claims")]:
                t0 = time.perf_counter()
                for q in batch:
                    second.search("bench", q, k=5)
                warm = (time.perf_counter() - t0) / len(batch) * 1000
                times = []
                for q in batch:
                    t0 = time.perf_counter()
                    second.search("bench", q, k=5)
                    times.append((time.perf_counter() - t0) * 1000)
                p50, p95 = np.percentile(times, [50, 95])
                print(
                    f"query hybrid+E5 k=5: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({args.queries} queries{label}; "
                    f"first pass, embedding new candidates: {warm:.0f} ms a query)"
                )
        # HNSW recall against exact cosine search over the stored vectors.
        got = store.client.get_collection("bench__faq", embedding_function=None).get(include=["embeddings"])
        matrix = np.asarray(got["embeddings"], dtype=np.float32)
        ids = got["ids"]
        qv = store.embedder.embed(queries[:100])
        recall = []
        for v in qv:
            exact = {ids[i] for i in np.argsort(-(matrix @ v))[:5]}
            approx = {e.id for e, _ in store.query("bench", v, 5)}
            recall.append(len(exact & approx) / 5)
        print(f"HNSW recall@5 vs exact search: {np.mean(recall):.3f}")


if __name__ == "__main__":
    main()
