"""Slash commands: /persona (per channel) and /sowana (help, stats, kb)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.case import channel_persona
from bot.decisions import set_channel_persona
from bot.listeners.common import blocking
from bot.services import BotServices
from bot.stats import day_stats, render_stats

HELP = (
    "*Sowana* — commandes · commands\n"
    "• `/persona` : la persona de ce canal · this channel's persona\n"
    "• `/persona list` : les personas · list personas\n"
    "• `/persona <nom>` : changer la persona des prochaines propositions · switch persona\n"
    "• `/sowana stats` : les chiffres du jour · today's figures\n"
    "• `/sowana digest` : le bilan du jour dans le canal · today's digest in the channel\n"
    "• `/sowana kb <question>` : chercher dans la base de connaissances · search the knowledge base\n"
    "• `/sowana help` : cette aide · this help\n"
    "Sur un message de revue · on a review message : ✅ approuve, 🆘 escalade, 🚫 masque."
)


def today_digest(services: BotServices, brand: str) -> tuple[str, list[dict[str, Any]]]:
    """Insights (#12): the brand's digest of today so far (the scheduled one is posted at the brand's time)."""
    from datetime import UTC, datetime

    from bot.blocks.digest import digest_message
    from bot.insights.digest import build_digest
    from bot.insights.scheduler import dashboard_link

    tz = getattr(services.settings, "timezone", None) or "UTC"
    digest = build_digest(services.engine, services.settings, brand, tz, datetime.now(UTC))
    return digest_message(digest, dashboard_link(services.settings, brand))


def register(app: AsyncApp, services: BotServices) -> None:
    @app.command("/persona")
    async def persona(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        arg = (command.get("text") or "").strip()
        channel, user = command.get("channel_id", ""), command.get("user_id", "")
        personas = {p.name: p for p in services.personas()}
        current = await blocking(channel_persona, services.engine, channel) or services.default_persona
        if arg in ("list", "liste"):
            lines = [f"{'➡️' if name == current else '•'} *{name}* — {p.description}" for name, p in personas.items()]
            await respond(text="*Personas*\n" + "\n".join(lines), response_type="ephemeral")
            return
        if not arg:
            described = personas.get(current)
            detail = f" — {described.description}" if described else ""
            await respond(
                text=f"Persona de ce canal · this channel's persona : *{current}*{detail}", response_type="ephemeral"
            )
            return
        if arg not in personas:
            known = ", ".join(personas) or "—"
            await respond(
                text=f"Persona inconnue · unknown persona `{arg}`. Connues · known : {known}", response_type="ephemeral"
            )
            return
        await blocking(set_channel_persona, services.engine, channel, services.brand_for_channel(channel), arg, user)
        await respond(
            text=f":performing_arts: <@{user}> a choisi la persona *{arg}* pour les prochaines propositions"
            f" · switched the persona to *{arg}*.",
            response_type="in_channel",
        )

    @app.command("/sowana")
    async def sowana(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        sub, _, rest = (command.get("text") or "").strip().partition(" ")
        channel = command.get("channel_id", "")
        if sub == "stats":
            stats = await blocking(day_stats, services.engine, services.brand_for_channel(channel))
            await respond(text=render_stats(stats), response_type="ephemeral")
        elif sub == "digest":
            text, blocks = await blocking(today_digest, services, services.brand_for_channel(channel))
            await respond(text=text, blocks=blocks, response_type="in_channel")
        elif sub == "kb" and rest.strip() and services.kb_search is not None:
            hits = await blocking(services.kb_search, services.brand_for_channel(channel), rest.strip())
            if not hits:
                await respond(
                    text="Rien d'assez proche dans la base · nothing close enough in the knowledge base.",
                    response_type="ephemeral",
                )
                return
            lines = [f"*{h.question}* (`{h.id}`, {h.score:.2f})\n{h.answer}" for h in hits[:3]]
            await respond(text="\n\n".join(lines)[:3000], response_type="ephemeral")
        elif sub == "kb" and services.kb_search is None:
            await respond(
                text="La base de connaissances n'est pas configurée · no knowledge base.", response_type="ephemeral"
            )
        else:
            await respond(text=HELP, response_type="ephemeral")
