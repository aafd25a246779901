"""Privacy (#23): a person's data erased everywhere Sowana keeps it — the API, the dashboard, the Slack
messages (as the local workspace holds them), Chroma (a Chroma server), the live triage model's
corrections, the SQLite file's bytes, the logs — while the other person's data stays and the statistics
still count the erased comments; export of exactly one person's data, refused without the token. Both
people write through the signed Meta webhook. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlmodel import select

from api.platforms.signatures import meta_signature
from bot.brain import Brain
from bot.comments.decisions import correct_triage
from bot.db import session_scope
from bot.insights.engagement import StoreSink, viral_entry_id
from bot.models import AuditLog, Comment, Engagement, Publication, TriageCorrection
from tests.flows.conftest import CM, PERSONAS, REVIEW, SAC, Flow, button_value, run_flow, simple_drafter
from tests.flows.test_cases import classify, resolve
from tests.flows.test_log_lines import json_lines  # noqa: F401  (fixture: the log lines as JSON)
from tests.servers import chroma_server_process

JULIE_TEXT = "Ma commande BX-3321 est arrivée incomplète"
JULIE = "Julie Tremblay"
MARC_TEXT = "Livrez-vous à Lévis ? Do you deliver there?"
MARC = "Marc Gagnon"
APP_SECRET, PAGE = "privacy-meta-secret", "1234567890"


@pytest.fixture(scope="module")
def triager() -> Any:
    """The real offline triage model, whose live corrections an erasure must drop."""
    from knowledge.triage import Triager  # deferred: loads the shipped model (seconds)

    return Triager()


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from knowledge.store import open_store  # deferred: loads the embedder

    with chroma_server_process(tmp_path_factory.mktemp("chroma-server")) as server:
        yield open_store("", server.url)


def _webhook(flow: Flow, n: int, author_id: str, name: str, text: str) -> int:
    """A signed Meta feed event, as Facebook sends it; the stored comment's id."""
    change = {
        "item": "comment",
        "verb": "add",
        "comment_id": f"{PAGE}_5_{n}",
        "post_id": f"{PAGE}_5",
        "parent_id": f"{PAGE}_5",
        "from": {"id": author_id, "name": name},
        "message": text,
        "created_time": 1764806400 + n,
    }
    body = json.dumps(
        {"object": "page", "entry": [{"id": PAGE, "time": 1764806401, "changes": [{"field": "feed", "value": change}]}]}
    ).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(APP_SECRET, body)}
    assert flow.api.post("/webhooks/meta", content=body, headers=headers).status_code == 200
    with session_scope(flow.engine) as s:
        return int(s.exec(select(Comment.id).where(Comment.external_id == change["comment_id"])).one())


def _viral(flow: Flow, store: Any, comment_id: int) -> str:
    """What the engagement tracker does when a reply to this comment goes viral: its Chroma entry."""
    with session_scope(flow.engine, write=True) as s:
        pub = s.exec(select(Publication).where(Publication.comment_id == comment_id)).first()
        comment = s.get(Comment, comment_id)
        assert pub is not None and pub.id is not None and comment is not None
        entry = viral_entry_id(pub.id)
        s.add(
            Engagement(
                publication_id=pub.id, brand=pub.brand, platform="facebook", platform_id="p", viral_entry_id=entry
            )
        )
        question, answer = comment.text, pub.text
    StoreSink(store).add_viral("default", entry, question, answer, "fr", {"source": "engagement"})
    return entry


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


def _where(database_url: str, engine: Any) -> str:
    """Diagnosis of a failure: which file, and which rows still hold her text."""
    from sqlalchemy import text

    path = Path(str(make_url(database_url).database))
    found = {p.name: p.read_bytes().find(b"BX-3321") for p in (path, Path(f"{path}-wal")) if p.exists()}
    rows = []
    with engine.connect() as conn:
        for (table,) in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'")):
            for col_row in conn.execute(text(f"PRAGMA table_info({table})")):
                hits = conn.execute(
                    text(f'SELECT count(*) FROM "{table}" WHERE CAST("{col_row[1]}" AS TEXT) LIKE :q'),
                    {"q": "%BX-3321%"},
                ).scalar()
                if hits:
                    rows.append(f"{table}.{col_row[1]}")
        checkpoint = conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).all()
    raw = path.read_bytes()
    i = raw.find(b"BX-3321")
    context = raw[max(0, i - 300) : i + 60]
    return f"offsets {found}, rows {rows}, checkpoint now {checkpoint}, in the file after it: {i >= 0} {context!r}"


def test_erasing_a_person_leaves_nothing_of_them_and_keeps_the_other_and_the_figures(
    database_url: str,
    engine: Any,
    triager: Any,
    chroma: Any,
    json_lines: io.StringIO,  # noqa: F811
) -> None:
    brain = Brain(
        classify=classify,
        drafter=simple_drafter,
        personas=lambda: PERSONAS,
        on_correction=triager.add_correction,
        forget_corrections=triager.forget_corrections,
        store=chroma,
    )
    with run_flow(database_url, engine, brain=brain, meta_app_secret=APP_SECRET, meta_page_ids=PAGE) as flow:
        julie = _webhook(flow, 1, "8800417723", JULIE, JULIE_TEXT)  # a complaint that needs her file: escalated
        marc = _webhook(flow, 2, "8800417724", MARC, MARC_TEXT)
        flow.wait_state(julie, "escalated")
        msg = flow.review_message(marc)
        flow.ws.click(CM, REVIEW, msg["ts"], "approve_reply", value=button_value(msg, "approve_reply"))
        flow.wait_state(marc, "published")
        # The team corrects the triage of her comment: the model learns from her text at once.
        assert correct_triage(engine, julie, CM, "intent", "complaint").ok
        triager.add_correction(JULIE_TEXT, {"intent": "complaint"})
        # Customer service resolves with a note; the follow-up (which names her) is approved and published.
        resolve(flow, julie, "Julie Tremblay remboursée pour la commande BX-3321", followup="public")
        review = next(m for m in flow.ws.messages(REVIEW) if f"cas #{julie}" in str(m.get("blocks")))
        followup = flow.ws.wait_for(
            lambda: next((m for m in flow.ws.thread(REVIEW, review["ts"])[1:] if "approve_reply" in str(m)), None),
            what="follow-up",
        )
        flow.ws.click(CM, REVIEW, followup["ts"], "approve_reply", value=button_value(followup, "approve_reply"))
        flow.wait_state(julie, "published")
        her_entry, his_entry = _viral(flow, chroma, julie), _viral(flow, chroma, marc)
        assert "BX-3321" in _all_slack_text(flow) and chroma.get("default", her_entry) is not None
        before = flow.api.get("/api/authors/facebook/8800417723/export").json()
        assert [c["text"] for c in before["comments"]] == [JULIE_TEXT]

        answer = flow.api.delete("/api/authors/facebook/8800417723", params={"brand": "default"})
        assert answer.status_code == 200, answer.text
        erased = answer.json()["erased"]
        assert erased["comments"] == 1 and erased["triage_corrections"] == 1 and erased["knowledge_entries"] == 1
        assert erased["replies"] >= 1 and erased["case_notes"] == 1 and erased["slack_messages"] >= 2

        # The API and the dashboard.
        record = flow.case(julie)
        assert "BX-3321" not in str(record) and "Julie" not in str(record) and "8800417723" not in str(record)
        assert record["state"] == "published"  # the figures keep it
        dashboard = flow.api.get("/dashboard/data", params={"brand": "default"}).json()
        assert "BX-3321" not in str(dashboard) and "Julie" not in str(dashboard)
        assert dashboard["kpis"]["received"] == 2 and dashboard["kpis"]["replies"] == 2
        # Slack, as the workspace holds it: her messages say they were erased; Marc's are intact.
        slack = _all_slack_text(flow)
        assert "BX-3321" not in slack and "Julie" not in slack
        assert "Erased at the person's request" in slack and "effacé à la demande" in slack
        assert "Lévis" in slack and MARC in slack
        # Chroma and the live model.
        assert chroma.get("default", her_entry) is None and chroma.get("default", his_entry) is not None
        assert not any("BX-3321" in e.question + e.answer for e in chroma.list("default"))
        assert JULIE_TEXT not in triager.corrections
        # The database rows and the audit log (which refers to comments by id only).
        with session_scope(engine) as s:
            assert s.exec(select(TriageCorrection)).all() == []
            kept = s.get(Comment, marc)
            assert kept is not None and kept.text == MARC_TEXT and kept.author_name == MARC
            audit = [(a.action, a.actor, str(a.detail)) for a in s.exec(select(AuditLog)).all()]
        assert not any("BX-3321" in detail or "Julie" in detail or "8800417723" in detail for _a, _w, detail in audit)
        erasures = [(actor, detail) for action, actor, detail in audit if action == "privacy_erase"]
        assert len(erasures) == 1 and erasures[0][0] == "api" and f"[{julie}]" in erasures[0][1]
        # Metrics still count both comments, and the erasure.
        metrics = httpx.get(f"{flow.api.base_url}/metrics").text
        assert 'sowana_privacy_redacted_comments_total{reason="erase"} 1.0' in metrics
        assert 'sowana_comments{state="published"} 2.0' in metrics
        # Nothing of her left in the SQLite file (secure_delete, the log checkpointed).
        if database_url.startswith("sqlite"):
            raw = _db_bytes(database_url)
            assert b"BX-3321" not in raw and b"Julie" not in raw, _where(database_url, engine)
            assert b"8800417723" not in raw
            assert MARC_TEXT.encode() in raw
        # Erasing twice is not an error; her export is now empty, Marc's is exactly his.
        again = flow.api.delete("/api/authors/facebook/8800417723", params={"brand": "default"})
        assert again.status_code == 200 and again.json()["erased"]["comments"] == 0
        assert flow.api.get("/api/authors/facebook/8800417723/export").json()["comments"] == []
    logs = json_lines.getvalue()  # no log line of the whole flow holds what she wrote, nor her name
    assert "BX-3321" not in logs and JULIE not in logs and "Lévis" not in logs


def test_export_returns_exactly_that_persons_data_and_needs_the_token(database_url: str, engine: Any) -> None:
    with run_flow(database_url, engine) as flow:
        julie = flow.comment(JULIE_TEXT, author=JULIE)
        marc = flow.comment(MARC_TEXT, author=MARC)
        flow.review_message(julie)
        flow.review_message(marc)
        doc = flow.api.get("/api/authors/facebook/a2/export", params={"brand": "default"}).json()
        assert doc["author_id"] == "a2" and [c["id"] for c in doc["comments"]] == [marc]
        assert doc["comments"][0]["text"] == MARC_TEXT and doc["comments"][0]["author_name"] == MARC
        assert "BX-3321" not in str(doc) and JULIE not in str(doc)
        assert "Données" in doc["about"] and "The data" in doc["about"]
        base = str(flow.api.base_url)
        assert httpx.get(f"{base}/api/authors/facebook/a2/export").status_code == 401
        assert httpx.delete(f"{base}/api/authors/facebook/a2").status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert httpx.get(f"{base}/api/authors/facebook/a2/export", headers=wrong).status_code == 401
        assert flow.api.get("/api/authors/myspace/a2/export").status_code == 422


def test_erasing_someone_grouped_in_a_storm_summary_updates_that_summary(
    database_url: str, engine: Any, tmp_path: Path
) -> None:
    from bot.blocks.storm import HIDE_ALL
    from bot.models import StormGroup
    from tests.flows.test_storm import SPAM, run_storm, summaries

    with run_storm(database_url, engine, tmp_path) as storm:
        storm.fire([SPAM.format(i=i) for i in range(40)])
        storm.ws.wait_for(lambda: storm.states().get("posted") == 40, timeout=120, interval=0.5, what="40 posted")
        summary = summaries(storm, HIDE_ALL)[0]
        with session_scope(engine) as s:
            group = s.exec(select(StormGroup).where(StormGroup.ts == summary["ts"])).one()
            shown = s.exec(select(Comment).where(Comment.text == group.label)).first()
            assert shown is not None
            author, text = shown.author_id, shown.text
        assert text in str(summary["blocks"])  # the summary quotes that person's comment
        answer = storm.api.delete(f"/api/authors/facebook/{author}", params={"brand": "default"})
        assert answer.status_code == 200 and answer.json()["erased"]["comments"] == 1
        after = next(m for m in storm.ws.messages(REVIEW) if m["ts"] == summary["ts"])
        assert text not in str(after["blocks"]) and text not in str(after.get("text"))
        assert HIDE_ALL in str(after["blocks"])  # the other members' bulk action is still there


def test_her_messenger_messages_are_exported_and_erased_with_her_facebook_comment(
    database_url: str, engine: Any
) -> None:
    """#24: the team answered Julie's comment with a private reply; she wrote back in Messenger (under her
    PSID). Her export, asked by her Facebook id over the API, holds her message; erasing that id erases
    it, her conversation and the review thread's lines, and leaves Marc's conversation."""
    from bot.models import Conversation

    with run_flow(database_url, engine) as flow:
        julie = flow.comment(JULIE_TEXT, author=JULIE)  # author id a1
        review = flow.review_message(julie)
        with session_scope(engine, write=True) as s:
            s.add(
                Conversation(
                    brand="default", platform="facebook", participant_id="psid-j", author_id="a1", anchor_id=julie
                )
            )
            s.add(Conversation(brand="default", platform="facebook", participant_id="psid-m"))
            for external_id, author, text in (
                ("m1", "psid-j", "Ma commande BX-3321, adresse 12 rue Racine"),
                ("m2", "psid-m", MARC_TEXT),
            ):
                s.add(
                    Comment(
                        brand="default",
                        platform="facebook",
                        external_id=external_id,
                        author_id=author,
                        author_name="",
                        text=text,
                        private=True,
                        thread_of=julie if author == "psid-j" else None,
                    )
                )
        doc = flow.api.get("/api/authors/facebook/a1/export").json()
        assert [(c["private"], c["text"]) for c in doc["comments"]] == [
            (False, JULIE_TEXT),
            (True, "Ma commande BX-3321, adresse 12 rue Racine"),
        ]
        assert [c["participant_id"] for c in doc["conversations"]] == ["psid-j"] and MARC_TEXT not in str(doc)

        answer = flow.api.delete("/api/authors/facebook/a1", params={"brand": "default"})
        assert answer.status_code == 200, answer.text
        erased = answer.json()["erased"]
        assert erased["comments"] == 2 and erased["conversations"] == 1
        after = flow.api.get("/api/authors/facebook/psid-j/export").json()
        assert after["comments"] == [] and after["conversations"] == []
        shown = str(next(m for m in flow.ws.messages(REVIEW) if m["ts"] == review["ts"]))
        assert "BX-3321" not in shown and "Erased at the person's request" in shown
        with session_scope(engine) as s:
            assert [c.participant_id for c in s.exec(select(Conversation)).all()] == ["psid-m"]
            kept = s.exec(select(Comment).where(Comment.external_id == "m2")).one()
            assert kept.text == MARC_TEXT
