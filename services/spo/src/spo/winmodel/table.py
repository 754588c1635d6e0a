"""Reading a CRM export whatever its dialect: encoding and delimiter are sniffed, never assumed.

Every refusal is an ``InputError`` naming the file, the line (1 = the header) and the column, so
whoever exported the file can fix it; nothing here raises a traceback at a user.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
"""Tried in order: UTF-8 (with or without BOM), then the Windows and ISO Western code pages most
CRM exports from Excel use; latin-1 decodes any byte, so reading never fails on encoding."""
DELIMITERS = ",;\t|"


class InputError(ValueError):
    """Bad input, said so it can be fixed: file, line, column and what is wrong."""


@dataclass(frozen=True)
class RawTable:
    """The cells as text, one list per data row; ``lines[i]`` is row i's line in the file."""

    source: str
    header: list[str]
    rows: list[list[str]]
    lines: list[int]
    encoding: str
    delimiter: str

    def column(self, name: str) -> list[str]:
        j = self.header.index(name)
        return [row[j] for row in self.rows]


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with (UTF-16 only when it says so with a BOM)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def read_table(path: Path) -> RawTable:
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    return parse_table(path.read_bytes(), str(path))


def parse_table(data: bytes, source: str) -> RawTable:
    text, encoding = decode(data)
    if not text.strip():
        raise InputError(f"{source}: the file is empty (a header line and data rows are needed)")
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip() for name in next(reader)]
    seen: set[str] = set()
    for j, name in enumerate(header):
        if not name:
            raise InputError(f"{source}, line 1, column {j + 1}: the header has an empty column name")
        if name in seen:
            raise InputError(f"{source}, line 1, column {name!r}: the column name appears twice")
        seen.add(name)
    rows: list[list[str]] = []
    lines: list[int] = []
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            raise InputError(
                f"{source}, line {line}: {len(cells)} fields where the header has {len(header)} "
                f"(delimiter {delimiter!r})"
            )
        rows.append([cell.strip() for cell in cells])
        lines.append(line)
    if not rows:
        raise InputError(f"{source}: no data rows after the header")
    return RawTable(source, header, rows, lines, encoding, delimiter)
