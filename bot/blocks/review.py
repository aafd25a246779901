"""The review message a comment becomes in Slack (plain form until the review workflow lands)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.models import Comment, TriageRecord

PLATFORM_LABEL = {"facebook": "Facebook", "instagram": "Instagram", "x": "X", "other": "Web"}
SECTION_LIMIT = 3000


def escape_mrkdwn(text: str) -> str:
    """Slack needs &, < and > escaped; nothing else is touched so the text stays the author's."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quote(text: str, limit: int = SECTION_LIMIT - 10) -> str:
    body = escape_mrkdwn(text)
    if len(body) > limit:
        body = body[: limit - 1] + "…"
    return "\n".join("> " + line for line in body.splitlines() or [""])


def triage_chips(triage: TriageRecord | None) -> str:
    if triage is None or triage.result is None:
        return "_not yet triaged / pas encore trié_"
    r = triage.result
    humor = "humour ✓" if r.get("humor_ok") else "humour ✗"
    reasons = r.get("humor_off_reasons") or []
    if not r.get("humor_ok") and reasons:
        humor += f" ({', '.join(reasons)})"
    parts = [
        f"`{r.get('lang', '?')}`",
        f"`{r.get('intent', '?')}`",
        f"`{r.get('sentiment', '?')}`",
        f"`{r.get('priority', 'normal')}`",
        f"`{humor}`",
    ]
    if r.get("needs_sac"):
        parts.append("`SAC`")
    if r.get("moderation") and r.get("moderation") != "none":
        parts.append(f"`moderation: {r['moderation']}`")
    return " ".join(parts)


def review_message(comment: Comment, triage: TriageRecord | None) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) for a comment's review message."""
    platform = PLATFORM_LABEL.get(comment.platform, comment.platform)
    header = f"{platform} · {comment.author_name}"[:150]
    source = f"<{comment.url}|{platform}>" if comment.url else platform
    blocks = [
        HeaderBlock(text=PlainTextObject(text=header, emoji=True)),
        SectionBlock(text=MarkdownTextObject(text=quote(comment.text))),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"*{escape_mrkdwn(comment.brand)}* · {source} · #{comment.id} · {triage_chips(triage)}"[:3000]
                )
            ]
        ),
        DividerBlock(),
    ]
    fallback = f"{platform} — {comment.author_name}: {comment.text}"[:3000]
    return fallback, [b.to_dict() for b in blocks]
