"""The case card posted in the customer-service channel when a comment is escalated, and the lines the
case adds to threads (pure; outside text goes in through bot/blocks/text.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    SectionBlock,
)

from bot.blocks.privacy import erased_message
from bot.blocks.review import CLAIM, PRIVATE_LABEL, RESOLVE, platform_label, reply_buttons, triage_chips
from bot.blocks.text import HERE, SlackText, clip, cut, fmt, join, link, mention, mrkdwn, plain, quote, user
from bot.blocks.text import channel as channel_ref
from bot.comments.casefile import Case, HistoryItem
from bot.models import Comment, Escalation, Proposal, Publication
from bot.sla import Clock, ClockState, human_duration

ADD_NOTE = "add_case_note"
TARGET_LABEL = {
    "public_reply": ":speech_balloon: Réponse publique · public reply",
    "private_reply": ":envelope: Réponse privée · private reply",
    "message": ":envelope: Message dans la conversation · message in the conversation",
}
FOLLOWUP_LABEL = {
    "public": "une réponse publique · a public reply",
    "private": "une réponse privée · a private reply",
    "both": "une réponse publique et une privée · a public and a private reply",
    "none": "aucune réponse · no reply",
}


def private_message_line(message: Comment) -> SlackText:
    """A direct message of the case's customer, shown under the case card (#24)."""
    where = PRIVATE_LABEL.get(message.platform, "DM")
    said = quote(cut(message.text, 1500)) if message.text.strip() else fmt("> _(pièce jointe · attachment)_")
    attached = len(message.attachments or [])
    extra = fmt("\n:paperclip: {} pièce(s) jointe(s) · attachment(s)", attached) if attached else fmt("")
    return fmt(
        ":envelope_with_arrow: *Message privé de {} · private message* ({}) · #{} — à traiter dans le fil de revue "
        "· answered in the review thread\n{}{}",
        message.author_name,
        where,
        message.id,
        said,
        extra,
    )


def history_line(history: Sequence[HistoryItem]) -> SlackText:
    """The author's earlier interactions with this brand (only the brand's own: no profiling)."""
    if not history:
        return fmt(":bust_in_silhouette: Premier contact avec la marque · first contact with the brand")
    lines = [fmt("• {:%Y-%m-%d} · {} — _{}_", h.when, cut(h.text, 120), h.state) for h in history[:5]]
    more = len(history) - 5
    tail = fmt("\n… et {} de plus · and {} more", more, more) if more > 0 else fmt("")
    head = fmt(":bust_in_silhouette: *Historique avec la marque · history* ({})\n", len(history))
    return head + join("\n", lines) + tail


def clock_line(clocks: Sequence[Clock], tz_name: str, closed_today: str | None = None) -> SlackText:
    """Both SLA clocks as the card shows them: the time taken once stopped, else the deadline; on a day
    the brand is closed (a public holiday, its own closed day), why the running clocks are paused."""
    tz = ZoneInfo(tz_name)
    parts = []
    for c in clocks:
        label = "1re réponse · first response" if c.name == "first_response" else "résolution · resolution"
        if c.state == ClockState.stopped:
            mark = ":white_check_mark:" if c.elapsed <= c.budget else ":rotating_light:"
            parts.append(fmt("{} {} : {} / {}", mark, label, human_duration(c.elapsed), human_duration(c.budget)))
        else:
            mark = {ClockState.ok: ":stopwatch:", ClockState.at_risk: ":hourglass:"}.get(c.state, ":rotating_light:")
            parts.append(fmt("{} {} : avant · due {:%a %d/%m %H:%M} ({})", mark, label, c.due.astimezone(tz), tz_name))
    line = join(" · ", parts)
    if closed_today and any(c.state != ClockState.stopped for c in clocks):
        line += fmt(
            "\n:palm_tree: Fermé aujourd'hui ({}) : les délais reprennent à la prochaine ouverture"
            " · Closed today: the clocks resume at the next opening",
            closed_today,
        )
    return line


def sac_card(
    case: Case,
    review_link: str | None,
    history: Sequence[HistoryItem] | None = (),
    clocks: SlackText | None = None,
) -> tuple[SlackText, list[dict[str, Any]]]:
    c, esc = case.comment, case.escalation
    if c.erased_at is not None:
        return erased_message(c.id)
    platform = PRIVATE_LABEL.get(c.platform, "DM") if c.private else platform_label(c.platform)
    urgent = "🚨 URGENT · " if esc and esc.urgent else ""
    blocks: list[Block] = [
        HeaderBlock(text=plain(fmt("{}🆘 Cas #{} · {} · {}", urgent, c.id, platform, c.author_name), 150)),
        SectionBlock(text=mrkdwn(quote(c.text))),
        ContextBlock(elements=[mrkdwn(triage_chips(case.triage), 2000)]),
    ]
    if esc and esc.auto:
        who = fmt("Escaladé automatiquement par Sowana · escalated automatically")
    else:
        who = fmt("Escaladé par {}", user(esc.requested_by)) if esc else fmt("Escaladé")
    note = fmt("\n*Note :* {}", esc.note) if esc and esc.note else fmt("")
    thread = fmt(" · {}", link(review_link, "fil de revue · review thread")) if review_link else fmt("")
    blocks.append(SectionBlock(text=mrkdwn(who + thread + note)))
    if history is not None:  # None: the brand keeps the author's history off the card (minimisation)
        blocks.append(ContextBlock(elements=[mrkdwn(history_line(history), 2000)]))
    if clocks:
        blocks.append(ContextBlock(block_id="sla", elements=[mrkdwn(clocks, 2000)]))
    if esc and esc.status == "claimed":
        owner = user(esc.owner)
        blocks.append(
            ContextBlock(elements=[mrkdwn(fmt(":wave: Pris en charge par {} · claimed by {}", owner, owner))])
        )
    if esc and esc.status in ("resolved", "closed"):
        closed = " · :file_folder: cas clos · case closed" if esc.status == "closed" else ""
        wanted = FOLLOWUP_LABEL.get(esc.followup or "", "?")
        resolved = fmt(
            ":white_check_mark: Résolu par {} : {}\n_Suite demandée · follow-up: {}_{}",
            user(esc.owner),
            esc.resolution_note or "",
            wanted,
            closed,
        )
        blocks.append(ContextBlock(elements=[mrkdwn(resolved, 2000)]))
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
    return clip(fmt("Cas #{} escaladé · escalated: {}", c.id, c.text), 3000), [b.to_dict() for b in blocks]


def escalated_line(esc: Escalation, sac_channel: str | None) -> SlackText:
    """The line the review thread gets when a case goes to customer service."""
    where = channel_ref(sac_channel) if sac_channel else fmt("le SAC · customer service")
    if esc.auto:
        why = "détresse · distress" if esc.urgent else "le dossier du client est nécessaire · needs the customer's file"
        return fmt(":sos: Escaladé automatiquement vers {} ({}) · escalated automatically.", where, why)
    return fmt(":sos: {} a escaladé ce cas vers {} · escalated.", user(esc.requested_by), where)


def claimed_line(owner: str) -> SlackText:
    """The line the review thread gets when someone in customer service takes the case."""
    return fmt(":wave: {} (SAC) s'occupe du cas · is on it.", user(owner))


def _followup_blocks(p: Proposal, pub: Publication | None, open_: bool) -> list[Block]:
    label = TARGET_LABEL.get(p.target, p.target)
    blocks: list[Block] = [
        SectionBlock(block_id=f"followup-{p.id}", text=mrkdwn(fmt("*{}*\n{}", label, quote(p.text))))
    ]
    if p.note:
        blocks.append(ContextBlock(elements=[mrkdwn(fmt(":pencil: {}", p.note), 2000)]))
    if pub is not None:
        status = {
            "published": fmt(":white_check_mark: Publié · published"),
            "pending": fmt(":hourglass_flowing_sand: Publication… · publishing…"),
            "failed": fmt(":warning: Échec · failed: {}", pub.last_error or "?"),
        }.get(pub.status, fmt("{}", pub.status))
        edited = " (texte modifié · edited)" if pub.text != p.text else ""
        by = fmt(" par {}", user(pub.requested_by)) if pub.requested_by else fmt("")
        blocks.append(ContextBlock(elements=[mrkdwn(status + by + edited, 2000)]))
    elif open_:
        blocks.append(reply_buttons(f"followup-actions-{p.id}", p))
    return blocks


def followup_message(case: Case) -> tuple[SlackText, list[dict[str, Any]]]:
    """The follow-up proposals in the review thread once customer service resolved the case."""
    esc = case.escalation
    assert esc is not None
    if case.comment.erased_at is not None:
        return erased_message(case.comment.id)
    head = clip(
        fmt(
            ":white_check_mark: {} (SAC) a résolu le cas · resolved the case : {}",
            user(esc.owner),
            esc.resolution_note or "",
        ),
        3000,
    )
    blocks: list[Block] = [SectionBlock(text=mrkdwn(head))]
    open_ = esc.status == "resolved"
    for p in case.followups:
        pub = next((x for x in case.publications if x.proposal_id == p.id and x.stage == "followup"), None)
        blocks.extend(_followup_blocks(p, pub, open_))
    if esc.status == "closed":
        blocks.append(ContextBlock(elements=[mrkdwn(fmt(":file_folder: Cas clos · case closed"))]))
    elif case.followups:
        blocks.append(
            ContextBlock(
                elements=[
                    mrkdwn(
                        fmt(
                            "Approuvez pour publier ; le cas se ferme quand tout est publié · "
                            "approve to publish; the case closes once everything is out."
                        )
                    )
                ]
            )
        )
    return head, [b.to_dict() for b in blocks]


def clock_notice(clock: Clock, esc: Escalation, lead: str | None) -> SlackText:
    """A reminder (at risk: the owner, or the channel while nobody owns it) or a breach (the lead)."""
    label = "la 1re réponse · first response" if clock.name == "first_response" else "la résolution · resolution"
    spent = f"{human_duration(clock.elapsed)} / {human_duration(clock.budget)}"
    if clock.state == ClockState.breached:
        who = mention(lead) or mention(esc.owner) or HERE
        return fmt(
            ":rotating_light: {} Délai dépassé pour {} du cas #{} ({}) · SLA breached.",
            who,
            label,
            esc.comment_id,
            spent,
        )
    who = mention(esc.owner) if esc.owner else HERE
    return fmt(
        ":hourglass: {} Le délai de {} du cas #{} approche ({}) · SLA at risk.", who, label, esc.comment_id, spent
    )
