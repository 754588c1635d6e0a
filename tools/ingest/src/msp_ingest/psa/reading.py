"""What the three PSA importers share: one converter per entity, parameterised by a column map.

ConnectWise PSA, Autotask and HaloPSA export the same entities under different column names and
code lists. Each vendor module (``connectwise``, ``autotask``, ``halo``) only declares its columns
(``*Columns``) and its code lists (``Vocab``); the conversion rules live here once, so a rule
(for example "a non-billable entry bills zero hours") cannot drift between vendors.

Reading rules shared by every PSA kind:

* ``.json`` files are read as the REST APIs return them (a top-level array, or ``items`` /
  ``value`` / ``data`` / Halo's ``clients``, ``tickets``, ...); nested references are flattened to
  ``parent/child`` keys, so ``{"company": {"id": 250}}`` is the column ``company/id``.
  ``.csv`` files are read by header.
* Column names match ignoring case, spaces, ``_``, ``-``, ``/`` and ``.``: ``startDate``,
  ``start_date`` and ``Start Date`` are one column, and ``company/id`` is ``company_id``. Errors
  name the column as the file spells it.
* Ids are the vendor's own ids as strings, without a prefix (ConnectWise company ``250`` is
  ``"250"``); ``250.0`` from a spreadsheet is ``"250"``. The same id is used wherever the entity
  is referenced, so a time entry's ``client_id`` is the id the company import wrote.
* Code lists (agreement type, ticket status, billable option, ...) are matched by exact value,
  then by keyword; an unknown value rejects the row and names the ``--set`` that maps it, e.g.
  ``--set "agreement_type.Gold Support=managed_services"``.
* Amounts take their currency from the row's currency column, else ``--currency``; a row with an
  amount and neither is rejected, never assumed to be USD.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Mapping as AbcMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import pycountry
from tzlocal.windows_tz import win_tz

from msp_events.money import Money

from msp_ingest.importer import Fact
from msp_ingest.options import Options
from msp_ingest.rows import (
    FieldError,
    Row,
    parse_bool,
    parse_currency,
    parse_date,
    parse_datetime,
    parse_decimal,
    read_csv,
    read_json_records,
)

Cols = tuple[str, ...]
"""A column and its aliases; the first name is the one an error names when all are missing."""

T = TypeVar("T", bound=str)


CONTAINER_KEYS = (
    "items",
    "value",
    "data",
    "records",
    "clients",
    "contracts",
    "agents",
    "tickets",
    "actions",
    "invoices",
    "payments",
)


# --------------------------------------------------------------------------- reading


def norm(name: str) -> str:
    """The spelling-insensitive form of a column name."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


class Fields(AbcMapping[str, Any]):
    """A record's fields, looked up ignoring case and separators; iterates the file's own names."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data
        self._index: dict[str, str] = {}
        for key in data:
            self._index.setdefault(norm(key), key)

    def __getitem__(self, key: str) -> Any:
        if key in self._data:
            return self._data[key]
        return self._data[self._index[norm(key)]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def spelled(self, key: str) -> str:
        """``key`` as the file spells it."""
        return self._index.get(norm(key), key)

    def knows(self, key: str) -> bool:
        """The file has this column (possibly blank)."""
        return norm(key) in self._index


def flatten(record: AbcMapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested references become ``parent/child`` keys; lists stay as they are."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "/"))
        else:
            out[name] = value
    return out


def as_row(file: str, line: int, record: AbcMapping[str, Any]) -> Row:
    return Row(file, line, Fields(flatten(record)))


def read_records(path: Path) -> Iterator[Row]:
    """Rows of a PSA export, JSON (REST) or CSV, with spelling-insensitive fields."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        source: Iterable[Row] = read_json_records(path, container_keys=CONTAINER_KEYS)
    elif suffix == ".csv":
        source = read_csv(path)
    else:
        raise ValueError(f"{path}: expected a .csv or .json export")
    for row in source:
        yield as_row(row.file, row.line, row.fields)


def group_consecutive(rows: Iterable[Row], key: Cols, into: str) -> Iterator[Row]:
    """Line-level CSV (one row per invoice line, header columns repeated): consecutive rows with
    the same ``key`` become one row whose ``into`` list holds every line with its file line.

    Only consecutive rows are merged, so an exact repeat of a whole invoice later in the file is
    an exact duplicate (written once) and a different one is a conflict, never a silent merge.
    """
    current: Row | None = None
    lines: list[dict[str, Any]] = []
    current_key: str | None = None

    def emit() -> Row:
        assert current is not None
        return Row(current.file, current.line, Fields({**dict(current.fields), into: lines}))

    for row in rows:
        value = row.get(*key)
        row_key = None if value is None else str(value)
        if current is not None and row_key is not None and row_key == current_key:
            lines.append({**dict(row.fields), "__line__": row.line})
            continue
        if current is not None:
            yield emit()
        current, current_key = row, row_key
        lines = [{**dict(row.fields), "__line__": row.line}]
    if current is not None:
        yield emit()


def children(row: Row, key: Cols) -> list[Row]:
    """Embedded records (invoice lines, agreement additions) as rows that keep their own position."""
    value = row.get(*key) if key else None
    if value is None:
        return []
    if not isinstance(value, list):
        raise FieldError(key[0], "is not a list of records")
    out = []
    for number, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            raise FieldError(key[0], f"entry {number} is not a record")
        record = {k: v for k, v in item.items() if not k.startswith("__")}
        file = str(item.get("__file__", row.file))
        out.append(as_row(file, int(item.get("__line__", number)), record))
    return out


def where(child: Row, parent: Row, what: str) -> str:
    if child.file != parent.file:
        return f"{what} at {Path(child.file).name} line {child.line}"
    if child.line != parent.line and parent.file.lower().endswith(".csv"):
        return f"{what} at line {child.line}"
    return f"{what} {child.line}"


@contextmanager
def within(child: Row, parent: Row, what: str) -> Iterator[None]:
    """A field error inside names the embedded record (``invoice line at line 7``)."""
    try:
        yield
    except FieldError as exc:
        raise FieldError(exc.field, f"{exc.reason} ({where(child, parent, what)})") from None


# --------------------------------------------------------------------------- fields


def spelled(row: Row, cols: Cols) -> str | None:
    """The column of ``cols`` that has a value in this row, as the file spells it."""
    for name in cols:
        if row.get(name) is not None:
            return row.fields.spelled(name) if isinstance(row.fields, Fields) else name
    return None


def col(row: Row, cols: Cols) -> str:
    """The column to name in an error: the one with a value, else one the file has, else the first."""
    found = spelled(row, cols)
    if found is not None:
        return found
    if isinstance(row.fields, Fields):
        for name in cols:
            if row.fields.knows(name):
                return row.fields.spelled(name)
    return cols[0] if cols else "(column)"


def has(row: Row, cols: Cols) -> bool:
    return bool(cols) and spelled(row, cols) is not None


def scalar(value: Any) -> Any:
    """A reference's display value: ``{"name": ...}`` or the first of a list of them."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name", value.get("id"))
    return value


def id_text(name: str, value: Any) -> str:
    value = scalar(value)
    if isinstance(value, bool) or value is None:
        raise FieldError(name, f"{value!r} is not an id")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if re.fullmatch(r"-?\d+\.0+", text):
        text = text.split(".")[0]
    return text


def ident(row: Row, cols: Cols) -> str:
    name = col(row, cols)
    value = row.get(name) if cols else None
    if value is None:
        raise FieldError(name, "is missing")
    return id_text(name, value)


def opt_ident(row: Row, cols: Cols, *, none: tuple[str, ...] = ()) -> str | None:
    """An optional reference; ``none`` lists values meaning "no reference" (Halo contract 0/-1)."""
    if not has(row, cols):
        return None
    value = ident(row, cols)
    return None if value in none else value


def text(row: Row, cols: Cols) -> str:
    name = col(row, cols)
    value = scalar(row.get(name)) if cols else None
    if value is None or not str(value).strip():
        raise FieldError(name, "is missing")
    return str(value).strip()


def opt_text(row: Row, cols: Cols) -> str | None:
    return text(row, cols) if has(row, cols) else None


def day(row: Row, cols: Cols) -> date:
    """A date; an SQL date-time (``2026-01-05 14:30:00``, Halo exports) is cut to its date."""
    name = col(row, cols)
    raw = row.get(name) if cols else None
    if isinstance(raw, str) and re.match(r"^\d{4}-\d{2}-\d{2} \d", raw):
        return parse_datetime(row, name).date()
    return parse_date(row, name)


def opt_day(row: Row, cols: Cols) -> date | None:
    return day(row, cols) if has(row, cols) else None


def moment(row: Row, cols: Cols) -> datetime:
    return parse_datetime(row, col(row, cols))


def opt_moment(row: Row, cols: Cols) -> datetime | None:
    return moment(row, cols) if has(row, cols) else None


def number(row: Row, cols: Cols, *, minimum: Decimal | None = None) -> Decimal:
    return parse_decimal(row, col(row, cols), minimum=minimum)


def opt_number(row: Row, cols: Cols, *, minimum: Decimal | None = None) -> Decimal | None:
    return number(row, cols, minimum=minimum) if has(row, cols) else None


def flag(row: Row, cols: Cols) -> bool | None:
    return parse_bool(row, col(row, cols)) if has(row, cols) else None


def currency_of(row: Row, cols: Cols, options: Options, amount: str) -> str:
    """The row's currency column, else ``--currency``; neither is an error naming the amount."""
    if has(row, cols):
        return parse_currency(row, col(row, cols))
    if options.currency is None:
        raise FieldError(amount, "has no currency: give a currency column or --currency")
    return options.currency


def money(row: Row, cols: Cols, currency: Cols, options: Options, *, minimum: Decimal | None = None) -> Money:
    name = col(row, cols)
    amount = parse_decimal(row, name, minimum=minimum)
    return Money(amount=amount, currency=currency_of(row, currency, options, name))


def opt_money(
    row: Row, cols: Cols, currency: Cols, options: Options, *, minimum: Decimal | None = None
) -> Money | None:
    return money(row, cols, currency, options, minimum=minimum) if has(row, cols) else None


def midnight(day_: date) -> datetime:
    return datetime.combine(day_, time(0), tzinfo=UTC)


def setting(options: Options, name: str) -> str | None:
    """A ``--set`` value, the name matched ignoring case."""
    for key, value in options.extra.items():
        if key.lower() == name.lower():
            return value
    return None


@dataclass(frozen=True)
class Vocab(Generic[T]):
    """A vendor code list mapped to ours: exact codes first, then keywords contained in the value.

    ``--set "<setting>.<vendor value>=<ours>"`` adds or overrides an entry (PSA code lists are
    configurable per instance).
    """

    setting: str
    allowed: tuple[T, ...]
    exact: dict[str, T] = field(default_factory=dict)
    keywords: tuple[tuple[str, T], ...] = ()

    def lookup(self, row: Row, cols: Cols, options: Options) -> T | None:
        if not has(row, cols):
            return None
        name = col(row, cols)
        raw = str(scalar(row.get(name))).strip()
        override = setting(options, f"{self.setting}.{raw}")
        if override is not None:
            if override not in self.allowed:
                raise FieldError(
                    name, f"--set {self.setting}.{raw}={override}: use one of {', '.join(self.allowed)}"
                )
            return next(value for value in self.allowed if value == override)
        key = raw.lower()
        if key in self.exact:
            return self.exact[key]
        for keyword, value in self.keywords:
            if keyword in key:
                return value
        raise FieldError(
            name,
            f"{raw!r} is not a known {self.setting.replace('_', ' ')}; map it with "
            f'--set "{self.setting}.{raw}=VALUE" (VALUE one of {", ".join(self.allowed)})',
        )


#: Names an operator writes that are not ISO 3166 names (ISO reserves "UK" for the United Kingdom)
COUNTRY_ALIASES = {
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
}

#: Windows time-zone ids (what ConnectWise and Autotask show) → IANA, from CLDR's windowsZones as
#: tzlocal ships it, looked up without case
WINDOWS_ZONES = {name.lower(): zone for name, zone in win_tz.items()}
#: every IANA zone ``tzdata`` knows, looked up without case
IANA_ZONES = {zone.lower(): zone for zone in available_timezones()}


def country(row: Row, cols: Cols) -> str | None:
    """ISO 3166 alpha-2 from any ISO 3166 name, official or common name, or alpha-2/alpha-3/numeric
    code (``pycountry``), or UK / Great Britain; never a fuzzy guess (that maps "Republic of Korea"
    to the North)."""
    if not has(row, cols):
        return None
    name = col(row, cols)
    raw = str(scalar(row.get(name))).strip()
    code = COUNTRY_ALIASES.get(raw.lower())
    if code is not None:
        return code
    try:
        found = pycountry.countries.lookup(raw)
    except LookupError:
        raise FieldError(
            name, f"{raw!r} is not an ISO 3166 country name or code; use e.g. US, GB or Germany"
        ) from None
    return str(found.alpha_2)


def iana_zone(raw: str) -> str | None:
    """The IANA name of a Windows or IANA zone name (either spelled in any case); None if neither."""
    text_ = raw.strip()
    zone = WINDOWS_ZONES.get(text_.lower()) or IANA_ZONES.get(text_.lower())
    if zone is None:
        return None
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return zone


def time_zone(row: Row, cols: Cols) -> str | None:
    """IANA zone: any IANA name (``tzdata``), or any Windows zone id (CW/Autotask show
    ``Central Standard Time``) through CLDR's Windows → IANA map."""
    if not has(row, cols):
        return None
    name = col(row, cols)
    raw = str(scalar(row.get(name))).strip()
    zone = iana_zone(raw)
    if zone is None:
        raise FieldError(name, f"{raw!r} is not an IANA or Windows time zone")
    return zone


# --------------------------------------------------------------------------- the mapping


class Import:
    """One PSA export kind: read the vendor's records, convert each with the entity's converter."""

    def __init__(self, source: str, convert: Callable[[Row], Iterator[Fact]]) -> None:
        self.source = source
        self._convert = convert

    def rows(self, path: Path) -> Iterator[Row]:
        return read_records(path)

    def convert(self, row: Row) -> Iterator[Fact]:
        return self._convert(row)
