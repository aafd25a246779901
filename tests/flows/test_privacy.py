"""Privacy (#23): a person's data erased everywhere Sowana keeps it — the API, the dashboard, the Slack
messages (as the local workspace holds them), the live model's corrections, the SQLite file's bytes —
while the other person's data stays and the statistics still count the erased comments; export of
exactly one person's data, refused without the token. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url
from sqlmodel import select

from bot.brain import Brain
from bot.comments.decisions import correct_triage
from bot.db import session_scope
from bot.models import AuditLog, Comment, TriageCorrection
from tests.flows.conftest import CM, PERSONAS, REVIEW, SAC, Flow, button_value, run_flow, simple_drafter
from tests.flows.test_cases import classify, resolve

JULIE_TEXT = "Ma commande 3321 est arrivée incomplète"
JULIE = "Julie Tremblay"
MARC_TEXT = "Livrez-vous à Lévis ? Do you deliver there?"
MARC = "Marc Gagnon"


class Corrections:
    """The live model's corrections, as bot.brain hands them to the triager (learn / forget)."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def learn(self, text: str, _labels: dict[str, Any]) -> None:
        self.texts.append(text)

    def forget(self, texts: Collection[str]) -> int:
        before = len(self.texts)
        self.texts = [t for t in self.texts if t not in texts]
        return before - len(self.texts)


def _all_slack_text(flow: Flow) -> str:
    out = []
    for channel in (REVIEW, SAC):
        for m in flow.ws.messages(channel):
            out.append(str(m.get("text")) + str(m.get("blocks")))
            for reply in flow.ws.thread(channel, m["ts"])[1:]:
                out.append(str(reply.get("text")) + str(reply.get("blocks")))
    return "\n".join(out)


def _db_bytes(database_url: str) -> bytes:
    path = Path(str(make_url(database_url).database))
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def test_erasing_a_person_leaves_nothing_of_them_and_keeps_the_other_and_the_figures(
    database_url: str, engine: Any
) -> None:
    model = Corrections()
    brain = Brain(
        classify=classify,
        drafter=simple_drafter,
        personas=lambda: PERSONAS,
        on_correction=model.learn,
        forget_corrections=model.forget,
    )
    with run_flow(database_url, engine, brain=brain) as flow:
        julie = flow.comment(JULIE_TEXT, author=JULIE)  # a complaint that needs her file: escalated
        marc = flow.comment(MARC_TEXT, author=MARC)
        flow.wait_state(julie, "escalated")
        flow.review_message(marc)
        # The team corrects the triage of her comment: the model learns from her text.
        assert correct_triage(engine, julie, CM, "intent", "complaint").ok
        model.learn(JULIE_TEXT, {"intent": "complaint"})
        # Customer service resolves with a note; the follow-up (which names her) is approved and published.
        resolve(flow, julie, "Julie Tremblay remboursée pour la commande 3321", followup="public")
        review = next(m for m in flow.ws.messages(REVIEW) if f"cas #{julie}" in str(m.get("blocks")))
        followup = flow.ws.wait_for(
            lambda: next((m for m in flow.ws.thread(REVIEW, review["ts"])[1:] if "approve_reply" in str(m)), None),
            what="follow-up",
        )
        flow.ws.click(CM, REVIEW, followup["ts"], "approve_reply", value=button_value(followup, "approve_reply"))
        flow.wait_state(julie, "published")
        assert JULIE in _all_slack_text(flow) or "3321" in _all_slack_text(flow)
        before = flow.api.get("/api/authors/facebook/a1/export").json()
        assert [c["text"] for c in before["comments"]] == [JULIE_TEXT]

        answer = flow.api.delete("/api/authors/facebook/a1", params={"brand": "default"})
        assert answer.status_code == 200, answer.text
        erased = answer.json()["erased"]
        assert erased["comments"] == 1 and erased["triage_corrections"] == 1
        assert erased["replies"] >= 1 and erased["case_notes"] == 1 and erased["slack_messages"] >= 2

        # The API and the dashboard.
        record = flow.case(julie)
        assert JULIE not in str(record) and "3321" not in str(record) and "Julie" not in str(record)
        assert record["state"] == "published"  # the figures keep it
        dashboard = flow.api.get("/dashboard/data", params={"brand": "default"}).json()
        assert "3321" not in str(dashboard) and JULIE not in str(dashboard)
        assert dashboard["kpis"]["received"] == 2
        # Slack, as the workspace holds it: her messages say they were erased; Marc's are intact.
        slack = _all_slack_text(flow)
        assert "3321" not in slack and "Julie" not in slack
        assert "Erased at the person's request" in slack and "effacé à la demande" in slack
        assert "Lévis" in slack and MARC in slack
        # The model's corrections, the database rows and the audit log.
        assert JULIE_TEXT not in model.texts
        with session_scope(engine) as s:
            assert s.exec(select(TriageCorrection)).all() == []
            kept = s.get(Comment, marc)
            assert kept is not None and kept.text == MARC_TEXT and kept.author_name == MARC
            audit = [(a.action, a.actor, str(a.detail)) for a in s.exec(select(AuditLog)).all()]
        assert not any("3321" in detail or "Julie" in detail for _action, _actor, detail in audit)
        erasures = [(actor, detail) for action, actor, detail in audit if action == "privacy_erase"]
        assert len(erasures) == 1 and erasures[0][0] == "api" and f"[{julie}]" in erasures[0][1]
        # Metrics still count both comments, and the erasure.
        metrics = httpx.get(f"{flow.api.base_url}/metrics").text
        assert 'sowana_privacy_redacted_comments_total{reason="erase"} 1.0' in metrics
        # Nothing of her left in the SQLite file (secure_delete, the log checkpointed).
        if database_url.startswith("sqlite"):
            raw = _db_bytes(database_url)
            i = raw.find(b"3321")
            assert i < 0 and JULIE.encode() not in raw, raw[max(0, i - 200) : i + 100]
            assert MARC_TEXT.encode() in raw
        # Erasing twice is not an error; her export is now empty, Marc's is exactly his.
        again = flow.api.delete("/api/authors/facebook/a1", params={"brand": "default"})
        assert again.status_code == 200 and again.json()["erased"]["comments"] == 0
        assert flow.api.get("/api/authors/facebook/a1/export").json()["comments"] == []


def test_export_returns_exactly_that_persons_data_and_needs_the_token(database_url: str, engine: Any) -> None:
    with run_flow(database_url, engine) as flow:
        julie = flow.comment(JULIE_TEXT, author=JULIE)
        marc = flow.comment(MARC_TEXT, author=MARC)
        flow.review_message(julie)
        flow.review_message(marc)
        doc = flow.api.get("/api/authors/facebook/a2/export", params={"brand": "default"}).json()
        assert doc["author_id"] == "a2" and [c["id"] for c in doc["comments"]] == [marc]
        assert doc["comments"][0]["text"] == MARC_TEXT and doc["comments"][0]["author_name"] == MARC
        assert "3321" not in str(doc) and JULIE not in str(doc)
        assert "Données" in doc["about"] and "The data" in doc["about"]
        base = str(flow.api.base_url)
        assert httpx.get(f"{base}/api/authors/facebook/a2/export").status_code == 401
        assert httpx.delete(f"{base}/api/authors/facebook/a2").status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert httpx.get(f"{base}/api/authors/facebook/a2/export", headers=wrong).status_code == 401
        assert flow.api.get("/api/authors/myspace/a2/export").status_code == 422
