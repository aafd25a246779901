"""`/api/personas`: list and read personas (shipped defaults plus the brand's own folders)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, status

from api.deps import context_of, require_api_token
from knowledge.personas import DEFAULT_PERSONA, Persona, scan_personas

router = APIRouter(prefix="/api/personas", tags=["personas"], dependencies=[Depends(require_api_token)])


def _dirs(request: Request) -> list[Path]:
    """The app's brand persona folders when it sets them; else the defaults only."""
    return [Path(d) for d in context_of(request).persona_dirs or []]


def _scan(request: Request) -> tuple[dict[str, Persona], list[str]]:
    personas, errors = scan_personas(_dirs(request))
    return personas, [str(e) for e in errors]


@router.get("")
def list_personas(request: Request) -> dict[str, Any]:
    """Every usable persona (name, descriptions, register, humour, emoji) and files that failed to load."""
    personas, errors = _scan(request)
    return {
        "default": DEFAULT_PERSONA,
        "personas": [
            {
                "name": p.name,
                "description": p.description.model_dump(),
                "register": p.tu_vous,
                "humor": p.humor,
                "emoji": p.emoji,
            }
            for p in sorted(personas.values(), key=lambda p: p.name)
        ],
        "errors": errors,
    }


@router.get("/{name}")
def get_persona_route(name: str, request: Request) -> dict[str, Any]:
    personas, _ = _scan(request)
    persona = personas.get(name)
    if persona is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"unknown persona {name!r}; known: {', '.join(sorted(personas))}"
        )
    return persona.model_dump(mode="json")
