"""Slash commands: /persona (per channel) and /sowana (help, stats, digest, kb). One behaviour per command
at module level, given a typed `CommandRequest` (bolt-python's layout)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond

from bot.blocks.digest import digest_message
from bot.blocks.text import SlackText, clip, fmt, join
from bot.blocks.text import user as slack_user
from bot.comments.casefile import channel_persona
from bot.comments.decisions import set_channel_persona
from bot.comments.stats import day_stats, render_stats
from bot.insights.digest import build_digest
from bot.insights.scheduler import dashboard_link
from bot.listeners.common import answer, blocking, services_of
from bot.listeners.requests import CommandRequest
from bot.slack.services import BotServices

HELP = fmt(
    "*Sowana* — commandes · commands\n"
    "• `/persona` : la persona de ce canal · this channel's persona\n"
    "• `/persona list` : les personas · list personas\n"
    "• `/persona {name}` : changer la persona des prochaines propositions · switch persona\n"
    "• `/sowana stats` : les chiffres du jour · today's figures\n"
    "• `/sowana digest` : le bilan du jour dans le canal · today's digest in the channel\n"
    "• `/sowana kb {question}` : chercher dans la base de connaissances · search the knowledge base\n"
    "• `/sowana help` : cette aide · this help\n"
    "Sur un message de revue · on a review message : ✅ approuve, 🆘 escalade, 🚫 masque.",
    name="<nom>",
    question="<question>",
)


def today_digest(services: BotServices, brand: str) -> tuple[SlackText, list[dict[str, Any]]]:
    """Insights (#12): the brand's digest of today so far (the scheduled one is posted at the brand's time)."""
    tz = services.settings.timezone or "UTC"
    digest = build_digest(services.engine, services.settings, brand, tz, datetime.now(UTC))
    return digest_message(digest, dashboard_link(services.settings, brand))


async def on_persona(services: BotServices, req: CommandRequest, ack: AsyncAck, respond: AsyncRespond) -> None:
    await ack()
    arg = req.text.strip()
    channel, user = req.channel, req.user
    personas = {p.name: p for p in services.personas()}
    current = await blocking(channel_persona, services.engine, channel) or services.default_persona
    if arg in ("list", "liste"):
        lines = [
            fmt("{} *{}* — {}", "➡️" if name == current else "•", name, p.description) for name, p in personas.items()
        ]
        await answer(respond, fmt("*Personas*\n{}", join("\n", lines)))
        return
    if not arg:
        described = personas.get(current)
        detail = fmt(" — {}", described.description) if described else ""
        await answer(respond, fmt("Persona de ce canal · this channel's persona : *{}*{}", current, detail))
        return
    if arg not in personas:
        known = ", ".join(personas) or "—"
        # What was typed is echoed back, escaped: a `<!channel>` stays text.
        await answer(respond, fmt("Persona inconnue · unknown persona `{}`. Connues · known : {}", arg, known))
        return
    await blocking(set_channel_persona, services.engine, channel, services.brand_for_channel(channel), arg, user)
    said = fmt(
        ":performing_arts: {who} a choisi la persona *{p}* pour les prochaines propositions"
        " · switched the persona to *{p}*.",
        who=slack_user(user),
        p=arg,
    )
    await answer(respond, said, in_channel=True)


async def on_sowana(services: BotServices, req: CommandRequest, ack: AsyncAck, respond: AsyncRespond) -> None:
    await ack()
    sub, _, rest = req.text.strip().partition(" ")
    channel = req.channel
    if sub == "stats":
        stats = await blocking(day_stats, services.engine, services.brand_for_channel(channel))
        await answer(respond, render_stats(stats))  # figures and our own words: escaped as a plain str
    elif sub == "digest":
        text, blocks = await blocking(today_digest, services, services.brand_for_channel(channel))
        await answer(respond, text, blocks, in_channel=True)
    elif sub == "kb" and rest.strip() and services.kb_search is not None:
        hits = await blocking(services.kb_search, services.brand_for_channel(channel), rest.strip())
        if not hits:
            await answer(respond, "Rien d'assez proche dans la base · nothing close enough in the knowledge base.")
            return
        lines = [fmt("*{}* (`{}`, {:.2f})\n{}", h.question, h.id, h.score, h.answer) for h in hits[:3]]
        await answer(respond, clip(join("\n\n", lines), 3000))
    elif sub == "kb" and services.kb_search is None:
        await answer(respond, "La base de connaissances n'est pas configurée · no knowledge base.")
    else:
        await answer(respond, HELP)


async def persona(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext) -> None:
    await on_persona(services_of(context), CommandRequest.from_bolt(command), ack, respond)


async def sowana(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext) -> None:
    await on_sowana(services_of(context), CommandRequest.from_bolt(command), ack, respond)


def register(app: AsyncApp) -> None:
    app.command("/persona")(persona)
    app.command("/sowana")(sowana)
