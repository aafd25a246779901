from __future__ import annotations

from pathlib import Path

from knowledge.loaders import detect_lang, load_path

from .conftest import SAMPLES


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_sample_brand_loads_without_errors() -> None:
    report = load_path(SAMPLES)
    assert report.errors == []
    faq = [e for e in report.entries if e.kind == "faq"]
    viral = [e for e in report.entries if e.kind == "viral"]
    assert len(faq) >= 24 and 5 <= len(viral) <= 8
    assert {e.lang for e in faq} == {"fr", "en"}
    assert all(e.brand == "panier_boreal" for e in report.entries)
    for entry in viral:
        assert entry.meta["platform"] in {"facebook", "instagram", "x"}
        assert str(entry.meta["url"]).startswith("https://")
        assert all(isinstance(entry.meta[k], int) for k in ("likes", "shares", "replies"))


def test_markdown_headings_become_questions_with_ids_and_errors_have_lines(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "faq.md",
        "---\nlang: fr\n---\n# Livraison\n\n## Livrez-vous le dimanche? {#dimanche}\nNon, du lundi au vendredi.\n\n"
        "## Do you sell gift cards?\nYes, from $20.\n\n## Question sans réponse\n",
    )
    report = load_path(path)
    assert [(e.id, e.question, e.answer) for e in report.entries] == [
        ("dimanche", "Livrez-vous le dimanche?", "Non, du lundi au vendredi."),
        ("do-you-sell-gift-cards", "Do you sell gift cards?", "Yes, from $20."),
    ]
    assert [(Path(e.file).name, e.line) for e in report.errors] == [("faq.md", 12)]
    assert "answer" in report.errors[0].message


def test_yaml_bad_entry_reported_with_its_line_and_others_kept(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "viral.yaml",
        "entries:\n  - id: ok\n    question: Hi?\n    answer: Hello!\n    likes: 12\n"
        "  - id: bad\n    question: Combien?\n    answer: Beaucoup\n    likes: beaucoup\n",
    )
    report = load_path(path)
    assert [e.id for e in report.entries] == ["ok"]
    assert report.entries[0].kind == "viral"  # from the file name
    assert report.entries[0].meta["likes"] == 12
    assert [(e.line, "likes" in e.message) for e in report.errors] == [(6, True)]


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    report = load_path(_write(tmp_path, "kb.yaml", "- id: a\n  question: [oops\n  answer: b\n"))
    assert report.entries == [] and report.errors[0].line >= 2


def test_csv_rows_with_errors_keep_the_rest(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "kb.csv",
        'id,question,answer,lang\np1,Vendez-vous du pain?,"Oui, le vendredi.",fr\n'
        "p2,Do you have bread?,,en\np3,too,many,cells,here\n"
        "p4,Do you deliver on Sundays?,No.,english\n",
    )
    report = load_path(path)
    assert [e.id for e in report.entries] == ["p1"]
    assert [(e.line, e.message.split()[0]) for e in report.errors] == [(3, "missing"), (4, "expected"), (5, "'lang'")]


def test_jsonl_dev_format_and_broken_lines(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "kb.jsonl",
        '{"id": "a", "question": "Où livrez-vous?", "answer": "À Montréal et à Laval."}\n'
        '{"id": "b", "question": "broken"\n'
        "\n"
        '{"id": "c", "lang": "en", "question": "Refunds?", "answer": "Within 48 hours.", "collection": "nope"}\n'
        '{"id": "d", "question": "Any viral answer?", "answer": "Yes!", "kind": "viral", '
        '"platform": "x", "shares": "1,200"}\n',
    )
    report = load_path(path)
    assert [(e.id, e.lang, e.kind) for e in report.entries] == [("a", "fr", "faq"), ("d", "en", "viral")]
    assert report.entries[1].meta["shares"] == 1200
    assert [e.line for e in report.errors] == [2, 4]
    assert "invalid JSON" in report.errors[0].message


def test_language_detection_french_english_and_emoji() -> None:
    assert detect_lang("Est-ce que vous livrez à Sherbrooke?") == "fr"
    assert detect_lang("Do you deliver to Sherbrooke?") == "en"
    assert detect_lang("🥕🥕🥕") is None


def test_missing_file_and_unknown_suffix_are_errors(tmp_path: Path) -> None:
    assert load_path(tmp_path / "nope.md").errors[0].message == "no such file or folder"
    assert "unsupported" in load_path(_write(tmp_path, "kb.txt", "x")).errors[0].message
