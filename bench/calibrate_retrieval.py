"""Calibrate the hybrid keyword weight and the "nothing good enough" thresholds.

    uv run python -m bench.calibrate_retrieval

Uses only the shipped sample brand (knowledge/samples/panier_boreal) and the comments below,
written for this purpose (never the dev set). For each mode it prints hit@1/hit@3 on the
answerable comments and the threshold that best separates answerable from unanswerable ones
(the midpoint of the best-accuracy interval), to copy into knowledge/retrieval.py.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from knowledge.loaders import detect_lang, load_path
from knowledge.retrieval import KEYWORD_WEIGHT, MODES, Retriever
from knowledge.store import open_store

SAMPLES = Path(__file__).resolve().parents[1] / "knowledge/samples/panier_boreal"

# (comment, ids that answer it); an empty tuple means the FAQ has nothing on it.
CASES: list[tuple[str, tuple[str, ...]]] = [
    ("Allo! Vous allez jusqu'à Gatineau?", ("livraison-zones", "delivery-zones")),
    ("do you guys deliver in Lévis", ("delivery-zones", "livraison-zones")),
    ("Le camion passe vers quelle heure en général?", ("livraison-jours", "delivery-days")),
    ("Any weekend deliveries?", ("delivery-days", "livraison-jours")),
    ("Je travaille de jour, vous laissez ça où la boîte?", ("absence",)),
    ("What happens if nobody's home when the driver comes?", ("absence",)),
    ("Je pars 3 semaines en Gaspésie, je fais quoi avec mes paniers?", ("pause", "pause-en")),
    ("Going on vacation for two weeks, can I stop deliveries?", ("pause-en", "pause")),
    ("Je veux arrêter pour de bon, c'est compliqué?", ("resiliation", "cancel-en")),
    ("How do I end my subscription?", ("cancel-en", "resiliation")),
    ("C'est combien pour une famille de 4?", ("tarifs", "prices-en")),
    ("what's the price of the small box", ("prices-en", "tarifs")),
    ("J'haïs les navets, je peux les enlever?", ("substitutions", "substitutions-en")),
    ("Can I choose what's in my box?", ("substitutions-en", "substitutions")),
    ("Mon fils est allergique aux arachides, c'est risqué?", ("allergies", "allergies-en")),
    ("Is it nut-free? My daughter has a peanut allergy", ("allergies-en", "allergies")),
    ("C'est-tu vraiment bio vos affaires?", ("bio", "organic-en")),
    ("Are the veggies organic?", ("organic-en", "bio")),
    ("Je peux payer avec Interac?", ("paiement", "payment-en")),
    ("When is my card charged?", ("payment-en", "paiement")),
    ("Mes tomates sont arrivées écrasées, vous remboursez?", ("remboursement", "refunds-en")),
    ("Half my lettuce was rotten, can I get my money back?", ("refunds-en", "remboursement")),
    ("J'ai une pile de boîtes vides dans mon garage 😅", ("boites-consignees", "returnable-boxes")),
    ("What do I do with the cardboard boxes?", ("returnable-boxes", "boites-consignees")),
    ("Idée cadeau pour ma mère?", ("cartes-cadeaux", "gift-cards")),
    ("Do you have gift certificates?", ("gift-cards", "cartes-cadeaux")),
    ("Des idées pour cuisiner le céleri-rave?", ("recettes",)),
    ("Any recipe ideas for all these squash?", ("recettes", "viral-zucchini-mountain")),
    ("Vous livrez à Trois-Rivières le mardi?", ("livraison-zones", "livraison-jours", "delivery-zones")),
    ("Do you deliver in Longueuil on Fridays?", ("delivery-zones", "delivery-days", "livraison-zones")),
    # Nothing in the FAQ answers these.
    ("Vous avez vu le match des Canadiens hier?", ()),
    ("Who's your favourite Beatle?", ()),
    ("Quelle est la capitale de l'Australie?", ()),
    ("Can you recommend a good dentist in Laval?", ()),
    ("Est-ce que vous vendez des voitures usagées?", ()),
    ("Is it going to rain tomorrow?", ()),
    ("Mon voisin fait trop de bruit le soir", ()),
    ("What's the wifi password at your office?", ()),
    ("Vous avez des postes de comptable?", ()),
    ("Do you ship to Europe?", ()),
    ("Bonne fête des mères à toute l'équipe!", ()),
    ("lol", ()),
    ("🔥🔥🔥", ()),
    ("Pouvez-vous réparer mon vélo?", ()),
    ("I love you guys", ()),
    ("Vous faites du poisson frais?", ()),
]


def _best_threshold(pos: list[float], neg: list[float]) -> tuple[float, float]:
    """Threshold with the best accuracy (ties: middle of the widest best interval)."""
    candidates = sorted(set(pos + neg))
    cuts = [(a + b) / 2 for a, b in zip(candidates, candidates[1:], strict=False)] or [0.5]
    accs = [(sum(p >= c for p in pos) + sum(n < c for n in neg)) / (len(pos) + len(neg)) for c in cuts]
    best = max(accs)
    good = [c for c, a in zip(cuts, accs, strict=True) if a == best]
    return float(np.median(good)), best


def main() -> None:
    report = load_path(SAMPLES)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(tmp)
        store.upsert("cal", report.entries)
        for weight in (0.1, 0.2, 0.25, 0.3, 0.4, 0.5):
            retriever = Retriever(store, keyword_weight=weight)
            for mode in MODES if weight == KEYWORD_WEIGHT else ("hybrid",):
                h1 = h3 = 0
                pos: list[float] = []
                neg: list[float] = []
                for text, wanted in CASES:
                    found = retriever.search("cal", text, k=3, lang=detect_lang(text), mode=mode)
                    best = found.passages[0].score if found.passages else 0.0
                    ids = [p.id for p in found.passages]
                    if wanted:
                        pos.append(best)
                        h1 += bool(ids[:1]) and ids[0] in wanted
                        h3 += any(i in wanted for i in ids[:3])
                    else:
                        neg.append(best)
                threshold, acc = _best_threshold(pos, neg)
                n = len(pos)
                print(
                    f"weight {weight:.2f} {mode:<8} hit@1 {h1 / n:.3f} hit@3 {h3 / n:.3f} "
                    f"answerable min/median {min(pos):.3f}/{np.median(pos):.3f} "
                    f"unanswerable median/max {np.median(neg):.3f}/{max(neg):.3f} "
                    f"→ threshold {threshold:.3f} (accuracy {acc:.3f})"
                )


if __name__ == "__main__":
    main()
