"""Load personas from YAML files: the shipped defaults, then each brand folder (same name overrides)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from knowledge.personas.model import Persona

DEFAULTS_DIR = Path(__file__).resolve().parent / "defaults"
DEFAULT_PERSONA = "informatif"
SUFFIXES = (".yaml", ".yml")


class PersonaError(ValueError):
    """A persona file that cannot be used; the message names the file and the field."""

    def __init__(self, path: Path | str, field: str | None, message: str) -> None:
        self.path, self.field, self.message = str(path), field, message
        where = f"{self.path}: {field}" if field else self.path
        super().__init__(f"{where}: {message}")


class PersonaNotFound(KeyError):
    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        super().__init__(f"unknown persona {name!r}; known: {', '.join(sorted(known)) or 'none'}")

    def __str__(self) -> str:  # KeyError quotes its message otherwise
        return str(self.args[0])


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(file)"


def load_file(path: Path) -> Persona:
    """One persona file; raises PersonaError naming the file and the first bad field."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        raise PersonaError(path, None, f"not valid YAML{line}") from None
    except OSError as exc:
        raise PersonaError(path, None, f"cannot read: {exc.strerror}") from None
    if not isinstance(data, dict):
        raise PersonaError(path, None, "expected a mapping of fields (name, description, greeting…)")
    data.setdefault("name", path.stem)
    try:
        persona = Persona.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise PersonaError(path, _field(first["loc"]), first["msg"]) from None
    if persona.name != path.stem:
        raise PersonaError(path, "name", f"{persona.name!r} differs from the file name {path.stem!r}")
    return persona


def scan_personas(
    dirs: Iterable[Path | str] = (), include_defaults: bool = True
) -> tuple[dict[str, Persona], list[PersonaError]]:
    """Every usable persona (later folders override earlier ones by name) and the files that failed."""
    folders = ([DEFAULTS_DIR] if include_defaults else []) + [Path(d) for d in dirs]
    personas: dict[str, Persona] = {}
    errors: list[PersonaError] = []
    for folder in folders:
        if not folder.is_dir():
            errors.append(PersonaError(folder, None, "not a folder"))
            continue
        for path in sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file()):
            try:
                persona = load_file(path)
            except PersonaError as exc:
                errors.append(exc)
                continue
            personas[persona.name] = persona
    return personas, errors


def load_personas(dirs: Iterable[Path | str] = (), include_defaults: bool = True) -> dict[str, Persona]:
    """Like `scan_personas`, but any bad file is an error (all of them named in the message)."""
    personas, errors = scan_personas(dirs, include_defaults)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise PersonaError(errors[0].path, errors[0].field, "; ".join(str(e) for e in errors))
    return personas


def get_persona(name: str | None = None, dirs: Iterable[Path | str] = ()) -> Persona:
    """A persona by name (None: the default, `informatif`), from the defaults and `dirs`."""
    personas = load_personas(dirs)
    wanted = name or DEFAULT_PERSONA
    if wanted not in personas:
        raise PersonaNotFound(wanted, personas)
    return personas[wanted]
