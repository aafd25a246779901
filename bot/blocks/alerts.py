"""Bad-buzz messages (pure Block Kit): the alert with example comments, and the "back to normal"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, SectionBlock

from bot.blocks.review import hhmm, platform_label
from bot.blocks.text import SlackText, fmt, mrkdwn, one_line, plain
from bot.blocks.text import link as slack_link


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
) -> tuple[SlackText, list[dict[str, Any]]]:
    """The alert: how many negative comments on a topic against its usual, three of them, a link to all.
    The topic may come from a language model that read the comments: escaped like the comments."""
    usual = f"{baseline:.1f}".rstrip("0").rstrip(".")
    summary = fmt(
        "*{n}* commentaires négatifs sur *{topic}* en {w} min (d'habitude ≈ {usual})"
        " · *{n}* negative comments about *{topic}* in {w} min (usually ≈ {usual}).",
        n=count,
        topic=topic,
        w=window_minutes,
        usual=usual,
    )
    blocks: list[Block] = [
        HeaderBlock(text=plain(fmt("🚨 Bad buzz possible — {}", topic), 150)),
        SectionBlock(block_id="buzz-summary", text=mrkdwn(summary)),
    ]
    for i, ex in enumerate(examples[:3]):
        where = platform_label(ex.platform)
        text = fmt("> {}\n_{} · {}_", one_line(ex.text, 400), ex.author, slack_link(ex.url, where))
        blocks.append(SectionBlock(block_id=f"buzz-example-{i}", text=mrkdwn(text)))
    blocks.append(
        SectionBlock(
            block_id="buzz-link",
            text=mrkdwn(fmt(":mag: {}", slack_link(link, "Voir tous les commentaires · See them all"))),
        )
    )
    blocks.append(
        ContextBlock(
            elements=[
                mrkdwn(
                    fmt(
                        "*{}* · un seul message par épisode ; un « retour à la normale » suivra"
                        " · one message per episode; a “back to normal” will follow",
                        brand,
                    )
                )
            ]
        )
    )
    fallback = fmt("Bad buzz possible ({}, {}): {} commentaires négatifs · negative comments", brand, topic, count)
    return fallback, [b.to_dict() for b in blocks]


def back_to_normal_message(
    *, brand: str, topic: str, opened_at: datetime, closed_at: datetime, peak: int, current: int, window_minutes: int
) -> tuple[SlackText, list[dict[str, Any]]]:
    text = fmt(
        ":white_check_mark: *Retour à la normale · Back to normal* — *{topic}* ({brand})\n"
        "{current} commentaire(s) négatif(s) sur les {w} dernières minutes · negative comment(s) in the"
        " last {w} minutes. Épisode · episode {start} → {end}, pic · peak {peak}.",
        topic=topic,
        brand=brand,
        current=current,
        w=window_minutes,
        start=hhmm(opened_at),
        end=hhmm(closed_at),
        peak=peak,
    )
    blocks: list[Block] = [SectionBlock(block_id="buzz-normal", text=mrkdwn(text))]
    return fmt("Retour à la normale · Back to normal: {} ({})", topic, brand), [b.to_dict() for b in blocks]
