"""Reading timestamped series from a CSV for the ``msp-dsa`` command line.

A spend export is messy, so every refusal names the file, the line (1 = the header) and the
column, and nothing is guessed: a time that does not parse or a value that is not a number stops
the run instead of being skipped. Rows with the same series and time are summed (an export lists
one line per transaction; the series is spend per period).
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray


class InputError(ValueError):
    """Bad input, said so it can be fixed: file, line, column and what is wrong."""


@dataclass(frozen=True)
class Series:
    name: str
    times: NDArray[np.datetime64]
    values: NDArray[np.float64]
    rows: list[list[int]]
    """for each time, the 0-based data rows of the file that were summed into it."""


@dataclass(frozen=True)
class Table:
    series: list[Series]
    row_count: int
    header: list[str]
    rows: list[list[str]]


def parse_time(text: str) -> datetime:
    """ISO 8601 date or date-time; a time without offset is taken as UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def read_series(path: Path, time_col: str, value_col: str, series_col: str | None) -> Table:
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise InputError(f"{path}: the file is empty (a header line is needed)")
        columns = {name.strip(): i for i, name in enumerate(header)}
        for wanted in (time_col, value_col, series_col):
            if wanted is not None and wanted not in columns:
                raise InputError(
                    f"{path}:1: no column {wanted!r} in the header (columns: {', '.join(columns)})"
                )
        rows = list(reader)
    sums: dict[str, dict[datetime, float]] = defaultdict(lambda: defaultdict(float))
    members: dict[str, dict[datetime, list[int]]] = defaultdict(lambda: defaultdict(list))
    for i, row in enumerate(rows):
        line = i + 2
        name = _cell(path, line, row, columns, series_col) if series_col else ""
        raw_time = _cell(path, line, row, columns, time_col)
        try:
            when = parse_time(raw_time)
        except ValueError:
            raise InputError(
                f"{path}:{line}: column {time_col!r}: {raw_time!r} is not an ISO 8601 date or time"
            ) from None
        raw_value = _cell(path, line, row, columns, value_col)
        try:
            value = float(raw_value)
        except ValueError:
            raise InputError(f"{path}:{line}: column {value_col!r}: {raw_value!r} is not a number") from None
        if not math.isfinite(value):
            raise InputError(f"{path}:{line}: column {value_col!r}: {raw_value!r} is not a finite number")
        sums[name][when] += value
        members[name][when].append(i)
    series = []
    for name in sorted(sums):
        times = sorted(sums[name])
        series.append(
            Series(
                name=name,
                times=np.array([t.replace(tzinfo=None) for t in times], dtype="datetime64[s]"),
                values=np.array([sums[name][t] for t in times], dtype=np.float64),
                rows=[members[name][t] for t in times],
            )
        )
    return Table(series=series, row_count=len(rows), header=header, rows=rows)


def _cell(path: Path, line: int, row: list[str], columns: dict[str, int], name: str) -> str:
    index = columns[name]
    if index >= len(row) or row[index].strip() == "":
        raise InputError(f"{path}:{line}: column {name!r}: empty")
    return row[index]
