"""`sowana ingest FILE`: import generic comments from a JSONL or CSV export."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import Engine

from bot.comments.ingest import CommentIn, ingest

CSV_AUTHOR_COLUMNS = ("author_id", "author_name")


@dataclass
class IngestReport:
    created: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)


def _validation_message(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}" for e in exc.errors())


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, row or an error message) for every record of a JSONL or CSV file."""
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            for row in reader:
                raw: dict[str, Any] = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
                if any(c in raw for c in CSV_AUTHOR_COLUMNS):
                    raw["author"] = {"id": raw.pop("author_id", ""), "name": raw.pop("author_name", "")}
                yield reader.line_num, raw
        return
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, f"invalid JSON: {exc.msg}"
                continue
            yield number, value if isinstance(value, dict) else "a row must be a JSON object"


def ingest_file(engine: Engine, path: Path, *, brand: str | None = None, progress: Any = None) -> IngestReport:
    report = IngestReport()
    for line, row in read_rows(path):
        if progress is not None:
            progress()
        if isinstance(row, str):
            report.errors.append((line, row))
            continue
        if brand and "brand" not in row:
            row["brand"] = brand
        try:
            data = CommentIn.model_validate(row)
        except ValidationError as exc:
            report.errors.append((line, _validation_message(exc)))
            continue
        _comment, created = ingest(engine, data, actor=f"import:{path.name}")
        if created:
            report.created += 1
        else:
            report.duplicates += 1
    return report


def count_records(path: Path) -> int:
    with path.open(encoding="utf-8-sig") as fh:
        lines = sum(1 for line in fh if line.strip())
    return max(0, lines - 1) if path.suffix.lower() == ".csv" else lines
