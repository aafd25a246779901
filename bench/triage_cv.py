"""Cross-validate the offline triage on our written examples alone (the unit-level view; the real
comments' cross-validation by source is bench/real/train_triage.py).

    uv run python bench/triage_cv.py [--folds 5] [--k 9] [--knn-weight 0.4]

The shipped examples (knowledge/triage/examples.jsonl) are split into folds; each fold is triaged
by a classifier learnt on the others, through the same rules as in production. Prints intent
macro-F1, humor false positives and the wit kept, hide recall and mistakes, and needs_sac precision
and recall for a range of thresholds, so the thresholds in knowledge/triage/decide.py are chosen
here and never on an evaluation set.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from knowledge.embeddings import get_embedder  # noqa: E402
from knowledge.eval.triage import macro_f1  # noqa: E402
from knowledge.triage.classifier import ExampleClassifier, default_cache_dir, embed_cached, load_examples  # noqa: E402
from knowledge.triage.decide import RawLabels, decide  # noqa: E402
from knowledge.triage.detectors import build_vocab, detect  # noqa: E402
from knowledge.triage.features import for_embedding, surface  # noqa: E402
from knowledge.triage.model import FitOptions  # noqa: E402
from knowledge.triage.triager import _raw_from_prediction  # noqa: E402
from knowledge.triage.types import INTENTS  # noqa: E402

THRESHOLDS = (0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--k", type=int, default=9, help="neighbours in the k-NN vote")
    parser.add_argument("--knn-weight", type=float, default=0.4, help="share of the k-NN vote against the linear model")
    args = parser.parse_args(argv)
    examples = load_examples()
    order = list(range(len(examples)))
    random.Random(7).shuffle(order)
    embedder = get_embedder()
    embed_cached(embedder, [for_embedding(e.text) for e in examples], default_cache_dir())  # warm the shared cache
    vocab = build_vocab(e.text for e in examples if not e.labels.get("low_literacy"))
    options = FitOptions(k=args.k, knn_weight=args.knn_weight)
    rows: list[tuple[dict[str, object], RawLabels, object]] = []
    for fold in range(args.folds):
        test = [examples[i] for i in order[fold :: args.folds]]
        train = [examples[i] for n, i in enumerate(order) if n % args.folds != fold]
        train_features = np.vstack([surface(e.text, detect(e.text, None, vocab)) for e in train])
        clf = ExampleClassifier.from_examples(
            embedder, train, train_features, cache_dir=default_cache_dir(), options=options
        )
        texts = [e.text for e in test]
        test_features = np.vstack([surface(t, detect(t, None, vocab)) for t in texts])
        preds = clf.predict(clf.embed(texts), test_features, texts)
        for ex, pred in zip(test, preds, strict=True):
            rows.append((ex.labels, _raw_from_prediction(pred), detect(ex.text, None, vocab)))
    results = [decide(raw, signals, "fr", "offline") for _, raw, signals in rows]  # type: ignore[arg-type]
    pairs = [(str(labels["intent"]), r.intent) for (labels, _, _), r in zip(rows, results, strict=True)]
    humor_no = [i for i, (labels, _, _) in enumerate(rows) if not labels["humor_ok"]]
    humor_fp = sum(1 for i in humor_no if results[i].humor_ok)
    print(f"{len(rows)} examples, {args.folds} folds")
    print(f"intent macro-F1 {macro_f1(pairs, INTENTS):.3f}")
    humor_yes = [i for i, (labels, _, _) in enumerate(rows) if labels["humor_ok"]]
    humor_kept = sum(1 for i in humor_yes if results[i].humor_ok)
    print(f"humor false positives {humor_fp}/{len(humor_no)}, wit kept {humor_kept}/{len(humor_yes)}")
    hide = [
        (labels["moderation"] == "hide", r.moderation == "hide")
        for (labels, _, _), r in zip(rows, results, strict=True)
    ]
    found = sum(1 for gold, said in hide if gold and said)
    mistakes = sum(1 for gold, said in hide if said and not gold)
    print(f"hide recall {found / max(1, sum(gold for gold, _ in hide)):.3f}, hidden by mistake {mistakes}")
    for threshold in THRESHOLDS:
        tp = fp = fn = 0
        for (labels, raw, signals), _ in zip(rows, results, strict=True):
            said = decide(raw, signals, "fr", "offline", needs_sac_threshold=threshold).needs_sac  # type: ignore[arg-type]
            tp += said and bool(labels["needs_sac"])
            fp += said and not labels["needs_sac"]
            fn += (not said) and bool(labels["needs_sac"])
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        print(f"needs_sac threshold {threshold:.2f}: precision {precision:.3f} recall {recall:.3f}")


if __name__ == "__main__":
    main()
