"""The review message: a comment, its triage, its proposals and the team's buttons (pure functions).

Built with slack_sdk.models.blocks so Block Kit's limits are checked where the blocks are made; every
outside text (the comment, its author, the proposals, errors) goes in through bot/blocks/text.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    Option,
    OptionGroup,
    SectionBlock,
    StaticSelectElement,
)

from bot.blocks.privacy import erased_message
from bot.blocks.text import SlackText, clip, fmt, join, link, mrkdwn, plain, quote, user
from bot.comments.casefile import FOLLOWUP, Case
from bot.comments.decisions import VOTE
from bot.comments.window import describe
from bot.models import Decision, Proposal, State, TriageRecord, utcnow

PLATFORM_LABEL = {"facebook": "Facebook", "instagram": "Instagram", "x": "X", "other": "Web"}
PLATFORM_EMOJI = {
    "facebook": ":large_blue_circle:",
    "instagram": ":camera:",
    "x": ":bird:",
    "other": ":globe_with_meridians:",
}
INTENTS = ("question", "complaint", "banter", "praise", "spam", "toxic", "distress", "other")
SECTION_LIMIT = 3000
# Ids given by publishers that keep the reply in the database instead of sending it.
RECORDED_PREFIXES = ("recorded", "local-")

# Action ids the outside world clicks (DESIGN.md) and our own extras.
APPROVE, EDIT, ESCALATE, HIDE, REDRAFT, RESOLVE = (
    "approve_reply",
    "edit_reply",
    "escalate_case",
    "hide_comment",
    "redraft",
    "resolve_case",
)
REDRAFT_PERSONA, CORRECT_TRIAGE, RETRY = "redraft_persona", "correct_triage", "retry_publication"
CLAIM = "claim_case"


# Where a direct message was written (#24): never a link to a public page.
PRIVATE_LABEL = {"facebook": "Messenger", "instagram": "Instagram Direct", "x": "X DM", "other": "DM"}


def hhmm(when: datetime | None) -> str:
    return when.strftime("%H:%M UTC") if when else ""


def platform_label(platform: str) -> str:
    return PLATFORM_LABEL.get(platform, PLATFORM_LABEL["other"])  # never outside text as a link label


def triage_chips(triage: TriageRecord | None) -> SlackText:
    """The triage in one line. Its values may come from a language model that read the comment: escaped."""
    if triage is None or triage.result is None:
        return fmt(":hourglass: _pas encore trié · not yet triaged_")
    r = triage.result
    humor_ok = bool(r.get("humor_ok"))
    humor = fmt(":performing_arts: humour ok") if humor_ok else fmt(":no_entry: humour off")
    reasons = r.get("humor_off_reasons") or []
    if not humor_ok and reasons:
        humor += fmt(" ({})", ", ".join(str(x) for x in reasons))
    priority = r.get("priority", "normal")
    chips = [
        fmt("`{}`", r.get("lang", "?")),
        fmt("`{}`", r.get("intent", "?")),
        fmt("`{}`", r.get("sentiment", "?")),
        (fmt(":rotating_light: *urgent*") if priority == "urgent" else fmt("`{}`", priority)),
        humor,
    ]
    if r.get("needs_sac"):
        chips.append(fmt(":phone: SAC"))
    if r.get("moderation") and r.get("moderation") != "none":
        chips.append(fmt(":shield: {} ({})", r["moderation"], r.get("moderation_reason") or "?"))
    return join(" · ", chips)


def _proposal_blocks(
    p: Proposal, index: int, actionable: bool, chosen: bool = False, voters: Sequence[str] = ()
) -> list[Block]:
    kind = fmt(":performing_arts: Créatif · creative") if p.kind == "creative" else fmt(":memo: Sérieux · serious")
    if p.variant == "alternative":
        kind += fmt(" (variante · alternative)")
    head = fmt("*{}. {}* · persona _{}_", index, kind, p.persona)
    if chosen:
        head += fmt(" · :white_check_mark: *choisie · chosen*")
    blocks: list[Block] = [
        SectionBlock(block_id=f"proposal-{p.id}", text=mrkdwn(fmt("{}\n{}", head, p.text), SECTION_LIMIT))
    ]
    sources = join(", ", (fmt("`{}`", c) for c in p.cited_ids)) if p.cited_ids else fmt("_aucune · none_")
    note = fmt(" · :bulb: {}", p.note) if p.note else fmt("")
    if voters and not chosen:
        note += fmt(
            " · :white_check_mark: approuvée par {} — une deuxième approbation est requise · needs a second approval",
            join(", ", (user(v) for v in voters)),
        )
    blocks.append(ContextBlock(elements=[mrkdwn(fmt(":books: Sources : {}{}", sources, note), 2000)]))
    if actionable:
        blocks.append(reply_buttons(f"proposal-actions-{p.id}", p))
    return blocks


def reply_buttons(block_id: str, p: Proposal) -> ActionsBlock:
    """Approve and Edit under a proposal (review message and follow-ups alike)."""
    return ActionsBlock(
        block_id=block_id,
        elements=[
            ButtonElement(text="Approuver · Approve", action_id=APPROVE, value=str(p.id), style="primary"),
            ButtonElement(text="Modifier · Edit", action_id=EDIT, value=str(p.id)),
        ],
    )


def _who(decision: Decision | None) -> SlackText:
    return user(decision.actor) if decision else fmt("?")


def _last(case: Case, *actions: str) -> Decision | None:
    return next((d for d in reversed(case.decisions) if d.action in actions), None)


def outcome_line(case: Case) -> SlackText | None:
    """What happened to the comment, in one line, or None while it waits for the team."""
    c, state = case.comment, State(case.comment.state)
    if c.deleted_at:
        return fmt(":wastebasket: Supprimé par son auteur · deleted by its author ({})", hhmm(c.deleted_at))
    pub = case.publication("message" if c.private else "public_reply")
    if state in (State.approved, State.edited):
        d = _last(case, "approve", "edit")
        verb = "Modifié et approuvé · edited and approved" if state == State.edited else "Approuvé · approved"
        return fmt(
            ":hourglass_flowing_sand: {} par {} à {} — publication…", verb, _who(d), hhmm(d.created_at if d else None)
        )
    if state == State.published:
        # After a customer-service case, what went out is the follow-up (public, else private).
        pub = pub or case.publication(stage=FOLLOWUP) or case.publication("private_reply", FOLLOWUP)
        d = _last(case, "approve", "edit", "followup_approve", "followup_edit")
        seen = fmt(" — {}", link(pub.url, "voir la réponse · see the reply")) if pub and pub.url else fmt("")
        edited = " (texte modifié · edited)" if d and d.action in ("edit", "followup_edit") else ""
        if pub and pub.platform_id and pub.platform_id.startswith(RECORDED_PREFIXES):
            seen = fmt(
                " — :memo: enregistré, non envoyé : aucun connecteur configuré · recorded, not sent (no connector)"
            )
        when = hhmm(pub.published_at if pub else None)
        return fmt(":white_check_mark: Publié · published par {} à {}{}{}", _who(d), when, edited, seen)
    if state == State.hidden:
        return fmt(":no_entry_sign: Masqué · hidden par {}", _who(_last(case, "hide")))
    if state in (State.escalated, State.resolved):
        esc = case.escalation
        status = {"open": "en attente · open", "claimed": "pris en charge · claimed", "resolved": "résolu · resolved"}
        status = {**status, "closed": "clos · closed"}
        line = fmt(
            ":sos: Escaladé au SAC par {} — {}",
            _who(_last(case, "escalate")),
            status.get(esc.status, "") if esc else "",
        )
        if pub is not None:
            sent = "publiée · published" if pub.status == "published" else "en cours · on its way"
            line += fmt(" · :speech_balloon: réponse d'attente {} · holding reply {}", sent, sent.split(" · ")[-1])
        elif state == State.escalated:
            line += fmt(" · vous pouvez publier une réponse d'attente · you may publish a holding reply")
        return line
    if state == State.failed:
        return fmt(":warning: Échec · failed: {}", c.failure_reason or "?")
    return None


def attachment_lines(attachments: Sequence[dict[str, Any]] | None) -> SlackText | None:
    """A message's attachments as links (Slack does not unfurl them: Sowana never fetches them)."""
    if not attachments:
        return None
    lines = []
    for a in attachments[:10]:
        kind = str(a.get("type") or "fichier · file")[:32]
        url = a.get("url")
        shown = link(url, "ouvrir · open") if isinstance(url, str) else fmt("_sans lien · no link_")
        lines.append(fmt(":paperclip: {} : {}", kind, shown))
    return join("\n", lines)


def private_header(case: Case, now: datetime | None = None) -> SlackText:
    """What marks a direct message: where it was written, whose thread it is in, and the reply window."""
    c = case.comment
    line = fmt(
        ":envelope_with_arrow: *message privé · private message* · {} · *{}* · cas #{}",
        PRIVATE_LABEL.get(c.platform, "DM"),
        c.brand,
        c.id,
    )
    if c.thread_of:
        line += fmt(" · suite de #{} · follows #{}", c.thread_of, c.thread_of)
    window = describe(case.window, now or utcnow())
    if window and State(c.state) not in (State.published, State.hidden):
        line += fmt("\n:hourglass_flowing_sand: {}", window)
    return line


def review_message(
    case: Case, personas: Sequence[str] = (), now: datetime | None = None
) -> tuple[SlackText, list[dict[str, Any]]]:
    """(fallback text, blocks) for a comment's review message (or a direct message's, #24)."""
    c = case.comment
    if c.erased_at is not None:
        return erased_message(c.id)
    platform = PRIVATE_LABEL.get(c.platform, "DM") if c.private else platform_label(c.platform)
    state = State(c.state)
    # `proposed` is rendered as it will be seen once posted (the message is posted from that state).
    actionable = state in (State.posted, State.proposed) and not c.deleted_at
    reply_to = " · en réponse à un commentaire · a reply" if c.parent_id else ""
    edited = " · :pencil2: modifié par l'auteur · edited by the author" if c.edited_at else ""
    about = fmt(
        "{} *{}* · {} · cas #{}{}{}",
        PLATFORM_EMOJI.get(c.platform, ""),
        c.brand,
        link(c.url, platform),
        c.id,
        reply_to,
        edited,
    )
    if c.private:
        about = private_header(case, now)
    said = quote(c.text) if c.text.strip() else fmt("_(pièce jointe seule · attachment only)_")
    blocks: list[Block] = [
        HeaderBlock(text=plain(fmt("{}{} · {}", "✉️ " if c.private else "", platform, c.author_name), 150)),
        SectionBlock(
            block_id="comment",
            text=mrkdwn(said),
            accessory=_correction_select() if actionable else None,
        ),
    ]
    attached = attachment_lines(c.attachments)
    if attached is not None:
        blocks.append(ContextBlock(block_id="attachments", elements=[mrkdwn(attached, 2000)]))
    blocks += [
        ContextBlock(block_id="about", elements=[mrkdwn(about, 2000)]),
        ContextBlock(elements=[mrkdwn(triage_chips(case.triage), 2000)]),
        DividerBlock(),
    ]
    pub = case.publication("message" if c.private else "public_reply")
    chosen = pub.proposal_id if pub else None
    # While customer service has the case, the CM may still send one holding reply ("we're on it").
    answerable = actionable or (state == State.escalated and pub is None and not c.deleted_at)
    for i, p in enumerate(case.proposals, start=1):
        voters = [d.actor for d in case.decisions if d.action == VOTE and d.proposal_id == p.id]
        blocks.extend(_proposal_blocks(p, i, answerable, chosen=p.id == chosen, voters=voters))
    if not case.proposals and state not in (State.received, State.triaged):
        blocks.append(SectionBlock(text=mrkdwn(fmt("_Aucune proposition · no proposal_"))))
    outcome = outcome_line(case)
    if outcome:
        blocks.append(ContextBlock(block_id="outcome", elements=[mrkdwn(outcome, 2000)]))
    if actionable:
        blocks.append(ActionsBlock(block_id="case-actions", elements=_case_buttons(case, personas)))
    elif state == State.failed:
        blocks.append(
            ActionsBlock(
                block_id="case-actions",
                elements=[ButtonElement(text="Réessayer · Retry", action_id=RETRY, value=str(c.id), style="primary")],
            )
        )
    fallback = clip(fmt("{}{} — {}: {}", "✉️ " if c.private else "", platform, c.author_name, c.text), 3000)
    return fallback, [b.to_dict() for b in blocks]


def failure_notice(comment_id: int, reason: str) -> tuple[SlackText, list[dict[str, Any]]]:
    """Told in the review thread when publishing failed (the platform's reason, escaped), with a retry."""
    text = clip(fmt(":warning: La publication a échoué · publishing failed: {}", reason), 3000)
    blocks: list[Block] = [
        SectionBlock(text=mrkdwn(text)),
        ActionsBlock(
            elements=[ButtonElement(text="Réessayer · Retry", action_id=RETRY, value=str(comment_id), style="primary")]
        ),
    ]
    return text, [b.to_dict() for b in blocks]


def _case_buttons(case: Case, personas: Sequence[str]) -> list[Any]:
    cid = str(case.id)
    elements: list[Any] = [ButtonElement(text="Escalader au SAC · Escalate", action_id=ESCALATE, value=cid)]
    if not case.comment.private:  # a direct message cannot be hidden
        elements.append(_hide_button(cid))
    elements.append(ButtonElement(text="Reformuler · Redraft", action_id=REDRAFT, value=cid))
    if personas:
        elements.append(
            StaticSelectElement(
                action_id=REDRAFT_PERSONA,
                placeholder="Reformuler avec… · Redraft as…",
                options=[Option(text=plain(name, 75), value=f"{cid}:{name}") for name in list(personas)[:100]],
            )
        )
    return elements


def _hide_button(cid: str) -> ButtonElement:
    return ButtonElement(
        text="Masquer · Hide",
        action_id=HIDE,
        value=cid,
        style="danger",
        confirm=ConfirmObject(
            title="Masquer le commentaire ?",
            text="Le commentaire sera masqué sur la plateforme. · The comment will be hidden on the platform.",
            confirm="Masquer · Hide",
            deny="Annuler · Cancel",
            style="danger",
        ),
    )


def _correction_select() -> StaticSelectElement:
    return StaticSelectElement(
        action_id=CORRECT_TRIAGE,
        placeholder="Corriger le tri · Fix triage",
        option_groups=[
            OptionGroup(
                label="Intention · intent", options=[Option(text=plain(i), value=f"intent:{i}") for i in INTENTS]
            ),
            OptionGroup(
                label="Humour",
                options=[
                    Option(text="humour ok", value="humor_ok:true"),
                    Option(text="pas d'humour · no humor", value="humor_ok:false"),
                ],
            ),
        ],
    )
