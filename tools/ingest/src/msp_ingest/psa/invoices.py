"""Invoices with typed lines → ``billing.invoice.issued``.

One converter per entity, parameterised by each vendor's column map (``*Columns``) and code
lists (``Vocab``): a rule cannot drift between vendors. Reading rules are in ``reading``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal

from msp_events.money import Money
from msp_events.types.billing import InvoiceIssued, InvoiceLine

from msp_ingest.importer import Fact
from msp_ingest.options import Options
from msp_ingest.psa.reading import (
    Cols,
    Vocab,
    children,
    col,
    currency_of,
    day,
    flag,
    group_consecutive,
    has,
    ident,
    midnight,
    number,
    opt_day,
    opt_ident,
    opt_moment,
    opt_number,
    opt_text,
    read_records,
    text,
    within,
)
from msp_ingest.rows import FieldError, Row

LineType = Literal["agreement_fee", "labour", "product", "licence", "expense", "other"]


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
