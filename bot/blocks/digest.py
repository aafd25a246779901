"""The daily digest message (pure: a Digest → Block Kit), bilingual "français · English"."""

from __future__ import annotations

from collections import Counter
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.blocks.review import PLATFORM_LABEL, clip, escape_mrkdwn
from bot.insights.digest import Clock, Digest

INTENT_LABEL = {
    "question": "questions",
    "complaint": "plaintes · complaints",
    "banter": "taquineries · banter",
    "praise": "éloges · praise",
    "spam": "spam",
    "toxic": "toxiques · toxic",
    "distress": "détresse · distress",
    "other": "autres · other",
    "untriaged": "non triés · untriaged",
}
SENTIMENT_LABEL = {
    "neg": ":red_circle: négatif · negative",
    "neu": ":white_circle: neutre · neutral",
    "pos": ":large_green_circle: positif · positive",
    "untriaged": "non triés · untriaged",
}


def pct(value: float | None) -> str:
    return "—" if value is None else f"{round(100 * value)} %"


def minutes(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 120:
        return f"{value / 60:.1f} h"
    return f"{value:.0f} min"


def _tally(counts: Counter[str], labels: dict[str, str]) -> str:
    if not counts:
        return "—"
    return ", ".join(f"{labels.get(k, k)} *{n}*" for k, n in counts.most_common())


def clock_line(name: str, clock: Clock) -> str:
    target = minutes(clock.target_minutes)
    if not clock.count:
        line = f"*{name}* : aucun cas · no case (cible · target {target})"
    else:
        ok = clock.met_rate is not None and clock.met_rate >= 0.9
        icon = ":white_check_mark:" if ok else ":warning:"
        line = (
            f"{icon} *{name}* : médiane · median {minutes(clock.median_minutes)},"
            f" p90 {minutes(clock.p90_minutes)} — {clock.within_target}/{clock.count} dans la cible · within the"
            f" {target} target ({pct(clock.met_rate)})"
        )
    if clock.breaches:
        line += f" · :rotating_light: {clock.breaches} dépassement(s) · breach(es)"
    return line


def digest_message(d: Digest, dashboard_url: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) of one brand's digest."""
    title = f"Bilan du jour · Daily digest — {d.brand} · {d.day}"
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=clip(title, 150), emoji=True))]
    if not d.received and not d.replies_published and not d.open_cases and not d.handled:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text="Journée calme : aucun commentaire · a quiet day: no comment."))
        )
    else:
        platforms = _tally(Counter({PLATFORM_LABEL.get(k, k): n for k, n in d.by_platform.items()}), {})
        blocks.append(
            SectionBlock(
                block_id="volumes",
                text=MarkdownTextObject(
                    text=clip(
                        f":inbox_tray: *{d.received}* commentaires reçus · comments received ({platforms})\n"
                        f"*Intentions · intents* : {_tally(d.by_intent, INTENT_LABEL)}\n"
                        f"*Sentiment* : {_tally(d.by_sentiment, SENTIMENT_LABEL)}",
                        3000,
                    )
                ),
            )
        )
        topics = ", ".join(f"`{escape_mrkdwn(t)}` {n}" for t, n in d.top_topics) or "—"
        blocks.append(
            SectionBlock(
                block_id="topics", text=MarkdownTextObject(text=clip(f":label: *Sujets · top topics* : {topics}", 3000))
            )
        )
        reply = f":speech_balloon: *{d.replies_published}* réponses publiées · replies published" + (
            f" — délai médian · median time {minutes(d.reply_median_minutes)}, p90 {minutes(d.reply_p90_minutes)}"
            if d.reply_median_minutes is not None
            else ""
        )
        decisions = (
            f":ballot_box_with_check: *Décisions · decisions* ({d.handled} cas · cases) : "
            f"approuvées · approved {pct(d.rate('approve'))}, modifiées · edited {pct(d.rate('edit'))}, "
            f"escaladées · escalated {pct(d.rate('escalate'))}, masquées · hidden {pct(d.rate('hide'))}"
        )
        blocks.append(SectionBlock(block_id="work", text=MarkdownTextObject(text=clip(f"{reply}\n{decisions}", 3000))))
        cases = f":sos: *Cas SAC ouverts · open customer-service cases* : {d.open_cases}"
        if d.open_breached:
            cases += f" (dont · of which {d.open_breached} hors délai · past target)"
        sla = "\n".join(
            [
                clock_line("Première réponse · first response", d.first_response),
                clock_line("Résolution · resolution", d.resolution),
                cases,
            ]
        )
        blocks.append(SectionBlock(block_id="sla", text=MarkdownTextObject(text=clip(sla, 3000))))
    if d.best:
        blocks.append(DividerBlock())
        lines = [":star2: *Meilleures réponses du jour · best replies of the day*"]
        for r in d.best:
            where = PLATFORM_LABEL.get(r.platform, r.platform)
            link = f"<{r.url}|{where}>" if r.url else where
            lines.append(
                f"• {link} · :heart: {r.likes} · :speech_balloon: {r.replies} · :repeat: {r.shares}\n"
                f"> {clip(escape_mrkdwn(r.text.replace(chr(10), ' ')), 280)}"
            )
        blocks.append(SectionBlock(block_id="best", text=MarkdownTextObject(text=clip("\n".join(lines), 3000))))
    footer = "Chiffres de la journée locale de la marque · figures for the brand's local day"
    if dashboard_url:
        footer += f" · <{dashboard_url}|tableau de bord · dashboard>"
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=footer)]))
    fallback = f"{title}: {d.received} commentaires · comments, {d.replies_published} réponses · replies"
    return fallback, [b.to_dict() for b in blocks]
