"""Customer-service cases in Slack: automatic escalation, follow-ups published exactly once, a case
closed without a reply, and the figures in `/sowana stats` — through the local workspace, on SQLite
and PostgreSQL."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from api.emulators.slack.client import WorkspaceClientError
from bot.brain import Brain
from bot.models import Comment
from tests.flows.conftest import (
    CM,
    PERSONAS,
    REVIEW,
    SAC,
    SAC_AGENT,
    Flow,
    action_ids,
    button_value,
    run_flow,
    simple_drafter,
)


def classify(comment: Comment) -> tuple[dict[str, Any], str]:
    """Stands in for knowledge's triage (tested on its own): what the case keeper reads."""
    text = comment.text.lower()
    if "plus la force" in text or "can't go on" in text:
        return {"lang": "fr", "intent": "distress", "needs_sac": False, "priority": "urgent"}, "test"
    if "commande" in text or "order" in text:
        return {"lang": "fr", "intent": "complaint", "needs_sac": True, "priority": "normal"}, "test"
    return {"lang": "fr", "intent": "question", "needs_sac": False, "priority": "normal"}, "test"


@pytest.fixture
def cases_flow(database_url: str, engine: Any) -> Iterator[Flow]:
    brain = Brain(classify=classify, drafter=simple_drafter, personas=lambda: PERSONAS)
    with run_flow(database_url, engine, brain=brain) as running:
        yield running


def card_of(flow: Flow, cid: int) -> dict[str, Any]:
    return flow.ws.wait_for(
        lambda: next((m for m in flow.ws.messages(SAC) if f"Cas #{cid}" in str(m.get("blocks"))), None),
        what=f"case card of {cid}",
    )


def resolve(flow: Flow, cid: int, note: str, followup: str | None = None) -> None:
    card = card_of(flow, cid)
    flow.ws.click(SAC_AGENT, SAC, card["ts"], "resolve_case", value=str(cid))
    view = flow.ws.wait_for(lambda: flow.ws.open_view(SAC_AGENT), what="resolve modal")
    values: dict[str, Any] = {"resolution_note": note}
    if followup:
        values["followup_choice"] = followup
    flow.ws.submit_view(SAC_AGENT, view["id"], values)
    flow.wait_state(cid, "resolved")


def test_distress_is_escalated_at_once_as_urgent_and_a_question_is_not(cases_flow: Flow):
    distress = cases_flow.comment("Je n'en peux plus, je n'ai plus la force de rien")
    question = cases_flow.comment("Livrez-vous à Lévis ?")
    cases_flow.wait_state(distress, "escalated")
    card = card_of(cases_flow, distress)
    assert "URGENT" in str(card["blocks"]) and "automatiquement" in str(card["blocks"])
    esc = cases_flow.case(distress)["escalation"]
    assert esc["auto"] and esc["urgent"] and esc["requested_by"] == "sowana"
    cases_flow.review_message(question)
    assert cases_flow.case(question)["escalation"] is None and cases_flow.case(question)["state"] == "posted"


def test_the_cm_can_send_one_holding_reply_while_customer_service_works(cases_flow: Flow):
    cid = cases_flow.comment("Je n'en peux plus, je n'ai plus la force de rien")
    cases_flow.wait_state(cid, "escalated")

    def review() -> dict[str, Any]:
        return next(m for m in cases_flow.ws.messages(REVIEW) if f"cas #{cid}" in str(m.get("blocks")))

    msg = cases_flow.ws.wait_for(
        lambda: "réponse d'attente" in str(review()["blocks"]) and review(), what="holding reply offered"
    )
    cases_flow.ws.click(CM, REVIEW, msg["ts"], "approve_reply", value=button_value(msg, "approve_reply"))
    cases_flow.ws.wait_for(lambda: len(cases_flow.publisher.replies) == 1, what="holding reply published")
    updated = cases_flow.ws.wait_for(
        lambda: "holding reply published" in str(review()["blocks"]) and review(), what="review message updated"
    )
    assert "approve_reply" not in action_ids(updated)  # one holding reply, not two
    case = cases_flow.case(cid)
    assert case["state"] == "escalated" and case["escalation"]["status"] == "open"  # the case goes on
    assert [a["action"] for a in case["decisions"]] == ["escalate", "approve"]


def resolve_with_both_followups(flow: Flow, cid: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Customer service resolves the case asking for a public and a private follow-up: the review
    message, and the thread message that offers both."""
    resolve(flow, cid, "il manquait le pain : remboursé 6,50 $", followup="both")
    review = next(m for m in flow.ws.messages(REVIEW) if f"cas #{cid}" in str(m.get("blocks")))
    followups = flow.ws.wait_for(
        lambda: next(
            (m for m in flow.ws.thread(REVIEW, review["ts"])[1:] if action_ids(m).count("approve_reply") == 2),
            None,
        ),
        what="follow-ups",
    )
    return review, followups


def test_follow_ups_publish_once_each_and_close_the_case(cases_flow: Flow):
    cid = cases_flow.comment("Ma commande 3321 est arrivée incomplète", author="Julie Tremblay")
    cases_flow.wait_state(cid, "escalated")
    review, followups = resolve_with_both_followups(cases_flow, cid)
    public_id, private_id = (button_value(followups, "approve_reply", i) for i in range(2))
    # The private one is edited; the public one is approved twice (two people at once): one publication.
    cases_flow.ws.click(CM, REVIEW, followups["ts"], "edit_reply", value=private_id)
    view = cases_flow.ws.wait_for(lambda: cases_flow.ws.open_view(CM), what="edit modal")
    cases_flow.ws.submit_view(CM, view["id"], {"reply_text": "Bonjour Julie, le pain manquant vous est remboursé."})

    def approve_public() -> None:
        with contextlib.suppress(WorkspaceClientError):  # the button may already be gone: fine
            cases_flow.ws.click(CM, REVIEW, followups["ts"], "approve_reply", value=public_id)

    clicks = [threading.Thread(target=approve_public) for _ in range(2)]
    for t in clicks:
        t.start()
    for t in clicks:
        t.join()
    done = cases_flow.wait_state(cid, "published")
    assert done["escalation"]["status"] == "closed"
    texts = [text for _ext, text in cases_flow.publisher.replies]
    assert len(texts) == 2 and texts.count("Bonjour Julie, le pain manquant vous est remboursé.") == 1
    assert sum(t.startswith("Bonne nouvelle Julie") for t in texts) == 1
    stages = sorted((p["target"], p["stage"]) for p in done["publications"])
    assert stages == [("private_reply", "followup"), ("public_reply", "followup")]

    def followup_message() -> dict[str, Any]:
        return next(m for m in cases_flow.ws.thread(REVIEW, review["ts"]) if m["ts"] == followups["ts"])

    closed = cases_flow.ws.wait_for(
        lambda: "Cas clos" in str(followup_message()["blocks"]) and followup_message(), what="follow-ups closed"
    )
    assert "approve_reply" not in action_ids(closed)  # nothing left to click


def test_no_reply_needed_closes_the_case_at_once(cases_flow: Flow):
    cid = cases_flow.comment("Commande 8890 : je voulais juste changer l'adresse")
    cases_flow.wait_state(cid, "escalated")
    resolve(cases_flow, cid, "adresse changée dans le dossier", followup="none")
    esc = cases_flow.case(cid)["escalation"]
    assert esc["status"] == "closed" and esc["followup"] == "none" and esc["resolution_seconds"] is not None
    assert cases_flow.publisher.replies == []
    card = card_of(cases_flow, cid)
    cases_flow.ws.wait_for(
        lambda: "case closed" in str(next(m for m in cases_flow.ws.messages(SAC) if m["ts"] == card["ts"])["blocks"]),
        what="card shows the case closed",
    )


def test_stats_count_open_cases(cases_flow: Flow):
    cid = cases_flow.comment("Commande 4410 jamais reçue")
    cases_flow.wait_state(cid, "escalated")
    cases_flow.ws.slash(CM, REVIEW, "/sowana", "stats")
    line = cases_flow.ws.wait_for(
        lambda: next((e["text"] for e in cases_flow.ws.ephemerals(CM) if "open cases" in e.get("text", "")), None),
        what="stats with cases",
    )
    assert "1 cas ouverts · open cases" in line


def test_with_a_chat_model_configured_the_follow_ups_are_written_by_it(database_url: str, engine: Any):
    from langchain_core.messages import AIMessage

    from tests.knowledge.drafting.test_llm import ToolFake

    public = "Bonne nouvelle Julie : c'est réglé, merci de votre patience!"
    private = "Bonjour Julie, le pain manquant vous a été remboursé (6,50 $). Bonne journée!"
    answer = AIMessage(
        content="",
        tool_calls=[{"name": "LLMFollowup", "args": {"public_reply": public, "private_reply": private}, "id": "c1"}],
    )
    llm = ToolFake(messages=iter([answer]), seen=[])
    brain = Brain(classify=classify, drafter=simple_drafter, personas=lambda: PERSONAS, llm=llm)
    with run_flow(database_url, engine, brain=brain) as flow:
        cid = flow.comment("Ma commande 3321 est arrivée incomplète", author="Julie Tremblay")
        flow.wait_state(cid, "escalated")
        _review, followups = resolve_with_both_followups(flow, cid)
        shown = str(followups["blocks"])
        assert "c'est réglé, merci de votre patience" in shown and "remboursé (6,50 $)" in shown
        assert len(llm.seen) == 1  # the model was asked once; a retry would post the same proposals
