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
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from msp_events.money import Money
from msp_events.types.billing import InvoiceIssued, InvoiceLine, PaymentReceived
from msp_events.types.psa import (
    Addition,
    AgreementUpserted,
    ClientUpserted,
    CostRate,
    TechnicianUpserted,
    TicketUpdated,
    TimeEntryLogged,
)
from msp_events.types.psa import BillableOption as BillableOption

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

ClientStatus = Literal["prospect", "active", "inactive", "churned"]
AgreementKind = Literal["managed_services", "block_hours", "time_and_materials", "project"]
AGREEMENT_KINDS: tuple[AgreementKind, ...] = (
    "managed_services",
    "block_hours",
    "time_and_materials",
    "project",
)
BillingCycle = Literal["monthly", "quarterly", "semi_annual", "annual", "one_time"]
BillCustomer = Literal["billable", "do_not_bill", "no_charge"]
Priority = Literal["p1", "p2", "p3", "p4"]
TicketStatus = Literal["new", "in_progress", "scheduled", "waiting", "resolved", "closed"]
TicketType = Literal["incident", "service_request", "problem", "change", "alert"]
LineType = Literal["agreement_fee", "labour", "product", "licence", "expense", "other"]
PaymentMethod = Literal["ach", "card", "check", "wire", "other"]

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


COUNTRIES = {
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "canada": "CA",
    "united kingdom": "GB",
    "uk": "GB",
    "great britain": "GB",
    "ireland": "IE",
    "australia": "AU",
    "new zealand": "NZ",
    "germany": "DE",
    "netherlands": "NL",
    "france": "FR",
    "south africa": "ZA",
}

WINDOWS_ZONES = {
    "eastern standard time": "America/New_York",
    "central standard time": "America/Chicago",
    "mountain standard time": "America/Denver",
    "us mountain standard time": "America/Phoenix",
    "pacific standard time": "America/Los_Angeles",
    "gmt standard time": "Europe/London",
    "w. europe standard time": "Europe/Berlin",
    "aus eastern standard time": "Australia/Sydney",
    "new zealand standard time": "Pacific/Auckland",
}


def country(row: Row, cols: Cols) -> str | None:
    """ISO 3166 alpha-2: a two-letter code as is, or a common country name."""
    if not has(row, cols):
        return None
    name = col(row, cols)
    raw = str(scalar(row.get(name))).strip()
    if re.fullmatch(r"[A-Za-z]{2}", raw):
        return raw.upper()
    code = COUNTRIES.get(raw.lower())
    if code is None:
        raise FieldError(name, f"{raw!r} is not a country we can map to an ISO 3166 code; use e.g. US or GB")
    return code


def time_zone(row: Row, cols: Cols) -> str | None:
    """IANA zone: as is, or a Windows zone name (what ConnectWise shows) translated."""
    if not has(row, cols):
        return None
    name = col(row, cols)
    raw = str(scalar(row.get(name))).strip()
    zone = WINDOWS_ZONES.get(raw.lower(), raw)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise FieldError(name, f"{raw!r} is not an IANA or Windows time zone") from None
    return zone


# --------------------------------------------------------------------------- clients


@dataclass(frozen=True)
class ClientColumns:
    id: Cols
    name: Cols
    created: Cols
    #: company type (Client / Prospect / Former Client ...) → relationship status
    kind: Cols = ()
    kinds: Vocab[ClientStatus] | None = None
    #: status text → active / inactive (read only while the type says active)
    status: Cols = ()
    statuses: Vocab[ClientStatus] | None = None
    active: Cols = ()
    inactive: Cols = ()
    tier: Cols = ()
    industry: Cols = ()
    employees: Cols = ()
    address: Cols = ()
    city: Cols = ()
    state: Cols = ()
    postal: Cols = ()
    country: Cols = ()
    manager_id: Cols = ()
    manager_name: Cols = ()
    currency: Cols = ()
    churned_on: Cols = ()
    churn_reason: Cols = ()
    updated: Cols = ()


def client_status(row: Row, c: ClientColumns, options: Options) -> ClientStatus:
    status: ClientStatus = (c.kinds.lookup(row, c.kind, options) if c.kinds else None) or "active"
    if status == "active":
        if c.statuses is not None:
            status = c.statuses.lookup(row, c.status, options) or status
        if flag(row, c.active) is False or flag(row, c.inactive) is True:
            status = "inactive"
    if has(row, c.churned_on) and status in ("active", "inactive"):
        status = "churned"
    return status


def convert_client(row: Row, c: ClientColumns, options: Options) -> Iterator[Fact]:
    created = day(row, c.created)
    updated = opt_moment(row, c.updated)
    employees = opt_number(row, c.employees, minimum=Decimal(0))
    currency = parse_currency(row, col(row, c.currency)) if has(row, c.currency) else options.currency
    client = ClientUpserted(
        client_id=ident(row, c.id),
        name=text(row, c.name),
        status=client_status(row, c, options),
        tier=opt_text(row, c.tier),
        industry=opt_text(row, c.industry),
        employee_count=None if employees is None else int(employees),
        address_line1=opt_text(row, c.address),
        city=opt_text(row, c.city),
        state=opt_text(row, c.state),
        postal_code=opt_text(row, c.postal),
        country=country(row, c.country),
        account_manager_id=opt_ident(row, c.manager_id),
        account_manager_name=opt_text(row, c.manager_name),
        currency=currency,
        created_on=created,
        churned_on=opt_day(row, c.churned_on),
        churn_reason=opt_text(row, c.churn_reason),
        updated_at=updated,
    )
    yield Fact(client, updated or midnight(created))


# --------------------------------------------------------------------------- agreements


@dataclass(frozen=True)
class AdditionColumns:
    agreement: Cols
    product: Cols
    quantity: Cols
    unit_price: Cols
    unit_cost: Cols
    id: Cols = ()
    description: Cols = ()
    vendor_sku: Cols = ()
    effective: Cols = ()
    cancelled: Cols = ()
    bill: Cols = ()
    bills: Vocab[BillCustomer] | None = None
    currency: Cols = ()


@dataclass(frozen=True)
class AgreementColumns:
    id: Cols
    client: Cols
    name: Cols
    start: Cols
    bill_amount: Cols
    #: no fee column = no fixed fee (Autotask bills recurring contracts through their services)
    fee_optional: bool = False
    #: agreement type → our kind; without it the kind is inferred (see ``agreement_kind``)
    kind: Cols = ()
    kinds: Vocab[AgreementKind] | None = None
    cycle: Cols = ()
    cycles: Vocab[BillingCycle] | None = None
    parent: Cols = ()
    end: Cols = ()
    no_end: Cols = ()
    included_hours: Cols = ()
    #: when set, included_hours counts only if this column says "hours" (CW application_units)
    included_units: Cols = ()
    carry_over: Cols = ()
    hourly_rate: Cols = ()
    overage_rate: Cols = ()
    covers_labour: Cols = ()
    auto_renew: Cols = ()
    cancelled: Cols = ()
    cancelled_date: Cols = ()
    cancel_reason: Cols = ()
    #: active flag/status (Autotask ``status`` 1/0): inactive before the end date = cancelled
    active: Cols = ()
    opportunity: Cols = ()
    updated: Cols = ()
    currency: Cols = ()
    #: embedded list of additions (JSON), also where ``--set additions=FILE`` rows are attached
    additions: Cols = ("additions",)
    addition: AdditionColumns | None = None


def agreement_kind(
    row: Row, c: AgreementColumns, options: Options, fee: Money, hours: Decimal | None
) -> AgreementKind:
    """The type column through the vendor's code list; without one: a fee with included hours is
    block hours, a fee alone is managed services, no fee is time and materials."""
    if c.kinds is not None:
        kind = c.kinds.lookup(row, c.kind, options)
        if kind is not None:
            return kind
    configured = setting(options, f"agreement_type.{text(row, c.name)}")
    if configured is not None:
        for kind in AGREEMENT_KINDS:
            if kind == configured:
                return kind
        raise FieldError(
            col(row, c.name), f"--set agreement_type...={configured}: use one of {AGREEMENT_KINDS}"
        )
    if fee.amount > 0:
        return "block_hours" if hours else "managed_services"
    return "time_and_materials"


def convert_addition(row: Row, a: AdditionColumns, options: Options, fallback_currency: Cols) -> Addition:
    currency = a.currency if has(row, a.currency) else fallback_currency
    product = ident(row, a.product)
    return Addition(
        addition_id=opt_ident(row, a.id),
        product_id=product,
        description=opt_text(row, a.description) or product,
        quantity=number(row, a.quantity, minimum=Decimal(0)),
        unit_price=money(row, a.unit_price, currency, options),
        unit_cost=money(row, a.unit_cost, currency, options),
        vendor_sku=opt_text(row, a.vendor_sku),
        effective_date=opt_day(row, a.effective),
        cancelled_date=opt_day(row, a.cancelled),
        bill_customer=(a.bills.lookup(row, a.bill, options) if a.bills else None) or "billable",
    )


def convert_agreement(row: Row, c: AgreementColumns, options: Options) -> Iterator[Fact]:
    if row.get("__orphan__") is not None:
        raise FieldError(str(row.get("__orphan_field__")), str(row.get("__orphan__")))
    start = day(row, c.start)
    end = None if flag(row, c.no_end) else opt_day(row, c.end)
    updated = opt_moment(row, c.updated)
    if c.fee_optional and not has(row, c.bill_amount):
        fee = Money(
            amount=Decimal(0), currency=currency_of(row, c.currency, options, col(row, c.bill_amount))
        )
    else:
        fee = money(row, c.bill_amount, c.currency, options, minimum=Decimal(0))
    hours = None
    if has(row, c.included_hours) and (
        not c.included_units or str(scalar(row.get(*c.included_units)) or "").lower() == "hours"
    ):
        hours = number(row, c.included_hours, minimum=Decimal(0))
        hours = hours or None
    cancelled = bool(flag(row, c.cancelled))
    cancelled_date = opt_day(row, c.cancelled_date)
    if cancelled_date is not None:
        cancelled = True
    if not cancelled and has(row, c.active) and not active_value(row, c.active):
        # deactivated before it ran out: a cancellation, dated by the last change
        stopped = updated.date() if updated else None
        if end is not None and stopped is not None and stopped < end:
            cancelled, cancelled_date = True, stopped
    additions = []
    if c.addition is not None:
        for child in children(row, c.additions):
            with within(child, row, "addition"):
                additions.append(convert_addition(child, c.addition, options, c.currency))
    agreement = AgreementUpserted(
        agreement_id=ident(row, c.id),
        client_id=ident(row, c.client),
        name=text(row, c.name),
        agreement_type=agreement_kind(row, c, options, fee, hours),
        parent_agreement_id=opt_ident(row, c.parent, none=("0",)),
        start_date=start,
        end_date=end,
        billing_cycle=(c.cycles.lookup(row, c.cycle, options) if c.cycles else None) or "monthly",
        bill_amount=fee,
        included_hours=hours,
        carry_over_unused=flag(row, c.carry_over),
        hourly_rate=opt_money(row, c.hourly_rate, c.currency, options, minimum=Decimal(0)),
        overage_rate=opt_money(row, c.overage_rate, c.currency, options, minimum=Decimal(0)),
        covers_labour=flag(row, c.covers_labour),
        auto_renew=flag(row, c.auto_renew),
        cancelled=cancelled,
        cancelled_date=cancelled_date,
        cancellation_reason=opt_text(row, c.cancel_reason),
        additions=additions,
        opportunity_id=opt_ident(row, c.opportunity),
        updated_at=updated,
    )
    yield Fact(agreement, updated or midnight(start))


def active_value(row: Row, cols: Cols) -> bool:
    """An active flag or status: true/false, 1/0, or a word (Active / Inactive)."""
    name = col(row, cols)
    raw = str(scalar(row.get(name))).strip().lower()
    if raw in ("active", "1", "true", "yes", "y"):
        return True
    if raw in ("inactive", "0", "false", "no", "n", "cancelled", "canceled", "expired"):
        return False
    raise FieldError(name, f"{raw!r} is not active/inactive")


class AgreementImport:
    """Agreements with their additions: embedded (``additions`` list) or ``--set additions=FILE``.

    Additions rows are attached to their agreement's row (so the report shows them); an addition
    whose agreement is not in the export is rejected at its own line, never dropped.
    """

    def __init__(self, source: str, columns: AgreementColumns, options: Options) -> None:
        self.source = source
        self.columns = columns
        self.options = options
        self._pending: dict[str, list[Row]] | None = None
        self._missing: list[Row] = []

    def _load(self) -> dict[str, list[Row]]:
        if self._pending is None:
            self._pending = {}
            path = setting(self.options, "additions")
            a = self.columns.addition
            if path and a is not None:
                for row in read_records(Path(path)):
                    try:
                        key = ident(row, a.agreement)
                    except FieldError as exc:
                        self._missing.append(_orphan(row, exc.field, exc.reason))
                        continue
                    self._pending.setdefault(key, []).append(row)
        return self._pending

    def rows(self, path: Path) -> Iterator[Row]:
        pending = self._load()
        for row in read_records(path):
            key = opt_ident(row, self.columns.id) if has(row, self.columns.id) else None
            extra = pending.pop(key, []) if key is not None else []
            if extra:
                embedded = row.get(*self.columns.additions) or []
                attached = [{**dict(a.fields), "__file__": a.file, "__line__": a.line} for a in extra]
                fields = {**dict(row.fields), self.columns.additions[0]: [*embedded, *attached]}
                row = Row(row.file, row.line, Fields(fields))
            yield row
        for rows in pending.values():
            for row in rows:
                a = self.columns.addition
                assert a is not None
                name = col(row, a.agreement)
                self._missing.append(
                    _orphan(
                        row, name, f"agreement {ident(row, a.agreement)!r} is not in the agreements export"
                    )
                )
        pending.clear()
        yield from self._missing
        self._missing = []

    def convert(self, row: Row) -> Iterator[Fact]:
        return convert_agreement(row, self.columns, self.options)


def _orphan(row: Row, field_name: str, reason: str) -> Row:
    return Row(
        row.file, row.line, Fields({**dict(row.fields), "__orphan__": reason, "__orphan_field__": field_name})
    )


# --------------------------------------------------------------------------- technicians


@dataclass(frozen=True)
class TechnicianColumns:
    id: Cols
    #: display name, or first + last name columns
    name: Cols = ()
    first_name: Cols = ()
    last_name: Cols = ()
    email: Cols = ()
    role: Cols = ()
    time_zone: Cols = ()
    capacity: Cols = ()
    weekly_target: Cols = ()
    in_utilisation: Cols = ()
    hourly_cost: Cols = ()
    #: first work date the current hourly cost applies to; falls back to ``created``
    cost_from: Cols = ()
    created: Cols = ()
    hourly_rate: Cols = ()
    active: Cols = ()
    inactive: Cols = ()
    updated: Cols = ()
    currency: Cols = ()


@dataclass(frozen=True)
class CostHistoryColumns:
    member: Cols
    effective_from: Cols = ("effective_from", "effectiveDate", "effective_date")
    hourly_cost: Cols = ("hourly_cost", "hourlyCost", "cost")
    currency: Cols = ("currency",)


def technician_name(row: Row, c: TechnicianColumns) -> str:
    if has(row, c.name):
        return text(row, c.name)
    first, last = opt_text(row, c.first_name), opt_text(row, c.last_name)
    if first is None and last is None:
        raise FieldError(col(row, c.name or c.first_name), "is missing")
    return " ".join(p for p in (first, last) if p)


def cost_rates(current: CostRate | None, history: list[CostRate]) -> list[CostRate]:
    """Effective-dated rates, oldest first; each ends the day before the next one starts."""
    by_day: dict[date, CostRate] = {r.effective_from: r for r in history}
    if current is not None:
        earlier = by_day.get(current.effective_from)
        if earlier is not None and earlier.hourly_cost != current.hourly_cost:
            raise FieldError(
                "hourly_cost",
                f"{current.hourly_cost} from {current.effective_from} contradicts the cost history "
                f"({earlier.hourly_cost} from the same day)",
            )
        by_day[current.effective_from] = current
    ordered = [by_day[d] for d in sorted(by_day)]
    out = []
    for this, following in zip(ordered, [*ordered[1:], None], strict=True):
        end = None if following is None else following.effective_from - timedelta(days=1)
        out.append(
            CostRate(effective_from=this.effective_from, effective_to=end, hourly_cost=this.hourly_cost)
        )
    return out


class TechnicianImport:
    """Members/resources/agents. The current hourly cost applies from ``cost_from`` (else the date
    the record was created); ``--set cost_history=FILE`` (member id, effective_from, hourly_cost,
    currency) adds the earlier rates, so hours worked before a raise keep their old cost."""

    def __init__(
        self, source: str, columns: TechnicianColumns, history: CostHistoryColumns, options: Options
    ) -> None:
        self.source = source
        self.columns = columns
        self.history_columns = history
        self.options = options
        self._history: dict[str, list[tuple[Row, CostRate]]] | None = None
        self._errors: dict[str | None, list[FieldError]] = {}

    def rows(self, path: Path) -> Iterator[Row]:
        return read_records(path)

    def _load(self) -> dict[str, list[tuple[Row, CostRate]]]:
        if self._history is None:
            self._history = {}
            path = setting(self.options, "cost_history")
            if path:
                h = self.history_columns
                for row in read_records(Path(path)):
                    member = opt_ident(row, h.member) if has(row, h.member) else None
                    try:
                        if member is None:
                            raise FieldError(col(row, h.member), "is missing")
                        rate = CostRate(
                            effective_from=day(row, h.effective_from),
                            hourly_cost=money(
                                row, h.hourly_cost, h.currency, self.options, minimum=Decimal(0)
                            ),
                        )
                    except FieldError as exc:
                        # rejects the member it belongs to (every member when the id itself is
                        # missing): a rate must never silently go missing from a cost history
                        at = f"cost history at {Path(row.file).name} line {row.line}"
                        self._errors.setdefault(member, []).append(
                            FieldError(exc.field, f"{exc.reason} ({at})")
                        )
                        continue
                    self._history.setdefault(member, []).append((row, rate))
        return self._history

    def convert(self, row: Row) -> Iterator[Fact]:
        c = self.columns
        member = ident(row, c.id)
        updated = opt_moment(row, c.updated)
        current = None
        if has(row, c.hourly_cost):
            start = opt_day(row, c.cost_from) or opt_day(row, c.created)
            if start is None:
                raise FieldError(
                    col(row, c.cost_from or c.created),
                    "is missing: the date the hourly cost took effect is needed to cost hours by work date",
                )
            cost = money(row, c.hourly_cost, c.currency, self.options, minimum=Decimal(0))
            current = CostRate(effective_from=start, hourly_cost=cost)
        history = [rate for _, rate in self._load().get(member, [])]
        errors = self._errors.get(member, []) + self._errors.get(None, [])
        if errors:
            raise errors[0]
        capacity = opt_number(row, c.capacity) or Decimal(setting(self.options, "daily_capacity") or "8")
        if not Decimal(0) < capacity <= Decimal(24):
            raise FieldError(col(row, c.capacity), f"{capacity} hours a day is not between 0 and 24")
        active = True
        if flag(row, c.active) is False or flag(row, c.inactive) is True:
            active = False
        try:
            rates = cost_rates(current, history)
        except FieldError as exc:
            raise FieldError(col(row, c.hourly_cost), exc.reason) from None
        technician = TechnicianUpserted(
            technician_id=member,
            name=technician_name(row, c),
            email=opt_text(row, c.email),
            work_role=text(row, c.role),
            time_zone=time_zone(row, c.time_zone),
            daily_capacity_hours=capacity,
            weekly_billable_hours_target=opt_number(row, c.weekly_target, minimum=Decimal(0)),
            include_in_utilisation=flag(row, c.in_utilisation) is not False,
            cost_rates=rates,
            hourly_rate=opt_money(row, c.hourly_rate, c.currency, self.options, minimum=Decimal(0)),
            active=active,
            updated_at=updated,
        )
        # the record's own time: last change, else creation, else the first cost date; an export
        # with none of them gets a fixed time so re-imports still keep their ids
        first = technician.cost_rates[0].effective_from if technician.cost_rates else None
        created = opt_day(row, c.created) or first or date(1970, 1, 1)
        yield Fact(technician, updated or midnight(created))


# --------------------------------------------------------------------------- tickets


@dataclass(frozen=True)
class TicketColumns:
    id: Cols
    client: Cols
    board: Cols
    priority: Cols
    priorities: Vocab[Priority]
    status: Cols
    statuses: Vocab[TicketStatus]
    opened: Cols
    updated: Cols = ()
    agreement: Cols = ()
    summary: Cols = ()
    kind: Cols = ()
    kinds: Vocab[TicketType] | None = None
    responded: Cols = ()
    closed: Cols = ()
    respond_by: Cols = ()
    fix_by: Cols = ()
    #: "SLA met" flag (true = met) and/or "SLA breached" flag
    sla_met: Cols = ()
    sla_breached: Cols = ()
    estimated: Cols = ()
    actual: Cols = ()
    skill: Cols = ()
    site: Cols = ()
    assignee: Cols = ()
    vendor: Cols = ()
    csat: Cols = ()
    #: reference values meaning "none" (Halo uses 0 and -1 for no contract/agent)
    none: tuple[str, ...] = ()


CSAT: Vocab[Literal["positive", "neutral", "negative"]] = Vocab(
    "csat",
    ("positive", "neutral", "negative"),
    exact={
        "positive": "positive",
        "neutral": "neutral",
        "negative": "negative",
        "3": "positive",
        "2": "neutral",
        "1": "negative",
    },
    keywords=(("happy", "positive"), ("good", "positive"), ("sad", "negative"), ("bad", "negative")),
)


def convert_ticket(row: Row, c: TicketColumns, options: Options) -> Iterator[Fact]:
    opened = moment(row, c.opened)
    closed = opt_moment(row, c.closed)
    updated = opt_moment(row, c.updated) or closed or opened
    breached = flag(row, c.sla_breached)
    met = flag(row, c.sla_met)
    responded, respond_by = opt_moment(row, c.responded), opt_moment(row, c.respond_by)
    fix_by = opt_moment(row, c.fix_by)
    if breached is None and met is None:
        # no SLA flag in the export: missed when the response or the fix came after its target
        late_response = responded is not None and respond_by is not None and responded > respond_by
        late_fix = closed is not None and fix_by is not None and closed > fix_by
        breached = late_response or late_fix
    ticket = TicketUpdated(
        ticket_id=ident(row, c.id),
        client_id=ident(row, c.client),
        agreement_id=opt_ident(row, c.agreement, none=c.none),
        summary=opt_text(row, c.summary),
        board=text(row, c.board),
        priority=c.priorities.lookup(row, c.priority, options) or _missing(row, c.priority),
        status=c.statuses.lookup(row, c.status, options) or _missing(row, c.status),
        ticket_type=c.kinds.lookup(row, c.kind, options) if c.kinds else None,
        opened_at=opened,
        responded_at=responded,
        closed_at=closed,
        respond_by=respond_by,
        fix_by=fix_by,
        sla_breached=bool(breached) or met is False,
        estimated_hours=opt_number(row, c.estimated, minimum=Decimal(0)),
        actual_hours=opt_number(row, c.actual, minimum=Decimal(0)),
        required_skill=opt_text(row, c.skill),
        site_id=opt_ident(row, c.site, none=c.none),
        assigned_technician_id=opt_ident(row, c.assignee, none=c.none),
        product_vendor=opt_text(row, c.vendor),
        csat_rating=CSAT.lookup(row, c.csat, options),
        updated_at=updated,
    )
    yield Fact(ticket, updated)


def _missing(row: Row, cols: Cols) -> Any:
    raise FieldError(col(row, cols), "is missing")


# --------------------------------------------------------------------------- time entries


ABSENCE_WORDS = ("pto", "holiday", "vacation", "sick", "leave", "annual leave", "bereavement")


@dataclass(frozen=True)
class TimeEntryColumns:
    id: Cols
    client: Cols
    technician: Cols
    hours: Cols
    work_type: Cols
    #: second id part for vendors keyed by (ticket, action number): Halo ``faultid``-``actionnumber``
    id_part: Cols = ()
    agreement: Cols = ()
    ticket: Cols = ()
    #: ConnectWise charge_to_type: ``ticket`` is charge_to_id only for ServiceTicket/ProjectTicket
    charge_type: Cols = ()
    start: Cols = ()
    end: Cols = ()
    work_date: Cols = ()
    #: when the entry was logged, for exports without a start time (Halo ``whe_``)
    stamp: Cols = ()
    work_role: Cols = ()
    multiplier: Cols = ()
    #: billable option code list (CW), or a non-billable flag (AT) / non-billable charge codes (Halo)
    billable: Cols = ()
    billables: Vocab[BillableOption] | None = None
    non_billable: Cols = ()
    show_on_invoice: Cols = ()
    charge_code: Cols = ()
    non_billable_codes: tuple[str, ...] = ()
    hours_billed: Cols = ()
    hours_deducted: Cols = ()
    hourly_rate: Cols = ()
    #: amount charged for the entry (Halo ``ActionChargeAmount``): rate = amount / hours billed
    charge_amount: Cols = ()
    invoice: Cols = ()
    notes: Cols = ()
    currency: Cols = ()
    none: tuple[str, ...] = ()


def billable_option(
    row: Row, c: TimeEntryColumns, options: Options, billed: Decimal | None
) -> BillableOption:
    """CW ``billable_option`` through its code list; Autotask ``isNonBillable`` (with
    ``showOnInvoice`` = no charge); Halo charge code -1 = non-billable, a chargeable code with 0
    charge hours = no charge. Nothing said = billable."""
    if c.billables is not None:
        option = c.billables.lookup(row, c.billable, options)
        if option is not None:
            return option
    if flag(row, c.non_billable):
        return "no_charge" if flag(row, c.show_on_invoice) else "non_billable"
    if has(row, c.charge_code):
        if ident(row, c.charge_code) in c.non_billable_codes:
            return "non_billable"
        if billed is not None and billed == 0:
            return "no_charge"
    return "billable"


def work_multiplier(row: Row, c: TimeEntryColumns, options: Options, work_type: str) -> Decimal | None:
    """The work type's cost multiplier: a column when the export joins it, else
    ``--set "cost_multiplier.<work type>=1.5"``; None (= 1) otherwise."""
    if has(row, c.multiplier):
        return number(row, c.multiplier, minimum=Decimal(0))
    configured = setting(options, f"cost_multiplier.{work_type}")
    if configured is None:
        return None
    try:
        value = Decimal(configured)
    except ArithmeticError:
        raise FieldError(
            col(row, c.work_type), f"--set cost_multiplier.{work_type}={configured} is not a number"
        ) from None
    return value


def is_absence(options: Options, work_type: str) -> bool:
    configured = setting(options, f"absence.{work_type}")
    if configured is not None:
        return configured.strip().lower() in ("true", "yes", "1")
    lowered = work_type.lower()
    return any(re.search(rf"\b{re.escape(word)}\b", lowered) for word in ABSENCE_WORDS)


def local_day(moment_: datetime, options: Options) -> date:
    """The work date of a UTC start time, in ``--set timezone=`` (default UTC)."""
    zone = setting(options, "timezone")
    return moment_.astimezone(ZoneInfo(zone)).date() if zone else moment_.astimezone(UTC).date()


def convert_time_entry(row: Row, c: TimeEntryColumns, options: Options) -> Iterator[Fact]:
    entry_id = ident(row, c.id)
    if c.id_part:
        entry_id = f"{entry_id}-{ident(row, c.id_part)}"
    start = opt_moment(row, c.start)
    end = opt_moment(row, c.end)
    if has(row, c.work_date):
        work_date = day(row, c.work_date)
    elif start is not None:
        work_date = local_day(start, options)
    elif has(row, c.stamp):
        work_date = local_day(moment(row, c.stamp), options)
    else:
        raise FieldError(col(row, c.work_date or c.start), "is missing")
    hours_name = col(row, c.hours)
    hours = parse_decimal(row, hours_name, minimum=Decimal(0))
    if hours > 24:
        raise FieldError(hours_name, f"{hours} hours in one entry is more than a day")
    if start is not None and end is not None and end < start:
        raise FieldError(col(row, c.end), "is before the start")
    billed = opt_number(row, c.hours_billed, minimum=Decimal(0))
    option = billable_option(row, c, options, billed)
    if billed is None:
        billed = hours if option == "billable" else Decimal(0)
    work_type = text(row, c.work_type)
    rate = None
    if option == "billable":
        rate = opt_money(row, c.hourly_rate, c.currency, options, minimum=Decimal(0))
        charged = opt_money(row, c.charge_amount, c.currency, options, minimum=Decimal(0))
        if rate is None and charged is not None and charged.amount > 0 and billed:
            rate = Money(
                amount=(charged.amount / billed).quantize(Decimal("0.01")), currency=charged.currency
            )
    stamp = opt_moment(row, c.stamp)
    ticket = None
    if has(row, c.ticket):
        charge_type = (opt_text(row, c.charge_type) or "ticket").lower()
        if "ticket" in charge_type:
            ticket = opt_ident(row, c.ticket, none=c.none)
    entry = TimeEntryLogged(
        time_entry_id=entry_id,
        client_id=ident(row, c.client),
        technician_id=ident(row, c.technician),
        agreement_id=opt_ident(row, c.agreement, none=c.none),
        ticket_id=ticket,
        work_date=work_date,
        time_start=start,
        time_end=end,
        hours=hours,
        work_type=work_type,
        work_role=opt_text(row, c.work_role),
        work_type_cost_multiplier=work_multiplier(row, c, options, work_type),
        absence=is_absence(options, work_type),
        billable_option=option,
        hours_billed=billed,
        hours_deducted=opt_number(row, c.hours_deducted, minimum=Decimal(0)),
        hourly_rate=rate,
        invoice_id=opt_ident(row, c.invoice, none=c.none),
        notes=opt_text(row, c.notes),
    )
    yield Fact(entry, start or stamp or midnight(work_date))


# --------------------------------------------------------------------------- invoices


LICENCE_WORDS = (
    "licence",
    "license",
    "subscription",
    "microsoft 365",
    "m365",
    "office 365",
    "o365",
    "nce",
    "csp",
    "seat",
)

LINE_TYPES: Vocab[LineType] = Vocab(
    "line_type",
    ("agreement_fee", "labour", "product", "licence", "expense", "other"),
    exact={
        "agreement": "agreement_fee",
        "agreement_fee": "agreement_fee",
        "recurring": "agreement_fee",
        "recurring service": "agreement_fee",
        "contract": "agreement_fee",
        "addition": "agreement_fee",
        "time": "labour",
        "labor": "labour",
        "labour": "labour",
        "service": "labour",
        "timeentry": "labour",
        "product": "product",
        "material": "product",
        "hardware": "product",
        "licence": "licence",
        "license": "licence",
        "expense": "expense",
        "other": "other",
        "misc": "other",
        "miscellaneous": "other",
    },
    keywords=(
        ("agreement", "agreement_fee"),
        ("recurring", "agreement_fee"),
        ("contract", "agreement_fee"),
        ("labo", "labour"),
        ("time", "labour"),
        ("licen", "licence"),
        ("product", "product"),
        ("expense", "expense"),
    ),
)


@dataclass(frozen=True)
class InvoiceLineColumns:
    description: Cols
    quantity: Cols
    unit_price: Cols = ()
    amount: Cols = ()
    kind: Cols = ()
    kinds: Vocab[LineType] = LINE_TYPES
    agreement: Cols = ()
    product: Cols = ()
    vendor_sku: Cols = ()
    unit_cost: Cols = ()
    period_start: Cols = ()
    period_end: Cols = ()
    none: tuple[str, ...] = ()


@dataclass(frozen=True)
class InvoiceColumns:
    id: Cols
    client: Cols
    date: Cols
    due: Cols
    number: Cols = ()
    currency: Cols = ()
    tax: Cols = ()
    total: Cols = ()
    issued: Cols = ()
    #: embedded line list (JSON) — also where consecutive CSV line rows are gathered
    lines: Cols = ("lines",)
    line: InvoiceLineColumns | None = None
    #: header-only exports (ConnectWise ``finance/invoices``): one typed line per non-zero total
    totals: tuple[tuple[Cols, LineType, str], ...] = ()
    agreement: Cols = ()
    #: the header's agreement reference counts only when this column says Agreement (CW applyToType)
    agreement_when: Cols = ()
    #: invoices flagged void are rejected (a void invoice is not revenue)
    void: Cols = ()


def line_type(row: Row, c: InvoiceLineColumns, options: Options) -> LineType:
    """Inferred in this order (first match wins):

    1. the line's type column through the code list (Time/Labor → labour, Agreement/Recurring →
       agreement fee, Product, Expense, ...), where a *product* line becomes a licence by rule 2;
    2. a vendor SKU, or a product id/description naming a licence or subscription
       (``LICENCE_WORDS``: licence, subscription, Microsoft 365, NCE, CSP, seat) → licence;
    3. an agreement reference without a product → agreement fee;
    4. a product id → product; anything else → other.
    """
    explicit = c.kinds.lookup(row, c.kind, options) if c.kind else None
    words = " ".join(str(v) for v in (opt_text(row, c.product), opt_text(row, c.description)) if v).lower()
    licence = has(row, c.vendor_sku) or any(re.search(rf"\b{w}", words) for w in LICENCE_WORDS)
    if explicit is not None:
        return "licence" if explicit == "product" and licence else explicit
    if licence:
        return "licence"
    if opt_ident(row, c.agreement, none=c.none) is not None and not has(row, c.product):
        return "agreement_fee"
    if has(row, c.product):
        return "product"
    return "other"


def convert_line(row: Row, c: InvoiceLineColumns, options: Options, currency: str) -> InvoiceLine:
    quantity = number(row, c.quantity)
    amount = opt_number(row, c.amount)
    unit_price = opt_number(row, c.unit_price)
    if unit_price is None:
        if amount is None:
            raise FieldError(col(row, c.unit_price or c.amount), "is missing")
        if quantity == 0:
            raise FieldError(col(row, c.unit_price), "is missing and the quantity is 0")
        unit_price = amount / quantity
    if amount is None:
        amount = quantity * unit_price
    unit_cost = opt_number(row, c.unit_cost)
    return InvoiceLine(
        line_type=line_type(row, c, options),
        agreement_id=opt_ident(row, c.agreement, none=c.none),
        product_id=opt_ident(row, c.product, none=c.none),
        vendor_sku=opt_text(row, c.vendor_sku),
        description=text(row, c.description),
        quantity=quantity,
        unit_price=Money(amount=unit_price, currency=currency),
        unit_cost=None if unit_cost is None else Money(amount=unit_cost, currency=currency),
        amount=Money(amount=amount, currency=currency),
        period_start=opt_day(row, c.period_start),
        period_end=opt_day(row, c.period_end),
    )


def convert_invoice(row: Row, c: InvoiceColumns, options: Options) -> Iterator[Fact]:
    invoice_id = ident(row, c.id)
    issued_on = day(row, c.date)
    due = day(row, c.due)
    if due < issued_on:
        raise FieldError(col(row, c.due), f"{due} is before the invoice date {issued_on}")
    if flag(row, c.void):
        raise FieldError(col(row, c.void), "the invoice is void: not imported as revenue")
    name = col(row, c.total or c.id)
    currency = currency_of(row, c.currency, options, name)
    lines: list[InvoiceLine] = []
    if c.line is not None:
        line_columns = c.line
        for child in children(row, c.lines):
            with within(child, row, "invoice line"):
                lines.append(convert_line(child, line_columns, options, currency))
    if not lines:
        agreement = opt_ident(row, c.agreement, none=("0",))
        if c.agreement_when and "agreement" not in str(row.get(*c.agreement_when) or "").lower():
            agreement = None
        for cols, kind, label in c.totals:
            value = opt_number(row, cols)
            if value:
                lines.append(
                    InvoiceLine(
                        line_type=kind,
                        agreement_id=agreement if kind == "agreement_fee" else None,
                        description=label,
                        quantity=Decimal(1),
                        unit_price=Money(amount=value, currency=currency),
                        amount=Money(amount=value, currency=currency),
                    )
                )
    if not lines:
        raise FieldError(col(row, c.lines or c.total), "the invoice has no lines or non-zero totals")
    tax = opt_number(row, c.tax)
    net = sum((line.amount.amount for line in lines), Decimal(0))
    total = opt_number(row, c.total)
    expected = net + (tax or Decimal(0))
    if total is None:
        total = expected
    elif abs(total - expected) > Decimal("0.01"):
        raise FieldError(col(row, c.total), f"{total} is not the lines' {net} plus tax {tax or 0}")
    issued_at = opt_moment(row, c.issued)
    invoice = InvoiceIssued(
        invoice_id=invoice_id,
        invoice_number=opt_text(row, c.number),
        client_id=ident(row, c.client),
        invoice_date=issued_on,
        due_date=due,
        currency=currency,
        lines=lines,
        tax=None if tax is None else Money(amount=tax, currency=currency),
        total=Money(amount=total, currency=currency),
        issued_at=issued_at,
    )
    yield Fact(invoice, midnight(issued_on))


class InvoiceImport:
    """Invoices; line-level CSV rows of one invoice (consecutive, same id) are read as one."""

    def __init__(self, source: str, columns: InvoiceColumns, options: Options) -> None:
        self.source = source
        self.columns = columns
        self.options = options

    def rows(self, path: Path) -> Iterator[Row]:
        rows = read_records(path)
        if path.suffix.lower() == ".csv" and self.columns.line is not None:
            return group_consecutive(rows, self.columns.id, self.columns.lines[0])
        return rows

    def convert(self, row: Row) -> Iterator[Fact]:
        return convert_invoice(row, self.columns, self.options)


# --------------------------------------------------------------------------- payments


PAYMENT_METHODS: Vocab[PaymentMethod] = Vocab(
    "payment_method",
    ("ach", "card", "check", "wire", "other"),
    exact={"ach": "ach", "eft": "ach", "cheque": "check", "check": "check", "wire": "wire", "cash": "other"},
    keywords=(
        ("card", "card"),
        ("visa", "card"),
        ("amex", "card"),
        ("ach", "ach"),
        ("bank", "wire"),
        ("wire", "wire"),
        ("check", "check"),
        ("cheque", "check"),
    ),
)


@dataclass(frozen=True)
class PaymentColumns:
    id: Cols
    invoice: Cols
    client: Cols
    date: Cols
    amount: Cols
    currency: Cols = ()
    method: Cols = ()


def convert_payment(row: Row, c: PaymentColumns, options: Options) -> Iterator[Fact]:
    received = day(row, c.date)
    payment = PaymentReceived(
        payment_id=ident(row, c.id),
        invoice_id=ident(row, c.invoice),
        client_id=ident(row, c.client),
        received_on=received,
        amount=money(row, c.amount, c.currency, options, minimum=Decimal("0.01")),
        method=PAYMENT_METHODS.lookup(row, c.method, options),
    )
    yield Fact(payment, midnight(received))


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
