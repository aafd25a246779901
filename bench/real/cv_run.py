"""Retrieval options compared by leave-one-training-source-out cross-validation on the real
training sources (never the held-out ones), from the cached component scores of cv_features.py.

    uv run python bench/real/cv_run.py                     # the comparisons behind the shipped choices
    uv run python bench/real/cv_run.py '{"kw": [0.4, 0.6], "e5": [0, 0.7], "e5s": [4, 6]}'   # a grid

For each option set: its mean over the training sources, then the CV figure: each training
source in turn is scored with the option set that did best on the three others (hit@1 + hit@3 +
MRR), its "nothing good enough" threshold fitted on those three. Options (`scores`): wq question
weight in the USE entry vector, kw keyword weight, cw claim weight, clean (embed the cleaned
comment), wst statement view, wmax max-pooled views, kwq/kwc/kwnorm keyword variants, prf
pseudo-relevance feedback, e5/e5s/e5center the second encoder's share, scale and per-language
centring.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cv_features  # noqa: E402

TRAIN = ["us_airline", "fb_dei", "engie_tweets", "fnac_fb"]


def norm(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def center(sc: np.ndarray, langs: list) -> np.ndarray:
    """Each entry language's scores moved to the overall mean (E5 favours the comment's language)."""
    out = sc.copy()
    langs = np.array([str(x) for x in langs])
    for lang in set(langs):
        m = langs == lang
        out[:, m] += sc.mean(axis=1, keepdims=True) - sc[:, m].mean(axis=1, keepdims=True)
    return out


def scores(d: dict, p: dict) -> np.ndarray:
    """[comment, entry] fused score under params p."""
    ent = norm(d["a"] + p["wq"] * d["q"] + p.get("wst", 0) * d["st"])
    qv = d["clean"] if p.get("clean") else d["raw"]
    vec = qv @ ent.T
    if p.get("prf", 0):
        base = vec + p["kw"] * d["kw"]
        top = np.argsort(-base, axis=1)[:, : p.get("prfk", 3)]
        qv = norm(qv + p["prf"] * ent[top].mean(axis=1))
        vec = qv @ ent.T
    if p.get("wmax", 0):
        views = [qv @ d["q"].T, qv @ d["a"].T]
        if len(d["s"]):
            sc = qv @ d["s"].T
            smax = np.full_like(vec, -1.0)
            for j in range(sc.shape[1]):
                o = d["s_owner"][j]
                smax[:, o] = np.maximum(smax[:, o], sc[:, j])
            views.append(smax)
        vec = vec + p["wmax"] * np.max(np.stack(views), axis=0)
    if p.get("e5", 0):
        e5e = norm(d["e5_a"] + p.get("e5wq", 1.0) * d["e5_q"]) if p.get("e5v") != "qa" else d["e5_qa"]
        e5sc = d["e5_raw"] @ e5e.T
        if p.get("e5center"):
            e5sc = center(e5sc, d["entry_lang"])
        vec = (1 - p["e5"]) * vec + p["e5"] * p.get("e5s", 1.0) * e5sc
    kw = d["kw"] if not p.get("kwq") else d["kw"] + p["kwq"] * d["kw_q"]
    if p.get("kwnorm"):
        kw = kw / np.maximum(kw.max(axis=1, keepdims=True), p["kwnorm"])
    s = vec + p["kw"] * kw + p.get("kwc", 0) * d["kw_c"]
    cw = p["cw"]
    if cw and len(d["claims"]):
        cvec = d["claims"] @ ent.T
        if p.get("e5", 0) and p.get("e5c", True):
            csc = d["e5_claims"] @ e5e.T
            if p.get("e5center"):
                csc = center(csc, d["entry_lang"])
            cvec = (1 - p["e5"]) * cvec + p["e5"] * p.get("e5s", 1.0) * csc
        cs = cvec + p["kw"] * d["kw_claims"] + p.get("kwc", 0) * d["kw_c_claims"]
        if p.get("wmax", 0):
            cs = cs + p["wmax"] * np.maximum(d["claims"] @ d["q"].T, d["claims"] @ d["a"].T)
        cmax = np.full_like(s, -9.0)
        for j, o in enumerate(d["claim_owner"]):
            cmax[o] = np.maximum(cmax[o], cs[j])
        multi = d["n_claims"] > 1
        mode = p.get("cmode", "max")
        if mode == "max":
            s[multi] = (1 - cw) * s[multi] + cw * cmax[multi]
        else:  # max of whole and claim
            s[multi] = np.maximum(s[multi], cw * cmax[multi] + (1 - cw) * s[multi])
    same = np.array([[float(e == lang) for e in d["entry_lang"]] for lang in d["langs"]])
    return s + p.get("lb", 0.02) * same


def metrics(d: dict, s: np.ndarray, thr: float | None = None) -> dict:
    ids = d["ids"]
    h1 = h3 = rr = 0.0
    n = 0
    best = s.max(axis=1)
    for i, w in enumerate(d["wanted"]):
        if not w:
            continue
        n += 1
        order = np.argsort(-s[i], kind="stable")
        rank = next((r for r, j in enumerate(order, 1) if ids[j] in w), 99)
        h1 += rank == 1
        h3 += rank <= 3
        rr += 1 / rank
    out = {"hit@1": h1 / n, "hit@3": h3 / n, "mrr": rr / n}
    if thr is not None:
        neg = np.array([not w for w in d["wanted"]])
        flag = best < thr
        out["noP"] = (flag & neg).sum() / max(flag.sum(), 1)
        out["noR"] = (flag & neg).sum() / max(neg.sum(), 1)
    return out


def best_thr(ds: list[dict], ss: list[np.ndarray]) -> float:
    pos = np.concatenate([s.max(1)[[bool(w) for w in d["wanted"]]] for d, s in zip(ds, ss, strict=True)])
    neg = np.concatenate([s.max(1)[[not w for w in d["wanted"]]] for d, s in zip(ds, ss, strict=True)])
    cuts = np.unique(np.concatenate([pos, neg]))
    acc = [((pos >= c).sum() + (neg < c).sum()) for c in cuts]
    return float(cuts[int(np.argmax(acc))])


def obj(m: dict) -> float:
    return m["hit@1"] + m["hit@3"] + m["mrr"]


def mean(ms: list[dict]) -> dict:
    return {k: float(np.mean([m[k] for m in ms])) for k in ms[0]}


def evaluate(data: dict, grid: list[dict], label: str) -> None:
    """Each config's mean over the training sources, then LOSO: pick on 3, score the 4th."""
    per = {i: [metrics(data[s], scores(data[s], p)) for s in TRAIN] for i, p in enumerate(grid)}
    ranked = sorted(per, key=lambda i: -obj(mean(per[i])))
    print(f"== {label}: {len(grid)} configs; top on all training sources:")
    for i in ranked[:5]:
        m = mean(per[i])
        print(f"  {m['hit@1']:.3f} {m['hit@3']:.3f} {m['mrr']:.3f}  {grid[i]}")
    fold = []
    for k, held in enumerate(TRAIN):
        pick = max(per, key=lambda i: np.mean([obj(per[i][j]) for j in range(len(TRAIN)) if j != k]))
        p = grid[pick]
        others = [s for s in TRAIN if s != held]
        thr = best_thr([data[s] for s in others], [scores(data[s], p) for s in others])
        fold.append(metrics(data[held], scores(data[held], p), thr))
    m = mean(fold)
    print("  LOSO CV: " + " ".join(f"{k} {v:.3f}" for k, v in m.items()))


def grid_of(**axes: list) -> list[dict]:
    keys = list(axes)
    return [dict(zip(keys, vals, strict=True)) for vals in itertools.product(*axes.values())]


SHIPPED = {"wq": 1.0, "kw": 0.6, "cw": 0.25}
COMPARISONS = {
    "shipped (USE + BM25 + claims)": {k: [v] for k, v in SHIPPED.items()},
    "weights, cleaned comment": {
        "wq": [0.5, 1.0, 1.5], "kw": [0.3, 0.6, 0.8], "cw": [0.15, 0.25, 0.4], "clean": [False, True]
    },
    "statement view of the question": {**{k: [v] for k, v in SHIPPED.items()}, "wst": [0, 0.5, 1.0]},
    "max-pooled views": {**{k: [v] for k, v in SHIPPED.items()}, "wmax": [0, 0.3, 0.6]},
    "concepts alone as a third score": {**{k: [v] for k, v in SHIPPED.items()}, "kwc": [0, 0.1, 0.2]},
    "pseudo-relevance feedback": {**{k: [v] for k, v in SHIPPED.items()}, "prf": [0, 0.3, 0.6], "prfk": [1, 3]},
    "second encoder (E5-small)": {
        "wq": [1.0], "kw": [0.4, 0.6], "cw": [0.25], "e5": [0.5, 0.7], "e5s": [4.0, 6.0], "e5center": [False, True]
    },
}  # fmt: skip

if __name__ == "__main__":
    data = cv_features.load(TRAIN)
    if len(sys.argv) > 1:
        evaluate(data, grid_of(**json.loads(sys.argv[1])), "grid")
    else:
        for label, axes in COMPARISONS.items():
            evaluate(data, grid_of(**axes), label)
