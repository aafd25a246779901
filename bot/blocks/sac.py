"""The case card posted in the customer-service channel when a comment is escalated (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.blocks.review import (
    CLAIM,
    PLATFORM_LABEL,
    RESOLVE,
    clip,
    escape_mrkdwn,
    quote,
    reply_buttons,
    triage_chips,
)
from bot.case import Case, HistoryItem
from bot.models import Escalation, Proposal, Publication
from bot.sla import Clock, ClockState, human_duration

ADD_NOTE = "add_case_note"
TARGET_LABEL = {
    "public_reply": ":speech_balloon: Réponse publique · public reply",
    "private_reply": ":envelope: Réponse privée · private reply",
}
FOLLOWUP_LABEL = {
    "public": "une réponse publique · a public reply",
    "private": "une réponse privée · a private reply",
    "both": "une réponse publique et une privée · a public and a private reply",
    "none": "aucune réponse · no reply",
}


def history_line(history: Sequence[HistoryItem]) -> str:
    """The author's earlier interactions with this brand (only the brand's own: no profiling)."""
    if not history:
        return ":bust_in_silhouette: Premier contact avec la marque · first contact with the brand"
    lines = [f"• {h.when:%Y-%m-%d} · {escape_mrkdwn(clip(h.text, 120))} — _{h.state}_" for h in history[:5]]
    more = f"\n… et {len(history) - 5} de plus · and {len(history) - 5} more" if len(history) > 5 else ""
    return f":bust_in_silhouette: *Historique avec la marque · history* ({len(history)})\n" + "\n".join(lines) + more


def mention(who: str | None) -> str:
    """A user (U…/W…) or a user group (S…) as Slack writes a mention of it."""
    if not who:
        return ""
    return f"<!subteam^{who}>" if who.startswith("S") else f"<@{who}>"


def clock_line(clocks: Sequence[Clock], tz_name: str) -> str:
    """Both SLA clocks as the card shows them: the time taken once stopped, else the deadline."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(tz_name)
    parts = []
    for c in clocks:
        label = "1re réponse · first response" if c.name == "first_response" else "résolution · resolution"
        if c.state == ClockState.stopped:
            mark = ":white_check_mark:" if c.elapsed <= c.budget else ":rotating_light:"
            parts.append(f"{mark} {label} : {human_duration(c.elapsed)} / {human_duration(c.budget)}")
        else:
            mark = {ClockState.ok: ":stopwatch:", ClockState.at_risk: ":hourglass:"}.get(c.state, ":rotating_light:")
            parts.append(f"{mark} {label} : avant · due {c.due.astimezone(tz):%a %d/%m %H:%M} ({tz_name})")
    return " · ".join(parts)


def sac_card(
    case: Case,
    review_link: str | None,
    history: Sequence[HistoryItem] = (),
    clocks: str | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    c, esc = case.comment, case.escalation
    platform = PLATFORM_LABEL.get(c.platform, c.platform)
    urgent = "🚨 URGENT · " if esc and esc.urgent else ""
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=clip(f"{urgent}🆘 Cas #{c.id} · {platform} · {c.author_name}", 150))),
        SectionBlock(text=MarkdownTextObject(text=quote(c.text))),
        ContextBlock(elements=[MarkdownTextObject(text=clip(triage_chips(case.triage), 2000))]),
    ]
    if esc and esc.auto:
        who = "Escaladé automatiquement par Sowana · escalated automatically"
    else:
        who = f"Escaladé par <@{esc.requested_by}>" if esc else "Escaladé"
    note = f"\n*Note :* {escape_mrkdwn(esc.note)}" if esc and esc.note else ""
    thread = f" · <{review_link}|fil de revue · review thread>" if review_link else ""
    blocks.append(SectionBlock(text=MarkdownTextObject(text=clip(f"{who}{thread}{note}", 3000))))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(history_line(history), 2000))]))
    if clocks:
        blocks.append(ContextBlock(block_id="sla", elements=[MarkdownTextObject(text=clip(clocks, 2000))]))
    if esc and esc.status == "claimed":
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(text=f":wave: Pris en charge par <@{esc.owner}> · claimed by <@{esc.owner}>")
                ]
            )
        )
    if esc and esc.status in ("resolved", "closed"):
        closed = " · :file_folder: cas clos · case closed" if esc.status == "closed" else ""
        wanted = f"\n_Suite demandée · follow-up: {FOLLOWUP_LABEL.get(esc.followup or '', '?')}_{closed}"
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=clip(
                            f":white_check_mark: Résolu par <@{esc.owner}> : "
                            + escape_mrkdwn(esc.resolution_note or "")
                            + wanted,
                            2000,
                        )
                    )
                ]
            )
        )
    else:
        blocks.append(
            ActionsBlock(
                block_id="sac-actions",
                elements=[
                    *(
                        []
                        if esc and esc.status == "claimed"
                        else [ButtonElement(text="Je m'en occupe · Claim", action_id=CLAIM, value=str(c.id))]
                    ),
                    ButtonElement(text="Résoudre · Resolve", action_id=RESOLVE, value=str(c.id), style="primary"),
                    ButtonElement(text="Ajouter une note · Add a note", action_id=ADD_NOTE, value=str(c.id)),
                ],
            )
        )
    return clip(f"Cas #{c.id} escaladé · escalated: {c.text}", 3000), [b.to_dict() for b in blocks]


def escalated_line(esc: Escalation, sac_channel: str | None) -> str:
    """The line the review thread gets when a case goes to customer service."""
    where = f"<#{sac_channel}>" if sac_channel else "le SAC · customer service"
    if esc.auto:
        why = "détresse · distress" if esc.urgent else "le dossier du client est nécessaire · needs the customer's file"
        return f":sos: Escaladé automatiquement vers {where} ({why}) · escalated automatically."
    return f":sos: <@{esc.requested_by}> a escaladé ce cas vers {where} · escalated."


def _followup_blocks(p: Proposal, pub: Publication | None, open_: bool) -> list[Block]:
    label = TARGET_LABEL.get(p.target, p.target)
    blocks: list[Block] = [
        SectionBlock(
            block_id=f"followup-{p.id}", text=MarkdownTextObject(text=clip(f"*{label}*\n{quote(p.text)}", 3000))
        )
    ]
    if p.note:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(f":pencil: {p.note}", 2000))]))
    if pub is not None:
        status = {
            "published": ":white_check_mark: Publié · published",
            "pending": ":hourglass_flowing_sand: Publication… · publishing…",
            "failed": f":warning: Échec · failed: {escape_mrkdwn(pub.last_error or '?')}",
        }.get(pub.status, pub.status)
        edited = " (texte modifié · edited)" if pub.text != p.text else ""
        by = f" par <@{pub.requested_by}>" if pub.requested_by else ""
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(f"{status}{by}{edited}", 2000))]))
    elif open_:
        blocks.append(reply_buttons(f"followup-actions-{p.id}", p))
    return blocks


def followup_message(case: Case) -> tuple[str, list[dict[str, Any]]]:
    """The follow-up proposals in the review thread once customer service resolved the case."""
    esc = case.escalation
    assert esc is not None
    head = f":white_check_mark: <@{esc.owner}> (SAC) a résolu le cas · resolved the case : " + escape_mrkdwn(
        esc.resolution_note or ""
    )
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=clip(head, 3000)))]
    open_ = esc.status == "resolved"
    for p in case.followups:
        pub = next((x for x in case.publications if x.proposal_id == p.id and x.stage == "followup"), None)
        blocks.extend(_followup_blocks(p, pub, open_))
    if esc.status == "closed":
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=":file_folder: Cas clos · case closed")]))
    elif case.followups:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text="Approuvez pour publier ; le cas se ferme quand tout est publié · "
                        "approve to publish; the case closes once everything is out."
                    )
                ]
            )
        )
    return clip(head, 3000), [b.to_dict() for b in blocks]


def clock_notice(clock: Clock, esc: Escalation, lead: str | None) -> str:
    """A reminder (at risk: the owner, or the channel while nobody owns it) or a breach (the lead)."""
    label = "la 1re réponse · first response" if clock.name == "first_response" else "la résolution · resolution"
    spent = f"{human_duration(clock.elapsed)} / {human_duration(clock.budget)}"
    if clock.state == ClockState.breached:
        who = mention(lead) or mention(esc.owner) or "<!here>"
        return f":rotating_light: {who} Délai dépassé pour {label} du cas #{esc.comment_id} ({spent}) · SLA breached."
    who = mention(esc.owner) if esc.owner else "<!here>"
    return f":hourglass: {who} Le délai de {label} du cas #{esc.comment_id} approche ({spent}) · SLA at risk."
