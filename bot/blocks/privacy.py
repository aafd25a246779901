"""What a Slack message about a comment says once its author's data was erased (pure)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ContextBlock, SectionBlock

from bot.blocks.text import SlackText, fmt, mrkdwn

ERASED = "Contenu effacé à la demande de la personne · Erased at the person's request"


def erased_message(comment_id: int | None) -> tuple[SlackText, list[dict[str, Any]]]:
    """(fallback text, blocks) replacing a review message, a case card, a follow-up or a thread line."""
    text = fmt(":wastebasket: _{}_", ERASED)
    blocks = [
        SectionBlock(block_id="erased", text=mrkdwn(text)),
        ContextBlock(elements=[mrkdwn(fmt("cas #{}", comment_id))]),
    ]
    return fmt("{} (cas #{})", ERASED, comment_id), [b.to_dict() for b in blocks]
