"""`sowana dev`'s private conversations (#24), played the way people do in the local workspace.

Marc's Instagram complaint (a sample comment) is escalated by Sowana; Sami (customer service) claims it
and resolves it asking for a private reply; Camille (CM) approves the drafted private reply, which Sowana
sends through the Graph API emulator. Marc then answers in Instagram Direct: his message arrives as
Meta's signed messaging webhook and lands in his complaint's review thread and under the case card,
with a reply drafted for the team. Sarah, who asked on X, follows up by direct message (polled).

Every step goes through the product's real paths (Slack interactivity, the outbox, the webhooks and the
poller): the clicks are the workspace's user actions, as a person's would be.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from api.emulators.slack.client import WorkspaceClient

log = logging.getLogger(__name__)

CM, SAC_AGENT, REVIEW, SAC = "U0CM", "U0SAC", "C0REVIEW", "C0SAC"
MARC_COMMENT = "sample-ig-2001"  # api/samples/comments.jsonl
MARC_ANSWER = (
    "Merci, le nouveau panier est arrivé ce matin! Est-ce que je peux ajouter des fraises à ma prochaine livraison? 🍓"
)
SARAH = {"id": "x-u-9", "name": "Sarah K.", "username": "sarahk"}  # her sample mention's author
SARAH_DM = "Hi again! While my subscription is paused, can I still order a one-off basket for my parents?"


def _actions(message: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (str(e.get("action_id")), str(e.get("value", "")))
        for b in message.get("blocks") or []
        if b.get("type") == "actions"
        for e in b.get("elements") or []
    ]


def _value(message: dict[str, Any], action_id: str) -> str | None:
    return next((v for a, v in _actions(message) if a == action_id), None)


def play_private_story(base: str, graph: str, x_api: str, timeout: float = 120.0) -> None:
    """Play both conversations; a step that does not come within `timeout` is logged and the story stops."""
    with WorkspaceClient(base) as ws, httpx.Client(timeout=30) as http:
        try:
            _marc(ws, http, graph, timeout)
        except (TimeoutError, httpx.HTTPError) as exc:
            log.warning("dev story: Marc's private conversation stopped (%s)", exc)
        try:
            r = http.post(f"{x_api}/_emulator/dm", json={"from": SARAH, "text": SARAH_DM})
            r.raise_for_status()
        except httpx.HTTPError as exc:
            log.warning("dev story: Sarah's direct message was not sent (%s)", exc)


def _marc(ws: WorkspaceClient, http: httpx.Client, graph: str, timeout: float) -> None:
    card = ws.wait_for(
        lambda: next(
            (m for m in ws.messages(SAC) if "marc.olivier.qc" in str(m.get("blocks")) and _value(m, "claim_case")),
            None,
        ),
        timeout=timeout,
        what="Marc's case card",
    )
    case_id = _value(card, "claim_case") or ""
    ws.click(SAC_AGENT, SAC, card["ts"], "claim_case", value=case_id)
    ws.wait_for(lambda: "claimed by" in str(_find(ws, SAC, card["ts"]).get("blocks")), timeout=timeout, what="claimed")
    ws.click(SAC_AGENT, SAC, card["ts"], "resolve_case", value=case_id)
    view = ws.wait_for(lambda: ws.open_view(SAC_AGENT), timeout=timeout, what="the resolve modal")
    ws.submit_view(
        SAC_AGENT,
        view["id"],
        {
            "resolution_note": "Nouveau panier livré ce matin, crédit de 10 $ ajouté au compte",
            "followup_choice": "private",
        },
    )
    review = ws.wait_for(
        lambda: next((m for m in ws.messages(REVIEW) if f"cas #{case_id}" in str(m.get("blocks"))), None),
        timeout=timeout,
        what="Marc's review message",
    )
    followup = ws.wait_for(
        lambda: next((m for m in ws.thread(REVIEW, review["ts"])[1:] if _value(m, "approve_reply")), None),
        timeout=timeout,
        what="the private follow-up to approve",
    )
    ws.click(CM, REVIEW, followup["ts"], "approve_reply", value=_value(followup, "approve_reply") or "")
    ws.wait_for(
        lambda: any(
            p.get("kind") == "private_reply" and p.get("target") == MARC_COMMENT
            for p in http.get(f"{graph}/_emulator/published").json()
        ),
        timeout=timeout,
        what="the private reply sent",
    )
    r = http.post(
        f"{graph}/_emulator/message", json={"platform": "instagram", "comment_id": MARC_COMMENT, "text": MARC_ANSWER}
    )
    r.raise_for_status()
    log.info("dev story: Marc answered the private reply in Instagram Direct (case #%s)", case_id)


def _find(ws: WorkspaceClient, channel: str, ts: str) -> dict[str, Any]:
    return next((m for m in ws.messages(channel) if m.get("ts") == ts), {})
