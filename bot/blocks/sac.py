"""The case card posted in the customer-service channel when a comment is escalated (pure)."""

from __future__ import annotations

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

from bot.blocks.review import PLATFORM_LABEL, RESOLVE, clip, escape_mrkdwn, quote, triage_chips
from bot.case import Case


def sac_card(case: Case, review_link: str | None) -> tuple[str, list[dict[str, Any]]]:
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
                    ButtonElement(text="Résoudre · Resolve", action_id=RESOLVE, value=str(c.id), style="primary")
                ],
            )
        )
    return clip(f"Cas #{c.id} escaladé · escalated: {c.text}", 3000), [b.to_dict() for b in blocks]
