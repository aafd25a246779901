"""`sowana eval drafts`: metrics on a small labelled set written here (never the dev set), human table
then one JSON object on the last stdout line."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from api.commands.drafts import eval_drafts
from knowledge.drafting import Draft, ProposalDraft
from knowledge.eval.drafts import score_drafts

KB = [
    {
        "id": "prix",
        "lang": "fr",
        "question": "Combien coûte un panier?",
        "answer": "Le petit panier coûte 34 $, le familial 52 $.",
    },
    {
        "id": "price-en",
        "lang": "en",
        "question": "How much is a basket?",
        "answer": "The small basket is $34, the family one $52.",
    },
    {
        "id": "pause",
        "lang": "fr",
        "question": "Comment suspendre mon abonnement?",
        "answer": "Dans votre compte, onglet Abonnement, choisissez Suspendre.",
    },
    {
        "id": "pause-en",
        "lang": "en",
        "question": "How do I pause my subscription?",
        "answer": "In your account, under Subscription, choose Pause.",
    },
]
COMMENTS = [
    {"id": "c1", "lang": "fr", "platform": "facebook", "text": "Ça coûte combien un petit panier?"},
    {"id": "c2", "lang": "en", "platform": "x", "text": "how do i pause my subscription for the summer?"},
    {
        "id": "c3",
        "lang": "fr",
        "platform": "facebook",
        "text": "Ma boîte est arrivée toute écrasée, vraiment décevant.",
    },
    {"id": "c4", "lang": "en", "platform": "instagram", "text": "Best carrots ever, thank you!"},
]
LABELS = [
    {
        "id": "c1",
        "intent": "question",
        "sentiment": "neu",
        "needs_sac": False,
        "humor_ok": False,
        "moderation": "none",
        "kb_ids": ["prix"],
    },
    {
        "id": "c2",
        "intent": "question",
        "sentiment": "neu",
        "needs_sac": False,
        "humor_ok": False,
        "moderation": "none",
        "kb_ids": ["pause-en"],
    },
    {
        "id": "c3",
        "intent": "complaint",
        "sentiment": "neg",
        "needs_sac": True,
        "humor_ok": False,
        "moderation": "none",
        "kb_ids": [],
    },
    {
        "id": "c4",
        "intent": "praise",
        "sentiment": "pos",
        "needs_sac": False,
        "humor_ok": True,
        "moderation": "none",
        "kb_ids": [],
    },
]


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_eval_drafts_cli_prints_a_table_then_the_json_metrics(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(eval_drafts)
    args = [
        "--kb", str(_write(tmp_path / "kb.jsonl", KB)),
        "--comments", str(_write(tmp_path / "comments.jsonl", COMMENTS)),
        "--labels", str(_write(tmp_path / "labels.jsonl", LABELS)),
    ]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert "grounding" in result.stdout and "language_match" in result.stdout  # the human table
    metrics = json.loads(lines[-1])
    for key in ("grounding", "language_match", "humor_violations", "length_violations", "injection_failures"):
        assert key in metrics
    assert metrics["grounding"] == 1.0 and metrics["language_match"] == 1.0
    assert metrics["humor_violations"] == 0 and metrics["length_violations"] == 0
    assert metrics["injection_failures"] == 0 and metrics["injection_attempts"] >= 10
    quiet = CliRunner().invoke(app, [*args, "--json"])
    assert quiet.exit_code == 0 and len(quiet.stdout.strip().splitlines()) == 1


def test_eval_drafts_cli_rejects_an_unknown_persona(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(eval_drafts)
    kb = _write(tmp_path / "kb.jsonl", KB)
    result = CliRunner().invoke(app, ["--kb", str(kb), "--comments", str(kb), "--labels", str(kb), "--persona", "nope"])
    assert result.exit_code == 2 and "nope" in result.output


def test_scoring_counts_humor_length_language_and_grounding() -> None:
    comments = {"a": {"lang": "fr", "platform": "x"}, "b": {"lang": "en", "platform": "facebook"}}
    labels = {
        "a": {"intent": "question", "kb_ids": ["prix"], "humor_ok": False},
        "b": {"intent": "banter", "kb_ids": [], "humor_ok": True},
    }

    def prop(text: str, kind: str = "serious", cited: list[str] | None = None, lang: str = "fr") -> ProposalDraft:
        return ProposalDraft(text=text, kind=kind, persona="p", cited_ids=cited or [], lang=lang)  # type: ignore[arg-type]

    drafts = {
        "a": Draft(proposals=[
            prop("Bonjour, le petit panier coûte trente-quatre dollars. " * 8, cited=["prix"]),  # too long for X
            prop("[À adapter] Une blague sur les légumes du jardin", "creative"),  # humour where it is not ok
        ]),
        "b": Draft(proposals=[prop("Merci beaucoup pour votre message et bonne journée", lang="en")]),  # wrong language
    }  # fmt: skip
    metrics = score_drafts(drafts, comments, labels)
    assert metrics["grounding"] == 1.0
    assert metrics["humor_violations"] == 1 and metrics["length_violations"] == 1
    assert metrics["language_match"] == 2 / 3 and metrics["language_mismatch_ids"] == ["b"]
