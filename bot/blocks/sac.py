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

from bot.blocks.review import CLAIM, PLATFORM_LABEL, RESOLVE, clip, escape_mrkdwn, quote, triage_chips
from bot.case import Case, HistoryItem


def history_line(history: Sequence[HistoryItem]) -> str:
    """The author's earlier interactions with this brand (only the brand's own: no profiling)."""
    if not history:
        return ":bust_in_silhouette: Premier contact avec la marque · first contact with the brand"
    lines = [f"• {h.when:%Y-%m-%d} · {escape_mrkdwn(clip(h.text, 120))} — _{h.state}_" for h in history[:5]]
    more = f"\n… et {len(history) - 5} de plus · and {len(history) - 5} more" if len(history) > 5 else ""
    return f":bust_in_silhouette: *Historique avec la marque · history* ({len(history)})\n" + "\n".join(lines) + more


def sac_card(
    case: Case, review_link: str | None, history: Sequence[HistoryItem] = ()
) -> tuple[str, list[dict[str, Any]]]:
    c, esc = case.comment, case.escalation
    platform = PLATFORM_LABEL.get(c.platform, c.platform)
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=clip(f"🆘 Cas #{c.id} · {platform} · {c.author_name}", 150))),
        SectionBlock(text=MarkdownTextObject(text=quote(c.text))),
        ContextBlock(elements=[MarkdownTextObject(text=clip(triage_chips(case.triage), 2000))]),
    ]
    who = f"Escaladé par <@{esc.requested_by}>" if esc else "Escaladé"
    note = f"\n*Note :* {escape_mrkdwn(esc.note)}" if esc and esc.note else ""
    thread = f" · <{review_link}|fil de revue · review thread>" if review_link else ""
    blocks.append(SectionBlock(text=MarkdownTextObject(text=clip(f"{who}{thread}{note}", 3000))))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(history_line(history), 2000))]))
    if esc and esc.status == "claimed":
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(text=f":wave: Pris en charge par <@{esc.owner}> · claimed by <@{esc.owner}>")
                ]
            )
        )
    if esc and esc.status == "resolved":
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=clip(
                            f":white_check_mark: Résolu par <@{esc.owner}> : "
                            + escape_mrkdwn(esc.resolution_note or ""),
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
                ],
            )
        )
    return clip(f"Cas #{c.id} escaladé · escalated: {c.text}", 3000), [b.to_dict() for b in blocks]
