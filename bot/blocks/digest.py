"""The daily digest message (pure: a Digest → Block Kit), bilingual "français · English"."""

from __future__ import annotations

from collections import Counter
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, DividerBlock, HeaderBlock, SectionBlock

from bot.blocks.review import platform_label
from bot.blocks.text import SlackText, fmt, join, link, mrkdwn, one_line, plain
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


def _tally(counts: Counter[str], labels: dict[str, str]) -> SlackText:
    if not counts:
        return fmt("—")
    return join(", ", (fmt("{} *{}*", labels.get(k, k), n) for k, n in counts.most_common()))


def clock_line(name: str, clock: Clock) -> SlackText:
    target = minutes(clock.target_minutes)
    if not clock.count:
        line = fmt("*{}* : aucun cas · no case (cible · target {})", name, target)
    else:
        ok = clock.met_rate is not None and clock.met_rate >= 0.9
        line = fmt(
            "{} *{}* : médiane · median {}, p90 {} — {}/{} dans la cible · within the {} target ({})",
            ":white_check_mark:" if ok else ":warning:",
            name,
            minutes(clock.median_minutes),
            minutes(clock.p90_minutes),
            clock.within_target,
            clock.count,
            target,
            pct(clock.met_rate),
        )
    if clock.breaches:
        line += fmt(" · :rotating_light: {} dépassement(s) · breach(es)", clock.breaches)
    return line


def digest_message(d: Digest, dashboard_url: str | None = None) -> tuple[SlackText, list[dict[str, Any]]]:
    """(fallback text, blocks) of one brand's digest. Topics (from triage, possibly a language model) and
    the best replies' texts are outside text: escaped."""
    title = fmt("Bilan du jour · Daily digest — {} · {}", d.brand, d.day)
    blocks: list[Block] = [HeaderBlock(text=plain(title, 150))]
    if not d.received and not d.replies_published and not d.open_cases and not d.handled:
        blocks.append(SectionBlock(text=mrkdwn(fmt("Journée calme : aucun commentaire · a quiet day: no comment."))))
    else:
        platforms = _tally(Counter({platform_label(k): n for k, n in d.by_platform.items()}), {})
        volumes = fmt(
            ":inbox_tray: *{}* commentaires reçus · comments received ({})\n*Intentions · intents* : {}\n"
            "*Sentiment* : {}",
            d.received,
            platforms,
            _tally(d.by_intent, INTENT_LABEL),
            _tally(d.by_sentiment, SENTIMENT_LABEL),
        )
        blocks.append(SectionBlock(block_id="volumes", text=mrkdwn(volumes)))
        topics = join(", ", (fmt("`{}` {}", t, n) for t, n in d.top_topics)) or fmt("—")
        blocks.append(SectionBlock(block_id="topics", text=mrkdwn(fmt(":label: *Sujets · top topics* : {}", topics))))
        reply = fmt(":speech_balloon: *{}* réponses publiées · replies published", d.replies_published)
        if d.reply_median_minutes is not None:
            reply += fmt(
                " — délai médian · median time {}, p90 {}",
                minutes(d.reply_median_minutes),
                minutes(d.reply_p90_minutes),
            )
        decisions = fmt(
            ":ballot_box_with_check: *Décisions · decisions* ({} cas · cases) : approuvées · approved {}, "
            "modifiées · edited {}, escaladées · escalated {}, masquées · hidden {}",
            d.handled,
            pct(d.rate("approve")),
            pct(d.rate("edit")),
            pct(d.rate("escalate")),
            pct(d.rate("hide")),
        )
        blocks.append(SectionBlock(block_id="work", text=mrkdwn(fmt("{}\n{}", reply, decisions))))
        cases = fmt(":sos: *Cas SAC ouverts · open customer-service cases* : {}", d.open_cases)
        if d.open_breached:
            cases += fmt(" (dont · of which {} hors délai · past target)", d.open_breached)
        sla = join(
            "\n",
            [
                clock_line("Première réponse · first response", d.first_response),
                clock_line("Résolution · resolution", d.resolution),
                cases,
            ],
        )
        blocks.append(SectionBlock(block_id="sla", text=mrkdwn(sla)))
    if d.best:
        blocks.append(DividerBlock())
        lines = [fmt(":star2: *Meilleures réponses du jour · best replies of the day*")]
        for r in d.best:
            lines.append(
                fmt(
                    "• {} · :heart: {} · :speech_balloon: {} · :repeat: {}\n> {}",
                    link(r.url, platform_label(r.platform)),
                    r.likes,
                    r.replies,
                    r.shares,
                    one_line(r.text, 280),
                )
            )
        blocks.append(SectionBlock(block_id="best", text=mrkdwn(join("\n", lines))))
    if d.private_messages:  # counted apart, never quoted: not comments (#24)
        private = fmt(
            "{} messages privés reçus (hors chiffres ci-dessus) · private messages received (not in the figures above)",
            d.private_messages,
        )
        blocks.append(ContextBlock(block_id="private", elements=[mrkdwn(private)]))
    if d.redacted:
        retention = fmt(
            ":wastebasket: {} commentaires expurgés (durée de conservation) · comments redacted (retention limit)",
            d.redacted,
        )
        blocks.append(ContextBlock(block_id="retention", elements=[mrkdwn(retention)]))
    footer = fmt("Chiffres de la journée locale de la marque · figures for the brand's local day")
    if dashboard_url:
        footer += fmt(" · {}", link(dashboard_url, "tableau de bord · dashboard"))
    blocks.append(ContextBlock(elements=[mrkdwn(footer)]))
    fallback = fmt("{}: {} commentaires · comments, {} réponses · replies", title, d.received, d.replies_published)
    return fallback, [b.to_dict() for b in blocks]
