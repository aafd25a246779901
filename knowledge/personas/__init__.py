"""Personas: how replies sound (register, humour, emoji, greeting, signature), from YAML files."""

from knowledge.personas.loader import (
    DEFAULT_PERSONA,
    DEFAULTS_DIR,
    PersonaError,
    PersonaNotFound,
    get_persona,
    load_file,
    load_personas,
    scan_personas,
)
from knowledge.personas.model import PHRASE_KEYS, ExampleReply, PerLang, Persona

__all__ = [
    "DEFAULTS_DIR",
    "DEFAULT_PERSONA",
    "PHRASE_KEYS",
    "ExampleReply",
    "PerLang",
    "Persona",
    "PersonaError",
    "PersonaNotFound",
    "get_persona",
    "load_file",
    "load_personas",
    "scan_personas",
]
