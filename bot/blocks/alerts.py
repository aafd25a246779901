"""Bad-buzz messages (pure Block Kit): the alert with example comments, and the "back to normal"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.blocks.review import PLATFORM_LABEL, clip, escape_mrkdwn, hhmm


@dataclass(frozen=True)
class Example:
    text: str
    author: str
    platform: str
    url: str | None = None


def buzz_alert_message(
    *,
    brand: str,
    topic: str,
    count: int,
    window_minutes: int,
    baseline: float,
    examples: Sequence[Example],
    link: str,
) -> tuple[str, list[dict[str, Any]]]:
    title = f"🚨 Bad buzz possible — {topic}"
    usual = f"{baseline:.1f}".rstrip("0").rstrip(".")
    summary = (
        f"*{count}* commentaires négatifs sur *{escape_mrkdwn(topic)}* en {window_minutes} min"
        f" (d'habitude ≈ {usual}) · *{count}* negative comments about *{escape_mrkdwn(topic)}*"
        f" in {window_minutes} min (usually ≈ {usual})."
    )
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=clip(title, 150), emoji=True)),
        SectionBlock(block_id="buzz-summary", text=MarkdownTextObject(text=clip(summary, 3000))),
    ]
    for i, ex in enumerate(examples[:3]):
        where = PLATFORM_LABEL.get(ex.platform, ex.platform)
        source = f"<{ex.url}|{where}>" if ex.url else where
        body = clip(escape_mrkdwn(ex.text.replace("\n", " ")), 400)
        blocks.append(
            SectionBlock(
                block_id=f"buzz-example-{i}",
                text=MarkdownTextObject(text=f"> {body}\n_{escape_mrkdwn(ex.author)} · {source}_"),
            )
        )
    blocks.append(
        SectionBlock(
            block_id="buzz-link",
            text=MarkdownTextObject(text=f":mag: <{link}|Voir tous les commentaires · See them all>"),
        )
    )
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"*{escape_mrkdwn(brand)}* · un seul message par épisode ; un « retour à la normale » suivra"
                    " · one message per episode; a “back to normal” will follow"
                )
            ]
        )
    )
    fallback = f"Bad buzz possible ({brand}, {topic}): {count} commentaires négatifs · negative comments"
    return fallback, [b.to_dict() for b in blocks]


def back_to_normal_message(
    *, brand: str, topic: str, opened_at: datetime, closed_at: datetime, peak: int, current: int, window_minutes: int
) -> tuple[str, list[dict[str, Any]]]:
    text = (
        f":white_check_mark: *Retour à la normale · Back to normal* — *{escape_mrkdwn(topic)}*"
        f" ({escape_mrkdwn(brand)})\n"
        f"{current} commentaire(s) négatif(s) sur les {window_minutes} dernières minutes · negative comment(s) in the"
        f" last {window_minutes} minutes. Épisode · episode {hhmm(opened_at)} → {hhmm(closed_at)},"
        f" pic · peak {peak}."
    )
    blocks: list[Block] = [SectionBlock(block_id="buzz-normal", text=MarkdownTextObject(text=clip(text, 3000)))]
    return f"Retour à la normale · Back to normal: {topic} ({brand})", [b.to_dict() for b in blocks]
