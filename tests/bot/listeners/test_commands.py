"""Slash commands, called with a typed `CommandRequest`: /persona shows, lists and switches the channel's
persona (what was typed is echoed back escaped); /sowana answers help, stats and kb."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.comments.casefile import channel_persona
from bot.listeners import commands
from bot.listeners.requests import CommandRequest
from bot.slack.services import KbHit, PersonaInfo
from tests.bot.listeners.fakes import Recorder, services

PERSONAS = (PersonaInfo("informatif", "clair et poli"), PersonaInfo("chaleureux", "proche, tutoie"))


def run(handler: Any, bot: Any, text: str) -> Recorder:
    ack, respond = Recorder(), Recorder()
    asyncio.run(handler(bot, CommandRequest(user="U0CM", channel="C0REVIEW", text=text), ack, respond))
    assert ack.calls == [{}]
    return respond


def test_persona_shows_lists_and_switches_the_channels_persona(engine):
    bot, _, _ = services(engine, personas=lambda: PERSONAS)
    shown = run(commands.on_persona, bot, "")
    assert "*informatif*" in shown.calls[0]["text"] and shown.calls[0]["response_type"] == "ephemeral"
    listed = run(commands.on_persona, bot, "list").calls[0]["text"]
    assert "➡️ *informatif*" in listed and "• *chaleureux*" in listed
    switched = run(commands.on_persona, bot, "chaleureux").calls[0]
    assert switched["response_type"] == "in_channel" and "<@U0CM>" in switched["text"]
    assert channel_persona(engine, "C0REVIEW") == "chaleureux"


def test_an_unknown_persona_is_echoed_back_escaped(engine):
    bot, _, _ = services(engine, personas=lambda: PERSONAS)
    said = run(commands.on_persona, bot, "<!channel>").calls[0]["text"]
    assert "&lt;!channel&gt;" in said and "<!channel>" not in said
    assert channel_persona(engine, "C0REVIEW") is None


def test_sowana_help_stats_and_kb(engine):
    hits = [KbHit(id="faq-1", score=0.91, question="Livrez-vous le samedi ?", answer="Oui, de 9 h à 13 h.")]
    bot, _, _ = services(engine, kb_search=lambda _brand, _q: hits)
    assert "/persona" in run(commands.on_sowana, bot, "help").calls[0]["text"]
    assert run(commands.on_sowana, bot, "stats").calls[0]["text"]
    kb = run(commands.on_sowana, bot, "kb samedi").calls[0]["text"]
    assert "Livrez-vous le samedi ?" in kb and "faq-1" in kb
    none, _, _ = services(engine)
    assert "no knowledge base" in run(commands.on_sowana, none, "kb samedi").calls[0]["text"]
