"""Column types, detected from the text, and the numbers a model sees for each column.

Detection (on the training rows, kept in the model so scoring reads alike): a column whose
values are all yes/no, true/false, y/n, t/f or 1/0 is *boolean*; all numbers (``1,200.50``,
``$99``, ``12 %`` accepted) *numeric*; all dates (ISO, ``2026/11/02``, ``11/02/2026`` or
``02.11.2026``, one format per column) *date*; anything else *categorical*. Empty, ``NA``,
``N/A``, ``null``, ``none``, ``nan`` and ``-`` are missing in every type.

Encoding: a numeric or boolean cell is its value, a missing one the training median plus a
``missing`` indicator. A date on its own says *when*, not *how likely*: each date column becomes
its distance in days from the reference date column (``--time-col``, or the first date column),
which is how "age" and "days since last activity" enter an export. A category seen fewer than
``MIN_CATEGORY_ROWS`` times, or unseen at scoring time, counts as ``(other)``; a missing one as
``(missing)``. A categorical column with a distinct value on most rows is an identifier (a name,
an id) and is left out, as is a column with one value only; both are reported.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from spo.winmodel.table import InputError, RawTable

MISSING = frozenset({"", "na", "n/a", "null", "none", "nan", "-", "#n/a"})
TRUE = frozenset({"yes", "y", "true", "t", "1"})
FALSE = frozenset({"no", "n", "false", "f", "0"})
DATE_FORMATS = ("iso", "%Y/%m/%d", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y")
MIN_CATEGORY_ROWS = 2
MAX_CATEGORIES = 40
OTHER, MISSING_LABEL = "(other)", "(missing)"
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")

Kind = Literal["numeric", "boolean", "date", "categorical"]


def is_missing(text: str) -> bool:
    return text.strip().lower() in MISSING


def parse_number(text: str) -> float | None:
    """The number a cell holds, or None; currency signs, spaces, ``%`` and 1,000s commas allowed."""
    t = text.strip().replace(" ", "").replace("\u00a0", "")
    t = t.lstrip("$€£").rstrip("%").lstrip("$€£")
    if _GROUPED.match(t):
        t = t.replace(",", "")
    if not _NUMBER.match(t):
        return None
    value = float(t)
    return value if math.isfinite(value) else None


def parse_boolean(text: str) -> float | None:
    t = text.strip().lower()
    return 1.0 if t in TRUE else 0.0 if t in FALSE else None


def parse_date(text: str, fmt: str) -> date | None:
    t = text.strip()
    try:
        if fmt == "iso":
            return (
                datetime.fromisoformat(t.replace("Z", "+00:00")).date()
                if "T" in t or " " in t
                else (date.fromisoformat(t))
            )
        return datetime.strptime(t, fmt).date()
    except ValueError:
        return None


@dataclass
class ColumnSpec:
    """How one input column becomes numbers; stored in the model JSON as is."""

    name: str
    kind: Kind
    fill: float = 0.0
    """numeric/boolean/date: the value a missing cell takes (training median)"""
    date_format: str | None = None
    reference: str | None = None
    """date: the reference date column the distance is measured from"""
    categories: list[str] = field(default_factory=list)

    def design_names(self) -> list[str]:
        if self.kind == "categorical":
            return [f"{self.name}={c}" for c in [*self.categories, OTHER, MISSING_LABEL]]
        if self.kind == "date":
            return [f"{self.name} (days from {self.reference})", f"{self.name} missing"]
        return [self.name, f"{self.name} missing"]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "fill": self.fill,
            "date_format": self.date_format,
            "reference": self.reference,
            "categories": list(self.categories),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ColumnSpec:
        return cls(
            name=data["name"],
            kind=data["kind"],
            fill=float(data["fill"]),
            date_format=data["date_format"],
            reference=data["reference"],
            categories=list(data["categories"]),
        )


@dataclass(frozen=True)
class Detected:
    features: list[ColumnSpec]
    reference: ColumnSpec | None
    """the reference date column (used for distances and out-of-time order, not a feature)"""
    left_out: dict[str, str]
    """column -> why it is not a feature"""


def detect_kind(values: list[str]) -> tuple[Kind, str | None]:
    present = [v for v in values if not is_missing(v)]
    if all(parse_boolean(v) is not None for v in present):
        return "boolean", None
    if all(parse_number(v) is not None for v in present):
        return "numeric", None
    for fmt in DATE_FORMATS:
        if all(parse_date(v, fmt) is not None for v in present):
            return "date", fmt
    return "categorical", None


def detect(table: RawTable, exclude: set[str], time_col: str | None) -> Detected:
    """Types and encodings of every column but ``exclude`` (target, dropped), from the training rows."""
    kinds: dict[str, tuple[Kind, str | None]] = {}
    left_out: dict[str, str] = {}
    for name in table.header:
        if name in exclude:
            continue
        values = table.column(name)
        present = [v for v in values if not is_missing(v)]
        if len(set(present)) <= 1:
            left_out[name] = "a single value on every row" if present else "empty on every row"
            continue
        kinds[name] = detect_kind(values)
    if time_col is not None:
        kind = kinds.get(time_col, ("missing", None))[0]
        if kind != "date":
            raise InputError(
                f"{table.source}, line 2, column {time_col!r}: --time-col must be a date column "
                f"(ISO 2026-11-02, 2026/11/02, 11/02/2026 or 02.11.2026), it reads as {kind}"
            )
    dates = [n for n, (k, _) in kinds.items() if k == "date"]
    ref_name = time_col or (dates[0] if dates else None)
    reference = None
    features: list[ColumnSpec] = []
    for name, (kind, fmt) in kinds.items():
        values = table.column(name)
        if name == ref_name:
            reference = ColumnSpec(name, "date", date_format=fmt)
            left_out[name] = "the reference date: other dates are measured from it"
            continue
        if kind == "categorical":
            counts = Counter(v for v in values if not is_missing(v))
            if len(counts) > max(20, len(values) // 2):
                left_out[name] = f"an identifier ({len(counts)} distinct values in {len(values)} rows)"
                continue
            kept = sorted(
                (c for c, n in counts.items() if n >= MIN_CATEGORY_ROWS), key=lambda c: (-counts[c], c)
            )
            features.append(ColumnSpec(name, kind, categories=kept[:MAX_CATEGORIES]))
            continue
        spec = ColumnSpec(name, kind, date_format=fmt, reference=ref_name if kind == "date" else None)
        raw = cell_values(spec, values, table, reference)
        present_values = raw[~np.isnan(raw)]
        spec.fill = float(np.median(present_values)) if present_values.size else 0.0
        features.append(spec)
    return Detected(features, reference, left_out)


def cell_values(
    spec: ColumnSpec, values: list[str], table: RawTable, reference: ColumnSpec | None
) -> NDArray[np.float64]:
    """The column as floats (NaN = missing); a cell that does not parse stops with its line."""
    out = np.full(len(values), np.nan)
    ref_days: list[float | None] | None = None
    if spec.kind == "date":
        if reference is None:
            raise InputError(f"{table.source}: date column {spec.name!r} needs a reference date column")
        ref_days = [_days(v, reference, table, i) for i, v in enumerate(table.column(reference.name))]
    for i, text in enumerate(values):
        if is_missing(text):
            continue
        if spec.kind == "numeric":
            value = parse_number(text)
            what = "a number"
        elif spec.kind == "boolean":
            value = parse_boolean(text)
            what = "yes/no, true/false or 1/0"
        else:
            assert ref_days is not None
            days = _days(text, spec, table, i)
            if days is None or ref_days[i] is None:
                continue  # this date or the reference date is missing: the distance is unknown
            out[i] = days - (ref_days[i] or 0.0)
            continue
        if value is None:
            raise InputError(
                f"{table.source}, line {table.lines[i]}, column {spec.name!r}: {text!r} is not {what} "
                f"(the column is {spec.kind})"
            )
        out[i] = value
    return out


def _days(text: str, spec: ColumnSpec, table: RawTable, i: int) -> float | None:
    if is_missing(text):
        return None
    parsed = parse_date(text, spec.date_format or "iso")
    if parsed is None:
        raise InputError(
            f"{table.source}, line {table.lines[i]}, column {spec.name!r}: {text!r} is not a date "
            f"in the column's format ({spec.date_format})"
        )
    return float(parsed.toordinal())


def design_matrix(
    specs: list[ColumnSpec], reference: ColumnSpec | None, table: RawTable
) -> NDArray[np.float64]:
    """The numbers the model sees, one row per data row, ``design_names`` order."""
    missing_cols = [s.name for s in specs if s.name not in table.header]
    if reference is not None and any(s.kind == "date" for s in specs) and reference.name not in table.header:
        missing_cols.append(reference.name)
    if missing_cols:
        raise InputError(
            f"{table.source}, line 1: no column {', '.join(map(repr, missing_cols))} (the model uses it)"
        )
    blocks: list[NDArray[np.float64]] = []
    for spec in specs:
        values = table.column(spec.name)
        if spec.kind == "categorical":
            index = {c: j for j, c in enumerate(spec.categories)}
            other, missing = len(spec.categories), len(spec.categories) + 1
            block = np.zeros((len(values), len(spec.categories) + 2))
            for i, text in enumerate(values):
                block[i, missing if is_missing(text) else index.get(text, other)] = 1.0
            blocks.append(block)
            continue
        raw = cell_values(spec, values, table, reference)
        absent = np.isnan(raw)
        blocks.append(np.column_stack([np.where(absent, spec.fill, raw), absent.astype(np.float64)]))
    return np.hstack(blocks) if blocks else np.zeros((len(table.rows), 0))


def group_slices(specs: list[ColumnSpec]) -> list[tuple[str, slice]]:
    """Which design columns belong to which input column (explanations are per input column)."""
    out, start = [], 0
    for spec in specs:
        width = len(spec.design_names())
        out.append((spec.name, slice(start, start + width)))
        start += width
    return out
