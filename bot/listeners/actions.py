"""Buttons and selects on review messages and case cards, one handler per action id at module level
(bolt-python's layout). Each handler reads Bolt's payload once into a typed `ActionRequest` and hands it,
with the bot's services, to an `on_…` function: the behaviour, which tests drive with a fake client."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.modals import case_note_modal, edit_modal, resolve_modal
from bot.blocks.review import (
    APPROVE,
    CLAIM,
    CORRECT_TRIAGE,
    EDIT,
    ESCALATE,
    HIDE,
    REDRAFT,
    REDRAFT_PERSONA,
    RESOLVE,
    RETRY,
)
from bot.blocks.sac import ADD_NOTE, claimed_line
from bot.blocks.text import fmt
from bot.comments import decisions
from bot.comments.casefile import Case, find_by_message, load_case
from bot.comments.lifecycle import audit
from bot.db import session_scope
from bot.listeners.common import (
    NOT_ALLOWED,
    after_decision,
    blocking,
    parse_id,
    record_then_ack,
    services_of,
    tell,
)
from bot.listeners.requests import ActionRequest
from bot.models import Comment, Proposal
from bot.sac import decisions as sac_decisions
from bot.slack.services import BotServices

# --- the behaviour ------------------------------------------------------------------------------


async def guarded(services: BotServices, req: ActionRequest, ack: AsyncAck, client: AsyncWebClient) -> bool:
    """True when the person may approve; else refused (acked, told, audited)."""
    if await services.approvers.allowed(req.user, client):
        return True
    await ack()
    await blocking(_audit_refusal, services, req)
    await tell(client, req.channel, req.user, NOT_ALLOWED)
    return False


async def on_approver_decision(
    services: BotServices,
    req: ActionRequest,
    ack: AsyncAck,
    client: AsyncWebClient,
    decide: Callable[..., decisions.Outcome],
) -> None:
    """A button only approvers may use, whose value is the id `decide(engine, id, user)` acts on."""
    if not await guarded(services, req, ack, client):
        return  # refused (and acked)
    target = parse_id(req.value)
    if target is None:
        await ack()
        return
    outcome = await record_then_ack(ack, decide, services.engine, target, req.user)
    await after_decision(services, client, outcome, req.user, req.channel)


async def on_approve(services: BotServices, req: ActionRequest, ack: AsyncAck, client: AsyncWebClient) -> None:
    decide = functools.partial(decisions.approve, approvals_for=services.creative_approvals)
    await on_approver_decision(services, req, ack, client, decide)


async def on_hide(services: BotServices, req: ActionRequest, ack: AsyncAck, client: AsyncWebClient) -> None:
    await on_approver_decision(services, req, ack, client, decisions.hide)


async def on_retry(services: BotServices, req: ActionRequest, ack: AsyncAck, client: AsyncWebClient) -> None:
    await on_approver_decision(services, req, ack, client, decisions.retry)


async def on_edit(services: BotServices, req: ActionRequest, ack: AsyncAck, client: AsyncWebClient) -> None:
    if not await guarded(services, req, ack, client):
        return
    await ack()  # opens a modal, records nothing: the trigger_id is better used fast
    proposal_id = parse_id(req.value)
    if proposal_id is None:
        return
    found = await blocking(_proposal_and_comment, services, proposal_id)
    if found is None:
        await tell(client, req.channel, req.user, "Proposition introuvable · proposal not found")
        return
    proposal, comment = found
    view = edit_modal(proposal_id, proposal.text, comment.text, comment.platform, req.channel or "", comment.private)
    await client.views_open(trigger_id=req.trigger_id, view=view)


async def on_escalate(services: BotServices, req: ActionRequest, ack: AsyncAck, client: AsyncWebClient) -> None:
    comment_id = parse_id(req.value)
    if comment_id is None:
        await ack()
        return
    await escalate_comment(services, client, comment_id, req.user, req.channel, via="button", ack=ack)


async def on_redraft(services: BotServices, req: ActionRequest, ack: AsyncAck, client: AsyncWebClient) -> None:
    comment_id = parse_id(req.value)
    if comment_id is None:
        await ack()
        return
    outcome = await record_then_ack(ack, decisions.redraft, services.engine, comment_id, req.user)
    await after_decision(services, client, outcome, req.user, req.channel)


async def on_redraft_persona(services: BotServices, req: ActionRequest, ack: AsyncAck, client: AsyncWebClient) -> None:
    comment_id, _, persona = str(req.selected or "").partition(":")
    if not comment_id.isdigit() or persona not in services.persona_names():
        await ack()
        await tell(client, req.channel, req.user, "Persona inconnue · unknown persona")
        return
    redraft = functools.partial(decisions.redraft, persona=persona)
    outcome = await record_then_ack(ack, redraft, services.engine, int(comment_id), req.user)
    await after_decision(services, client, outcome, req.user, req.channel)


async def on_correct(services: BotServices, req: ActionRequest, ack: AsyncAck, client: AsyncWebClient) -> None:
    field, _, raw = str(req.selected or "").partition(":")
    comment_id = await blocking(_comment_for_message, services, req)
    if field not in ("intent", "humor_ok") or not raw or comment_id is None:
        await ack()
        return
    label: str | bool = (raw == "true") if field == "humor_ok" else raw
    outcome = await record_then_ack(ack, decisions.correct_triage, services.engine, comment_id, req.user, field, label)
    if outcome.ok and services.on_correction is not None:
        case = await blocking(load_case, services.engine, comment_id)
        if case is not None:
            await blocking(services.on_correction, case.comment.text, {field: label})
    await after_decision(services, client, outcome, req.user, req.channel)
    if outcome.ok:
        thanks = fmt("Merci, c'est noté : {f} = {v} · Thanks, learnt: {f} = {v}", f=field, v=label)
        await tell(client, req.channel, req.user, thanks)


async def on_claim(services: BotServices, req: ActionRequest, ack: AsyncAck, client: AsyncWebClient) -> None:
    comment_id = parse_id(req.value)
    if comment_id is None:
        await ack()
        return
    decide = functools.partial(sac_decisions.claim, now=services.now(), sla_for=services.sla_for)
    outcome = await record_then_ack(ack, decide, services.engine, comment_id, req.user)
    if not outcome.ok:
        await tell(client, req.channel, req.user, outcome.message)
        return
    services.wake()  # the case keeper renders the card again
    await blocking(services.review.refresh, comment_id)
    if services.cases is not None:
        await blocking(
            functools.partial(services.cases.review_thread, key=f"claimed:{comment_id}"),
            comment_id,
            claimed_line(req.user),
        )


async def on_case_modal(
    services: BotServices,
    req: ActionRequest,
    ack: AsyncAck,
    client: AsyncWebClient,
    build: Callable[[Case], dict[str, Any]],
) -> None:
    """A button on the case card that opens a modal about its case (resolve, add a note)."""
    await ack()  # records nothing: the trigger_id is better used fast
    comment_id = parse_id(req.value)
    case = await blocking(load_case, services.engine, comment_id) if comment_id is not None else None
    if case is not None:
        await client.views_open(trigger_id=req.trigger_id, view=build(case))


async def on_resolve(services: BotServices, req: ActionRequest, ack: AsyncAck, client: AsyncWebClient) -> None:
    await on_case_modal(
        services,
        req,
        ack,
        client,
        lambda case: resolve_modal(case.id, case.comment.text, case.comment.platform, case.comment.private),
    )


async def on_add_note(services: BotServices, req: ActionRequest, ack: AsyncAck, client: AsyncWebClient) -> None:
    await on_case_modal(services, req, ack, client, lambda case: case_note_modal(case.id, case.comment.text))


async def escalate_comment(
    services: BotServices,
    client: AsyncWebClient,
    comment_id: int,
    user: str,
    channel: str | None,
    *,
    via: str,
    note: str | None = None,
    ack: AsyncAck | None = None,
) -> None:
    """Record the escalation (then ack, for a button); the case keeper posts the card in the SAC channel
    and the line in the review thread, so a crash right after the click still ends with both."""
    escalate = functools.partial(sac_decisions.escalate, note=note, via=via, now=services.now())
    if ack is not None:
        outcome = await record_then_ack(ack, escalate, services.engine, comment_id, user)
    else:
        outcome = await blocking(escalate, services.engine, comment_id, user)
    await after_decision(services, client, outcome, user, channel)


def _proposal_and_comment(services: BotServices, proposal_id: int) -> tuple[Proposal, Comment] | None:
    with session_scope(services.engine) as s:
        proposal = s.get(Proposal, proposal_id)
        comment = s.get(Comment, proposal.comment_id) if proposal else None
        return (proposal, comment) if proposal and comment else None


def _comment_for_message(services: BotServices, req: ActionRequest) -> int | None:
    ts, channel = req.message_ts, req.channel
    post = find_by_message(services.engine, channel, ts) if channel and ts else None
    return post.comment_id if post else None


def _audit_refusal(services: BotServices, req: ActionRequest) -> None:
    with session_scope(services.engine, write=True) as s:
        audit(s, brand="default", actor=req.user, action="refused", detail={"actions": list(req.action_ids)})


# --- Bolt's side ----------------------------------------------------------------------------------

Behaviour = Callable[[BotServices, ActionRequest, AsyncAck, AsyncWebClient], Any]
HANDLERS: dict[str, Behaviour] = {
    APPROVE: on_approve,
    HIDE: on_hide,
    RETRY: on_retry,
    EDIT: on_edit,
    ESCALATE: on_escalate,
    REDRAFT: on_redraft,
    REDRAFT_PERSONA: on_redraft_persona,
    CORRECT_TRIAGE: on_correct,
    CLAIM: on_claim,
    RESOLVE: on_resolve,
    ADD_NOTE: on_add_note,
}


async def handle_action(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Every action id of ours: the typed request, then its behaviour."""
    await HANDLERS[action["action_id"]](services_of(context), ActionRequest.from_bolt(body, action), ack, client)


def register(app: AsyncApp) -> None:
    for action_id in HANDLERS:
        app.action(action_id)(handle_action)
