"""The review message's and case card's buttons, called as Bolt would call their behaviour: with a typed
request, an `ack` and a fake Slack client (bolt-python's starter-template style). What a person notices:
the ack (always, within Slack's 3 s, after the intent is recorded), an ephemeral note when refused, the
modal that opens, and the decision in the database."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import Session, col, select

from bot.blocks.review import APPROVE, EDIT, ESCALATE, HIDE
from bot.listeners import actions
from bot.listeners.actions import ActionRequest
from bot.listeners.common import NOT_ALLOWED
from bot.models import AuditLog, Escalation, Publication, State
from bot.slack.services import BotServices
from tests.bot.listeners.fakes import FakeClient, services
from tests.bot.listeners.fakes import Recorder as Ack
from tests.bot.rows import posted_comment, state_of


def click(action_id: str, value: str, user: str = "U0CM", **body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    payload = {"user": {"id": user}, "channel": {"id": "C0REVIEW"}, "trigger_id": "T1", **body}
    action = {"action_id": action_id, "value": value}
    payload["actions"] = [action]
    return payload, action


def run(handler: Any, bot: BotServices, body: dict[str, Any], action: dict[str, Any], client: FakeClient) -> Ack:
    ack = Ack()
    asyncio.run(handler(bot, ActionRequest.from_bolt(body, action), ack, client))
    return ack


def test_the_request_reads_what_bolt_sends():
    body, action = click(APPROVE, "7", message={"ts": "1.2"})
    req = ActionRequest.from_bolt(body, action)
    assert (req.user, req.channel, req.value, req.trigger_id, req.message_ts) == ("U0CM", "C0REVIEW", "7", "T1", "1.2")
    assert req.action_ids == (APPROVE,)
    select_body = {"user": {"id": "U0CM"}, "container": {"message_ts": "3.4"}}
    chosen = ActionRequest.from_bolt(select_body, {"selected_option": {"value": "42:chaleureux"}})
    assert (chosen.channel, chosen.selected, chosen.message_ts) == (None, "42:chaleureux", "3.4")


def test_approve_records_then_acks_and_refreshes_the_message(engine):
    comment_id, (proposal_id,) = posted_comment(engine)
    bot, review, woken = services(engine)
    client = FakeClient()
    ack = run(actions.on_approve, bot, *click(APPROVE, str(proposal_id)), client)
    assert ack.calls == [{}]
    assert state_of(engine, comment_id) == State.approved
    assert review.refreshed == [comment_id] and woken == ["wake"]  # the outbox is woken to publish
    assert client.said("chat.postEphemeral") == []


def test_a_second_approval_is_told_to_the_person_only(engine):
    _, (proposal_id,) = posted_comment(engine)
    bot, _, _ = services(engine)
    run(actions.on_approve, bot, *click(APPROVE, str(proposal_id)), FakeClient())
    client = FakeClient()
    ack = run(actions.on_approve, bot, *click(APPROVE, str(proposal_id), user="U0OTHER"), client)
    assert ack.calls == [{}]
    (note,) = client.said("chat.postEphemeral")
    assert note["user"] == "U0OTHER" and note["channel"] == "C0REVIEW" and "already approved" in note["text"]


def test_someone_not_among_the_approvers_is_refused_told_and_audited(engine):
    comment_id, _ = posted_comment(engine)
    bot, review, _ = services(engine, approvers=("U0LEAD", "S0CMS"))
    client = FakeClient(groups={"S0CMS": ["U0CM"]})
    ack = run(actions.on_hide, bot, *click(HIDE, str(comment_id), user="U0INTERN"), client)
    assert ack.calls == [{}]
    assert state_of(engine, comment_id) == State.posted  # nothing done
    (note,) = client.said("chat.postEphemeral")
    assert note["text"] == NOT_ALLOWED and review.refreshed == []
    with Session(engine) as s:
        refused = s.exec(select(AuditLog).where(col(AuditLog.action) == "refused")).one()
    assert refused.actor == "U0INTERN" and refused.detail == {"actions": [HIDE]}
    member = run(
        actions.on_hide, bot, *click(HIDE, str(comment_id), user="U0CM"), FakeClient(groups={"S0CMS": ["U0CM"]})
    )
    assert member.calls == [{}] and state_of(engine, comment_id) == State.hidden  # a member of the group may


def test_edit_opens_the_modal_with_the_proposal_to_edit(engine):
    _, (proposal_id,) = posted_comment(engine)
    bot, _, _ = services(engine)
    client = FakeClient()
    ack = run(actions.on_edit, bot, *click(EDIT, str(proposal_id)), client)
    assert ack.calls == [{}]
    (opened,) = client.said("views.open")
    assert opened["trigger_id"] == "T1"
    assert opened["view"]["callback_id"] == "edit_reply"
    assert opened["view"]["blocks"][1]["element"]["initial_value"] == "Bonjour Julie, réponse serious."
    missing = FakeClient()
    run(actions.on_edit, bot, *click(EDIT, "999999"), missing)
    assert "not found" in missing.said("chat.postEphemeral")[0]["text"] and missing.said("views.open") == []


def test_escalate_opens_the_case_before_the_ack(engine):
    comment_id, _ = posted_comment(engine)
    bot, review, _ = services(engine)
    ack = run(actions.on_escalate, bot, *click(ESCALATE, str(comment_id)), FakeClient())
    assert ack.calls == [{}]
    assert state_of(engine, comment_id) == State.escalated
    with Session(engine) as s:
        assert s.exec(select(Escalation).where(col(Escalation.comment_id) == comment_id)).one().requested_by == "U0CM"
        assert s.exec(select(Publication)).all() == []  # the card is the keeper's job, nothing published
    assert review.refreshed == [comment_id]


def test_a_value_that_is_no_id_is_acked_and_does_nothing(engine):
    bot, review, woken = services(engine)
    for handler, action_id in ((actions.on_approve, APPROVE), (actions.on_escalate, ESCALATE)):
        client = FakeClient()
        ack = run(handler, bot, *click(action_id, "not-an-id"), client)
        assert ack.calls == [{}] and client.calls == []
    assert review.refreshed == [] and woken == []


def test_every_action_id_of_the_review_message_and_the_card_has_a_handler():
    """The action ids the outside checks click (DESIGN's contract) and the card's own."""
    contract = {"approve_reply", "edit_reply", "escalate_case", "hide_comment", "redraft", "resolve_case"}
    card = {"claim_case", "add_case_note"}
    assert contract | card <= set(actions.HANDLERS)
