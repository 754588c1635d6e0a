"""Agreements (contracts) with their additions → ``psa.agreement.upserted``.

One converter per entity, parameterised by each vendor's column map (``*Columns``) and code
lists (``Vocab``): a rule cannot drift between vendors. Reading rules are in ``reading``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Literal

from msp_events.money import Money
from msp_events.types.psa import Addition, AgreementUpserted

from msp_ingest.importer import Fact
from msp_ingest.options import Options
from msp_ingest.psa.reading import (
    Cols,
    Fields,
    Vocab,
    children,
    col,
    currency_of,
    day,
    flag,
    has,
    ident,
    midnight,
    money,
    number,
    opt_day,
    opt_ident,
    opt_moment,
    opt_money,
    opt_text,
    read_records,
    scalar,
    setting,
    text,
    within,
)
from msp_ingest.rows import FieldError, Row

AgreementKind = Literal["managed_services", "block_hours", "time_and_materials", "project"]
AGREEMENT_KINDS: tuple[AgreementKind, ...] = (
    "managed_services",
    "block_hours",
    "time_and_materials",
    "project",
)
BillingCycle = Literal["monthly", "quarterly", "semi_annual", "annual", "one_time"]
BillCustomer = Literal["billable", "do_not_bill", "no_charge"]


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


def convert_addition(row: Row, a: AdditionColumns, options: Options, agreement_currency: str) -> Addition:
    """An addition's amounts are in its own currency column when it has one, else in its
    agreement's currency (ConnectWise additions carry none), never ``--currency`` over the
    agreement's own."""
    if not has(row, a.currency):
        options = replace(options, currency=agreement_currency)
    currency = a.currency
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
                additions.append(convert_addition(child, c.addition, options, fee.currency))
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
                for row in self.addition_rows(Path(path)):
                    try:
                        key = ident(row, a.agreement)
                    except FieldError as exc:
                        self._missing.append(_orphan(row, exc.field, exc.reason))
                        continue
                    self._pending.setdefault(key, []).append(row)
        return self._pending

    def addition_rows(self, path: Path) -> Iterator[Row]:
        """The additions file's rows; a vendor joins what its additions lack here (Autotask units)."""
        return read_records(path)

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
