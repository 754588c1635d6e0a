"""Reading export files as numbered rows, and parsing their fields with errors that name the field.

Every importer reads through here so that a rejected row always says *where* it is (file, line or
record number) and *what* is wrong with which field, in words an operator can act on.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from msp_events.money import ISO_4217, Money


class FieldError(ValueError):
    """One field of one row is missing or malformed."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Row:
    """One record of an export: its fields and where it sits in the file (for the error report)."""

    file: str
    line: int
    fields: Mapping[str, Any]

    def get(self, name: str, *aliases: str) -> Any:
        """The first present, non-blank value among ``name`` and its aliases (exports rename columns)."""
        for key in (name, *aliases):
            value = self.fields.get(key)
            if value is not None and not (isinstance(value, str) and not value.strip()):
                return value.strip() if isinstance(value, str) else value
        return None

    def text(self, name: str, *aliases: str) -> str:
        value = self.get(name, *aliases)
        if value is None:
            raise FieldError(name, "is missing")
        return str(value)

    def optional_text(self, name: str, *aliases: str) -> str | None:
        value = self.get(name, *aliases)
        return None if value is None else str(value)


def read_csv(path: str | Path) -> Iterator[Row]:
    """Rows of a CSV export; ``line`` is the physical line where the record starts (header = 1)."""
    with Path(path).open(newline="", encoding="utf-8-sig") as file:
        yield from _csv_rows(str(path), file)


def _csv_rows(name: str, file: IO[str]) -> Iterator[Row]:
    reader = csv.DictReader(file)
    if reader.fieldnames is None:  # reads the header; an empty file has no rows
        return
    line = reader.line_num + 1
    for record in reader:
        yield Row(name, line, {k.strip(): v for k, v in record.items() if k is not None})
        line = reader.line_num + 1


def read_table(path: str | Path) -> Iterator[Row]:
    """Rows of a table as AWS delivers it: CSV, gzip-compressed CSV (``.csv.gz``), a ZIP holding one
    CSV (``.csv.zip``), or Parquet (``.parquet``, any codec pyarrow reads). CSV rows keep their
    physical line (header = 1); Parquet rows are numbered from 1. Parquet values come as text
    (timestamps in ISO 8601, numbers as their shortest exact decimal), maps as dicts."""
    name = str(path)
    lower = name.lower()
    if lower.endswith(".parquet"):
        yield from _parquet_rows(name)
    elif lower.endswith(".gz"):
        with gzip.open(path, "rt", newline="", encoding="utf-8-sig") as file:
            yield from _csv_rows(name, file)
    elif lower.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if not m.endswith("/")]
            if len(members) != 1:
                raise ValueError(f"{name}: expected one CSV in the ZIP, found {len(members)} files")
            with archive.open(members[0]) as raw:
                yield from _csv_rows(name, io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
    else:
        yield from read_csv(path)


def _parquet_value(value: Any) -> Any:
    if value is None or isinstance(value, str | dict):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as this double, never binary noise
    if isinstance(value, list) and all(isinstance(v, tuple) and len(v) == 2 for v in value):
        return {str(k): v for k, v in value}  # a Parquet map column
    return str(value)


def _parquet_rows(name: str) -> Iterator[Row]:
    import pyarrow.parquet as pq  # only Parquet exports need it

    table = pq.read_table(name)
    number = 0
    for batch in table.to_batches():
        for record in batch.to_pylist():
            number += 1
            yield Row(name, number, {str(k): _parquet_value(v) for k, v in record.items()})


def read_json_records(
    path: str | Path, *, container_keys: tuple[str, ...] = ("value", "items", "data")
) -> Iterator[Row]:
    """Records of a JSON export: a top-level array, or an object wrapping one (Graph ``value``,
    Pax8 ``content``); ``line`` is the 1-based record number."""
    name = str(path)
    document = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    records: Any = document
    if isinstance(document, dict):
        for key in (*container_keys, "content"):
            if isinstance(document.get(key), list):
                records = document[key]
                break
        else:
            raise ValueError(
                f"{name}: expected a JSON array of records or an object with one of {container_keys}"
            )
    if not isinstance(records, list):
        raise ValueError(f"{name}: expected a JSON array of records")
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            yield Row(name, number, {"__invalid__": record})
        else:
            yield Row(name, number, record)


_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y%m%d")


def parse_date(row: Row, name: str, *aliases: str, formats: tuple[str, ...] = _DATE_FORMATS) -> date:
    """A date in one of the export formats; ISO date-times are cut to their date."""
    raw = row.text(name, *aliases)
    value = raw[:10] if re.match(r"^\d{4}-\d{2}-\d{2}T", raw) else raw
    for fmt in formats:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise FieldError(name, f"{raw!r} is not a date (expected YYYY-MM-DD or MM/DD/YYYY)")


def optional_date(row: Row, name: str, *aliases: str) -> date | None:
    return None if row.get(name, *aliases) is None else parse_date(row, name, *aliases)


def parse_datetime(row: Row, name: str, *aliases: str) -> datetime:
    """An ISO 8601 timestamp; a naive one is taken as UTC (PSA exports are usually UTC)."""
    raw = row.text(name, *aliases)
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        try:
            value = datetime.combine(parse_date(row, name, *aliases), datetime.min.time())
        except FieldError:
            raise FieldError(name, f"{raw!r} is not a date-time (expected ISO 8601)") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def optional_datetime(row: Row, name: str, *aliases: str) -> datetime | None:
    return None if row.get(name, *aliases) is None else parse_datetime(row, name, *aliases)


def parse_decimal(row: Row, name: str, *aliases: str, minimum: Decimal | None = None) -> Decimal:
    """An exact number; thousands separators and a leading currency symbol are tolerated."""
    raw = row.text(name, *aliases)
    cleaned = re.sub(r"^[$€£]|,", "", raw.strip())
    if cleaned.startswith("(") and cleaned.endswith(")"):  # accounting negative
        cleaned = "-" + cleaned[1:-1]
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise FieldError(name, f"{raw!r} is not a number") from None
    if not value.is_finite():
        raise FieldError(name, f"{raw!r} is not a finite number")
    if minimum is not None and value < minimum:
        raise FieldError(name, f"{raw} is below {minimum}")
    return value


def optional_decimal(row: Row, name: str, *aliases: str, minimum: Decimal | None = None) -> Decimal | None:
    return None if row.get(name, *aliases) is None else parse_decimal(row, name, *aliases, minimum=minimum)


def parse_currency(row: Row, name: str, *aliases: str, default: str | None = None) -> str:
    value = row.get(name, *aliases)
    if value is None:
        if default is None:
            raise FieldError(name, "is missing")
        return default
    code = str(value).upper()
    if code not in ISO_4217:
        raise FieldError(name, f"unknown currency {value!r}: use an ISO 4217 code such as USD, EUR or GBP")
    return code


def parse_money(
    row: Row,
    amount: str,
    currency: str | None = None,
    *,
    default_currency: str | None = None,
    minimum: Decimal | None = None,
) -> Money:
    code = parse_currency(row, currency, default=default_currency) if currency else default_currency
    if code is None:
        raise FieldError(amount, "has no currency: give a currency column or --currency")
    return Money(amount=parse_decimal(row, amount, minimum=minimum), currency=code)


def parse_bool(row: Row, name: str, *aliases: str, default: bool | None = None) -> bool:
    value = row.get(name, *aliases)
    if value is None:
        if default is None:
            raise FieldError(name, "is missing")
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "y", "1", "t"):
        return True
    if text in ("false", "no", "n", "0", "f"):
        return False
    raise FieldError(name, f"{value!r} is not true/false")
