"""Helpers the licence importers share: JSON records flattened to dotted names, whole numbers,
the ``--set`` settings that are dates or mapping files."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from msp_ingest.options import Options
from msp_ingest.rows import FieldError, Row, parse_decimal, read_csv, read_json_records


def flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"prepaidUnits": {"enabled": 5}}`` → ``{"prepaidUnits.enabled": 5}``; lists stay as they are,
    so a JSON record and a CSV export with dotted column names read the same way."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def read_records(path: Path) -> Iterator[Row]:
    """A ``.json`` export (array, or Graph ``value`` / Pax8 ``content``) or a CSV export."""
    if path.suffix.lower() == ".json":
        for row in read_json_records(path):
            yield Row(row.file, row.line, flatten(dict(row.fields)))
    else:
        yield from read_csv(path)


def parse_count(row: Row, name: str, *aliases: str) -> int:
    """A whole, non-negative number of seats or units (``5``, ``"5"``, ``5.0``)."""
    value = parse_decimal(row, name, *aliases)
    if value != value.to_integral_value():
        raise FieldError(name, f"{value} is not a whole number")
    if value < 0:
        raise FieldError(name, f"{value} is negative: a count of seats cannot be")
    return int(value)


def optional_count(row: Row, name: str, *aliases: str) -> int | None:
    return None if row.get(name, *aliases) is None else parse_count(row, name, *aliases)


def setting_time(options: Options, name: str) -> datetime:
    """``--set NAME=ISO`` as an aware time; without it, midnight UTC of the import date.

    A file's mtime differs between machines and copies, so it is never used: the default keeps a
    re-import on the same day identical, and the option makes any re-import identical.
    """
    raw = options.extra.get(name)
    if raw is None:
        return datetime.combine(datetime.now(UTC).date(), time(0), tzinfo=UTC)
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--set {name}={raw!r} is not an ISO 8601 date or date-time") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def read_map(
    options: Options, name: str, key: str, columns: tuple[str, ...]
) -> dict[str, dict[str, str]] | None:
    """The CSV a ``--set NAME=FILE.csv`` names, by its ``key`` column; None when not given."""
    raw = options.extra.get(name)
    if raw is None:
        return None
    table: dict[str, dict[str, str]] = {}
    with Path(raw).open(newline="", encoding="utf-8-sig") as file:
        reader = csv.DictReader(file)
        missing = [c for c in (key, *columns) if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"--set {name}={raw}: the CSV needs the column(s) {', '.join(missing)}")
        for record in reader:
            ident = (record.get(key) or "").strip()
            if ident:
                table[ident.lower()] = {k: (v or "").strip() for k, v in record.items() if k}
    return table
