"""Personas: the shipped set, a brand's own folder overriding a default, and errors naming file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.personas import (
    DEFAULT_PERSONA,
    PersonaError,
    PersonaNotFound,
    get_persona,
    load_personas,
    scan_personas,
)

BRAND_PERSONA = """
name: espiegle
description:
  fr: "La version maison, plus sage."
  en: "The house version, tamer."
register: vous
humor: 1
emoji: none
greeting:
  fr: "Allo {name}!"
  en: "Hello there {name}!"
signature:
  fr: "— L'équipe Panier Boréal"
  en: "— The Panier Boréal team"
avoid: ["chèvre"]
"""


def test_shipped_set_has_the_three_personas_with_informatif_as_default() -> None:
    personas = load_personas()
    assert {"informatif", "espiegle", "empathique"} <= set(personas)
    assert DEFAULT_PERSONA == "informatif"
    default = get_persona()
    assert default.name == "informatif" and default.humor == 0 and default.emoji == "none"
    assert default.tu_vous == "vous"
    assert "{name}" in default.greeting.fr and "{name}" in default.greeting.en
    espiegle = personas["espiegle"]
    assert espiegle.humor >= 1 and espiegle.tu_vous == "tu"
    assert personas["empathique"].humor == 0
    # Every shipped persona speaks both languages and shows example replies.
    for persona in personas.values():
        assert persona.description.fr and persona.description.en
        assert {e.lang for e in persona.examples} == {"fr", "en"}


def test_brand_folder_overrides_a_default_with_the_same_name(tmp_path: Path) -> None:
    (tmp_path / "espiegle.yaml").write_text(BRAND_PERSONA, encoding="utf-8")
    personas = load_personas([tmp_path])
    assert personas["espiegle"].greeting.fr == "Allo {name}!"
    assert personas["espiegle"].tu_vous == "vous" and personas["espiegle"].humor == 1
    assert personas["informatif"].name == "informatif"  # the others are still there
    # Serialised with the YAML key names (what /api/personas shows).
    assert personas["espiegle"].model_dump()["register"] == "vous"


def test_brand_only_persona_is_added(tmp_path: Path) -> None:
    (tmp_path / "quebecois.yaml").write_text(BRAND_PERSONA.replace("name: espiegle", "name: quebecois"), "utf-8")
    assert "quebecois" in load_personas([tmp_path])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("humor: 1", "humor: 7"), "humor"),
        (("register: vous", "register: toi"), "register"),
        (("emoji: none", "emoji: lots"), "emoji"),
        (('  en: "Hello there {name}!"\n', ""), "greeting.en"),
        (("avoid:", "colour: blue\navoid:"), "colour"),
        (("name: espiegle", "name: autre"), "name"),
    ],
)
def test_validation_error_names_the_file_and_the_field(tmp_path: Path, change: tuple[str, str], field: str) -> None:
    path = tmp_path / "espiegle.yaml"
    path.write_text(BRAND_PERSONA.replace(*change), encoding="utf-8")
    with pytest.raises(PersonaError) as err:
        load_personas([tmp_path])
    assert err.value.path == str(path)
    assert err.value.field == field
    assert str(path) in str(err.value) and field in str(err.value)


def test_emoji_in_greeting_contradicting_policy_none_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "espiegle.yaml"
    path.write_text(BRAND_PERSONA.replace("Allo {name}!", "Allo {name} 🥕"), encoding="utf-8")
    with pytest.raises(PersonaError, match="emoji"):
        load_personas([tmp_path])


def test_broken_yaml_is_reported_and_the_good_personas_still_load(tmp_path: Path) -> None:
    (tmp_path / "casse.yaml").write_text("name: casse\ngreeting: [unclosed", encoding="utf-8")
    personas, errors = scan_personas([tmp_path])
    assert "informatif" in personas and "casse" not in personas
    assert len(errors) == 1 and "casse.yaml" in str(errors[0]) and "YAML" in str(errors[0])


def test_unknown_persona_lists_the_known_ones() -> None:
    with pytest.raises(PersonaNotFound) as err:
        get_persona("sarcastique")
    assert "sarcastique" in str(err.value) and "informatif" in str(err.value)
