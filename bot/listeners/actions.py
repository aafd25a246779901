"""Buttons and selects on review messages and case cards."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
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
from bot.listeners.common import NOT_ALLOWED, after_decision, blocking, parse_id, record_then_ack, tell
from bot.models import Comment, Proposal
from bot.sac import decisions as sac_decisions
from bot.slack.services import BotServices


def _who(body: dict[str, Any]) -> tuple[str, str | None]:
    return body["user"]["id"], (body.get("channel") or {}).get("id")


def register(app: AsyncApp, services: BotServices) -> None:
    async def guarded(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> tuple[str, str | None] | None:
        """The acting user and channel when they may approve; else refused (acked, told, audited)."""
        user, channel = _who(body)
        if not await services.approvers.allowed(user, client):
            await ack()
            await blocking(_audit_refusal, services, user, body)
            await tell(client, channel, user, NOT_ALLOWED)
            return None
        return user, channel

    def approver_decision(action_id: str, decide: Callable[..., decisions.Outcome]) -> None:
        """A button only approvers may use, whose value is the id `decide(engine, id, user)` acts on."""

        @app.action(action_id)
        async def handler(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
            who = await guarded(ack, body, client)
            if who is None:
                return  # refused (and acked) by `guarded`
            target = parse_id(action.get("value"))
            if target is None:
                await ack()
                return
            outcome = await record_then_ack(ack, decide, services.engine, target, who[0])
            await after_decision(services, client, outcome, *who)

    approver_decision(APPROVE, functools.partial(decisions.approve, approvals_for=services.creative_approvals))
    approver_decision(HIDE, decisions.hide)
    approver_decision(RETRY, decisions.retry)

    @app.action(EDIT)
    async def edit(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        who = await guarded(ack, body, client)
        if who is None:
            return
        await ack()  # opens a modal, records nothing: the trigger_id is better used fast
        proposal_id = parse_id(action.get("value"))
        if proposal_id is None:
            return
        found = await blocking(_proposal_and_comment, services, proposal_id)
        if found is None:
            await tell(client, who[1], who[0], "Proposition introuvable · proposal not found")
            return
        proposal, comment = found
        view = edit_modal(proposal_id, proposal.text, comment.text, comment.platform, who[1] or "")
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.action(ESCALATE)
    async def escalate(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        user, channel = _who(body)
        comment_id = parse_id(action.get("value"))
        if comment_id is None:
            await ack()
            return
        await escalate_comment(services, client, comment_id, user, channel, via="button", ack=ack)

    @app.action(REDRAFT)
    async def redraft(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        user, channel = _who(body)
        comment_id = parse_id(action.get("value"))
        if comment_id is None:
            await ack()
            return
        outcome = await record_then_ack(ack, decisions.redraft, services.engine, comment_id, user)
        await after_decision(services, client, outcome, user, channel)

    @app.action(REDRAFT_PERSONA)
    async def redraft_persona(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        user, channel = _who(body)
        value = str((action.get("selected_option") or {}).get("value") or "")
        comment_id, _, persona = value.partition(":")
        if not comment_id.isdigit() or persona not in services.persona_names():
            await ack()
            await tell(client, channel, user, "Persona inconnue · unknown persona")
            return
        outcome = await record_then_ack(
            ack, functools.partial(decisions.redraft, persona=persona), services.engine, int(comment_id), user
        )
        await after_decision(services, client, outcome, user, channel)

    @app.action(CORRECT_TRIAGE)
    async def correct(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        user, channel = _who(body)
        value = str((action.get("selected_option") or {}).get("value") or "")
        field, _, raw = value.partition(":")
        comment_id = await blocking(_comment_for_message, services, body)
        if field not in ("intent", "humor_ok") or not raw or comment_id is None:
            await ack()
            return
        label: str | bool = (raw == "true") if field == "humor_ok" else raw
        outcome = await record_then_ack(ack, decisions.correct_triage, services.engine, comment_id, user, field, label)
        if outcome.ok and services.on_correction is not None:
            case = await blocking(load_case, services.engine, comment_id)
            if case is not None:
                await blocking(services.on_correction, case.comment.text, {field: label})
        await after_decision(services, client, outcome, user, channel)
        if outcome.ok:
            await tell(
                client,
                channel,
                user,
                fmt("Merci, c'est noté : {f} = {v} · Thanks, learnt: {f} = {v}", f=field, v=label),
            )

    @app.action(CLAIM)
    async def claim(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        user, channel = _who(body)
        comment_id = parse_id(action.get("value"))
        if comment_id is None:
            await ack()
            return
        decide = functools.partial(sac_decisions.claim, now=services.now(), sla_for=services.sla_for)
        outcome = await record_then_ack(ack, decide, services.engine, comment_id, user)
        if not outcome.ok:
            await tell(client, channel, user, outcome.message)
            return
        services.wake()  # the case keeper renders the card again
        await blocking(services.review.refresh, comment_id)
        if services.cases is not None:
            await blocking(
                functools.partial(services.cases.review_thread, key=f"claimed:{comment_id}"),
                comment_id,
                claimed_line(user),
            )

    def case_modal(action_id: str, build: Callable[[Case], dict[str, Any]]) -> None:
        """A button on the case card that opens a modal about its case (resolve, add a note)."""

        @app.action(action_id)
        async def handler(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
            await ack()  # records nothing: the trigger_id is better used fast
            comment_id = parse_id(action.get("value"))
            case = await blocking(load_case, services.engine, comment_id) if comment_id is not None else None
            if case is not None:
                await client.views_open(trigger_id=body["trigger_id"], view=build(case))

    case_modal(RESOLVE, lambda case: resolve_modal(case.id, case.comment.text, case.comment.platform))
    case_modal(ADD_NOTE, lambda case: case_note_modal(case.id, case.comment.text))


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


def _comment_for_message(services: BotServices, body: dict[str, Any]) -> int | None:
    channel = (body.get("channel") or {}).get("id")
    ts = (body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts")
    post = find_by_message(services.engine, channel, ts) if channel and ts else None
    return post.comment_id if post else None


def _audit_refusal(services: BotServices, user: str, body: dict[str, Any]) -> None:
    actions = [a.get("action_id") for a in body.get("actions", [])]
    with session_scope(services.engine, write=True) as s:
        audit(s, brand="default", actor=user, action="refused", detail={"actions": actions})
