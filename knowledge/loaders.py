"""Read knowledge files (Markdown, YAML, CSV, JSONL) into `Entry` objects.

A bad row never stops an import: it becomes a `RowError(file, line, message)` and the other
rows are kept. Rows without `lang` get one from a French/English detector.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.lang import detect_lang as detect_lang  # re-exported for this module's callers
from knowledge.store import KINDS, Entry, MetaValue

SUFFIXES = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".csv": "csv",
    ".jsonl": "jsonl",
}
_INT_FIELDS = ("likes", "shares", "replies")
_KNOWN = {"id", "lang", "question", "answer", "collection", "kind", "brand"}


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class LoadReport:
    entries: list[Entry] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def extend(self, other: LoadReport) -> None:
        self.entries.extend(other.entries)
        self.errors.extend(other.errors)


def slugify(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:80]


def _scalar(value: Any) -> MetaValue | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bool | int | float | str):
        return value
    return None


def entry_from_row(row: dict[str, Any], default_kind: str, default_lang: str | None, source: str) -> Entry:
    """Validate one row; raises ValueError with a message fit for the user."""
    if not isinstance(row, dict):
        raise ValueError(f"expected a mapping of fields, got {type(row).__name__}")
    question = str(row.get("question") or "").strip()
    answer = str(row.get("answer") or "").strip()
    kind = str(row.get("collection") or row.get("kind") or default_kind).strip()
    if kind not in KINDS:
        raise ValueError(f"unknown collection {kind!r} (expected {', '.join(KINDS)})")
    if not answer:
        raise ValueError("missing 'answer'")
    if not question and kind != "replies":
        raise ValueError("missing 'question'")
    raw_id = row.get("id")
    entry_id = str(raw_id).strip() if raw_id not in (None, "") else slugify(question or answer)
    if not entry_id:
        raise ValueError("no 'id' and nothing to derive one from")
    lang = str(row.get("lang") or default_lang or "").strip().lower() or None
    if lang and not re.fullmatch(r"[a-z]{2}", lang):
        raise ValueError(f"'lang' must be a two-letter code such as fr or en, got {lang!r}")
    if lang is None:
        lang = detect_lang(f"{question}\n{answer}")
    meta: dict[str, MetaValue] = {"source": source}
    for key, value in row.items():
        if key in _KNOWN:
            continue
        if key in _INT_FIELDS and value not in (None, ""):
            try:
                meta[key] = int(str(value).replace(",", "").replace(" ", ""))
            except ValueError:
                raise ValueError(f"{key!r} must be a whole number, got {value!r}") from None
            continue
        scalar = _scalar(value)
        if scalar is not None and scalar != "":
            meta[str(key)] = scalar
    brand = str(row["brand"]).strip() if row.get("brand") else None
    return Entry(id=entry_id, question=question, answer=answer, lang=lang, kind=kind, brand=brand, meta=meta)


def _collect(rows: Iterator[tuple[int, Any]], name: str, default_kind: str, default_lang: str | None) -> LoadReport:
    report = LoadReport()
    for line, row in rows:
        try:
            report.entries.append(entry_from_row(row, default_kind, default_lang, f"{name}:{line}"))
        except ValueError as exc:
            report.errors.append(RowError(name, line, str(exc)))
    return report


def _front_matter(text: str) -> tuple[dict[str, Any], int, str]:
    """Split `---` YAML front matter off; returns (fields, lines consumed, rest)."""
    if not text.startswith("---"):
        return {}, 0, text
    lines = text.splitlines(keepends=True)
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            data = yaml.safe_load("".join(lines[1:i])) or {}
            if not isinstance(data, dict):
                raise ValueError("front matter must be a mapping")
            return data, i + 1, "".join(lines[i + 1 :])
    raise ValueError("front matter opened with --- is never closed")


_HEADING = re.compile(r"^(#{1,2})\s+(.*?)\s*(?:\{#([A-Za-z0-9._:-]+)\})?\s*#*\s*$")


def load_markdown(text: str, name: str, default_kind: str, default_lang: str | None) -> LoadReport:
    """`#`/`##` headings are questions and the text under them answers; `{#id}` after a heading sets its id."""
    try:
        front, offset, body = _front_matter(text)
    except (ValueError, yaml.YAMLError) as exc:
        return LoadReport(errors=[RowError(name, 1, f"front matter: {exc}")])
    default_kind = str(front.get("collection") or front.get("kind") or default_kind)
    default_lang = str(front.get("lang") or default_lang or "") or None
    brand = front.get("brand")
    sections: list[tuple[int, int, str, str | None, list[str]]] = []
    in_fence = False
    for number, raw in enumerate(body.splitlines(), start=offset + 1):
        if raw.lstrip().startswith("```"):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(raw)
        if match:
            sections.append((number, len(match.group(1)), match.group(2), match.group(3), []))
        elif sections:
            sections[-1][4].append(raw)
    rows: list[tuple[int, Any]] = []
    for i, (line, level, heading, heading_id, body_lines) in enumerate(sections):
        answer = "\n".join(body_lines).strip()
        if not answer and i + 1 < len(sections) and sections[i + 1][1] > level:
            continue  # a section title (e.g. "# Livraison") over `##` question headings
        row: dict[str, Any] = {"question": heading, "answer": answer}
        if heading_id:
            row["id"] = heading_id
        if brand:
            row["brand"] = brand
        rows.append((line, row))
    return _collect(iter(rows), name, default_kind, default_lang)


def load_yaml(text: str, name: str, default_kind: str, default_lang: str | None) -> LoadReport:
    """A list of entries, or a mapping with `entries:` and defaults (`lang`, `collection`, `brand`)."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return LoadReport(errors=[RowError(name, (mark.line + 1) if mark else 1, f"invalid YAML: {exc}")])
    finally:
        loader.dispose()
    if root is None:
        return LoadReport()
    items: Any = root
    defaults: dict[str, Any] = {}
    if isinstance(root, yaml.MappingNode):
        for key_node, value_node in root.value:
            if key_node.value == "entries":
                items = value_node
            else:
                defaults[key_node.value] = loader.construct_object(value_node, deep=True)
        if items is root:
            return LoadReport(errors=[RowError(name, root.start_mark.line + 1, "expected a list or 'entries:'")])
    if not isinstance(items, yaml.SequenceNode):
        return LoadReport(errors=[RowError(name, items.start_mark.line + 1, "expected a list of entries")])
    default_kind = str(defaults.get("collection") or defaults.get("kind") or default_kind)
    default_lang = str(defaults.get("lang") or default_lang or "") or None
    rows: list[tuple[int, Any]] = []
    for node in items.value:
        value = loader.construct_object(node, deep=True)
        if isinstance(value, dict) and defaults.get("brand") and not value.get("brand"):
            value["brand"] = defaults["brand"]
        rows.append((node.start_mark.line + 1, value))
    return _collect(iter(rows), name, default_kind, default_lang)


def load_csv(text: str, name: str, default_kind: str, default_lang: str | None) -> LoadReport:
    """A header row (id, question, answer, lang, collection, platform, url, date, likes…) then rows."""
    reader = csv.reader(io.StringIO(text))
    report = LoadReport()
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return report
    except csv.Error as exc:
        return LoadReport(errors=[RowError(name, 1, f"invalid CSV header: {exc}")])
    if "answer" not in header:
        return LoadReport(errors=[RowError(name, 1, f"the header names no 'answer' column: {header}")])
    rows: list[tuple[int, Any]] = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            report.errors.append(RowError(name, start, f"invalid CSV: {exc}"))
            continue
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            report.errors.append(RowError(name, start, f"expected {len(header)} columns, got {len(cells)}"))
            continue
        rows.append((start, dict(zip(header, cells, strict=True))))
    report.extend(_collect(iter(rows), name, default_kind, default_lang))
    return report


def load_jsonl(text: str, name: str, default_kind: str, default_lang: str | None) -> LoadReport:
    """One JSON object per line: {"id","lang","question","answer"} plus optional source fields."""
    report = LoadReport()
    rows: list[tuple[int, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            report.errors.append(RowError(name, number, f"invalid JSON: {exc.msg} (column {exc.colno})"))
    report.extend(_collect(iter(rows), name, default_kind, default_lang))
    return report


_LOADERS = {"markdown": load_markdown, "yaml": load_yaml, "csv": load_csv, "jsonl": load_jsonl}


def load_file(path: Path, kind: str | None = None, lang: str | None = None) -> LoadReport:
    """Load one file; `kind` is the default collection (else the file's stem if it names one, else faq)."""
    fmt = SUFFIXES.get(path.suffix.lower())
    name = str(path)
    if fmt is None:
        return LoadReport(errors=[RowError(name, 0, f"unsupported file type {path.suffix!r}")])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return LoadReport(errors=[RowError(name, 0, f"cannot read: {exc}")])
    default_kind = kind or (path.stem if path.stem in KINDS else "faq")
    report = _LOADERS[fmt](text, name, default_kind, lang)
    report.errors.sort(key=lambda e: e.line)
    return report


def load_path(path: Path, kind: str | None = None, lang: str | None = None) -> LoadReport:
    """A file, or every supported file under a folder (sorted, so imports are reproducible)."""
    if path.is_dir():
        report = LoadReport()
        for child in sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()):
            report.extend(load_file(child, kind, lang))
        return report
    if not path.exists():
        return LoadReport(errors=[RowError(str(path), 0, "no such file or folder")])
    return load_file(path, kind, lang)
