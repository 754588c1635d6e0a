"""Time entries → ``psa.time_entry.logged``: hours worked kept apart from hours billed and
deducted, billable option, work type cost multiplier, absence.

One converter per entity, parameterised by each vendor's column map (``*Columns``) and code
lists (``Vocab``): a rule cannot drift between vendors. Reading rules are in ``reading``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from msp_events.money import Money
from msp_events.types.psa import BillableOption as BillableOption
from msp_events.types.psa import TimeEntryLogged

from msp_ingest.importer import Fact
from msp_ingest.options import Options
from msp_ingest.psa.reading import (
    Cols,
    Vocab,
    col,
    day,
    flag,
    has,
    iana_zone,
    ident,
    midnight,
    moment,
    number,
    opt_ident,
    opt_moment,
    opt_money,
    opt_number,
    opt_text,
    read_records,
    setting,
    text,
)
from msp_ingest.rows import FieldError, Row, parse_decimal

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
    #: the work type's id, to look its cost multiplier up in ``--set work_types=FILE``
    work_type_id: Cols = ()
    #: billable option code list (CW), or a non-billable flag (AT) / non-billable charge codes (Halo)
    billable: Cols = ()
    billables: Vocab[BillableOption] | None = None
    non_billable: Cols = ()
    show_on_invoice: Cols = ()
    charge_code: Cols = ()
    #: the charge code's name (Halo ``ChargeRate``), which says whether the rate bills
    charge_name: Cols = ()
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
    ``showOnInvoice`` = no charge); Halo: the charge code decides, never the charge hours (a blank
    and a 0 ``ActionChargeHours`` read alike in SQL reports, and prepaid time charges 0 hours):
    code -1 = non-billable, a charge rate named No Charge/Free/Warranty = no charge, one named
    Non-Billable/Internal = non-billable (``--set "charge_rate.<name>=..."`` maps any), else
    billable. Nothing said = billable."""
    if c.billables is not None:
        option = c.billables.lookup(row, c.billable, options)
        if option is not None:
            return option
    if flag(row, c.non_billable):
        return "no_charge" if flag(row, c.show_on_invoice) else "non_billable"
    if has(row, c.charge_code):
        if ident(row, c.charge_code) in c.non_billable_codes:
            return "non_billable"
        if has(row, c.charge_name):
            return charge_rate_option(row, c.charge_name, options)
    return "billable"


CHARGE_RATE_WORDS: tuple[tuple[str, BillableOption], ...] = (
    ("no charge", "no_charge"),
    ("no-charge", "no_charge"),
    ("free", "no_charge"),
    ("warranty", "no_charge"),
    ("non-billable", "non_billable"),
    ("non billable", "non_billable"),
    ("not billable", "non_billable"),
    ("internal", "non_billable"),
)
BILLABLE_OPTIONS: tuple[BillableOption, ...] = ("billable", "non_billable", "no_charge")


def charge_rate_option(row: Row, cols: Cols, options: Options) -> BillableOption:
    """A charge rate's billing by its name: ``--set "charge_rate.<name>=no_charge"`` first, then
    the words in ``CHARGE_RATE_WORDS``; any other rate bills."""
    name = text(row, cols)
    configured = setting(options, f"charge_rate.{name}")
    if configured is not None:
        for option in BILLABLE_OPTIONS:
            if option == configured:
                return option
        raise FieldError(
            col(row, cols), f"--set charge_rate.{name}={configured}: use one of {', '.join(BILLABLE_OPTIONS)}"
        )
    lowered = name.lower()
    return next((option for word, option in CHARGE_RATE_WORDS if word in lowered), "billable")


def work_multiplier(row: Row, c: TimeEntryColumns, options: Options, work_type: str) -> Decimal | None:
    """The work type's cost multiplier, first found of: a column when the export joins it;
    ``--set "cost_multiplier.<work type>=1.5"``; the work-type lookup file ``--set
    work_types=FILE`` (ConnectWise ``time/workTypes``: ``id``, ``name``, ``costMultiplier``) by the
    entry's work type id, else name. None (= 1) otherwise: a time entry's ``workType`` reference
    is ``{id, name}`` only."""
    if has(row, c.multiplier):
        return number(row, c.multiplier, minimum=Decimal(0))
    configured = setting(options, f"cost_multiplier.{work_type}")
    if configured is not None:
        try:
            return Decimal(configured)
        except ArithmeticError:
            raise FieldError(
                col(row, c.work_type), f"--set cost_multiplier.{work_type}={configured} is not a number"
            ) from None
    path = setting(options, "work_types")
    if not path:
        return None
    table = work_type_table(path)
    key = opt_ident(row, c.work_type_id) if has(row, c.work_type_id) else None
    found = table.get(f"id:{key}") if key is not None else None
    return found if found is not None else table.get(f"name:{work_type.lower()}")


@cache
def work_type_table(path: str) -> dict[str, Decimal | None]:
    """A work-type export (JSON or CSV: ``id``, ``name``, ``costMultiplier``) keyed ``id:<id>`` and
    ``name:<lower-case name>``; read once per file."""
    table: dict[str, Decimal | None] = {}
    for row in read_records(Path(path)):
        value = opt_number(row, WORK_TYPE_MULTIPLIER, minimum=Decimal(0))
        if has(row, ("id",)):
            table[f"id:{ident(row, ('id',))}"] = value
        if has(row, ("name",)):
            table[f"name:{text(row, ('name',)).lower()}"] = value
    return table


WORK_TYPE_MULTIPLIER: Cols = ("costMultiplier", "cost_multiplier", "multiplier")


def is_absence(options: Options, work_type: str) -> bool:
    configured = setting(options, f"absence.{work_type}")
    if configured is not None:
        return configured.strip().lower() in ("true", "yes", "1")
    lowered = work_type.lower()
    return any(re.search(rf"\b{re.escape(word)}\b", lowered) for word in ABSENCE_WORDS)


def local_day(moment_: datetime, options: Options) -> date:
    """The work date of a UTC start time, in ``--set timezone=`` (default UTC)."""
    zone = setting(options, "timezone")
    if not zone:
        return moment_.astimezone(UTC).date()
    name = iana_zone(zone)
    if name is None:
        raise FieldError("(file)", f"--set timezone={zone} is not an IANA or Windows time zone")
    return moment_.astimezone(ZoneInfo(name)).date()


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
