"""Invoice payments → ``billing.payment.received``.

One converter per entity, parameterised by each vendor's column map (``*Columns``) and code
lists (``Vocab``): a rule cannot drift between vendors. Reading rules are in ``reading``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal

from msp_events.types.billing import PaymentReceived

from msp_ingest.importer import Fact
from msp_ingest.options import Options
from msp_ingest.psa.invoices import InvoiceColumns
from msp_ingest.psa.reading import (
    Cols,
    Vocab,
    col,
    day,
    has,
    ident,
    midnight,
    money,
    read_records,
    scalar,
    setting,
)
from msp_ingest.rows import FieldError, Row

PaymentMethod = Literal["ach", "card", "check", "wire", "other"]

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


@dataclass(frozen=True)
class InvoiceOf:
    """What a payment takes from the invoice it applies to: the client and the currency."""

    client: str
    currency: str | None
    file: str
    line: int


def invoice_table(options: Options, invoices: InvoiceColumns) -> dict[str, InvoiceOf] | None:
    """``--set invoices=FILE`` (the invoices export, as the invoices kind reads it) by invoice id;
    None when not given. An invoice row without a client is left out (the invoices import reports
    it); the payment applied to it is then rejected as not joinable."""
    path = setting(options, "invoices")
    if not path:
        return None
    table: dict[str, InvoiceOf] = {}
    for row in read_records(Path(path)):
        if not has(row, invoices.id) or not has(row, invoices.client):
            continue
        code = str(scalar(row.get(*invoices.currency))).upper() if has(row, invoices.currency) else None
        table[ident(row, invoices.id)] = InvoiceOf(ident(row, invoices.client), code, row.file, row.line)
    return table


def convert_payment(
    row: Row,
    c: PaymentColumns,
    options: Options,
    invoices: dict[str, InvoiceOf] | None = None,
) -> Iterator[Fact]:
    """The client is the payment's own company column when the export has one, else the client
    of the invoice it applies to (ConnectWise payments carry no company); the currency likewise."""
    received = day(row, c.date)
    invoice_id = ident(row, c.invoice)
    joined = None if invoices is None else invoices.get(invoice_id)
    if has(row, c.client):
        client = ident(row, c.client)
        if joined is not None and joined.client != client:
            raise FieldError(
                col(row, c.client),
                f"{client!r} is not the client {joined.client!r} of invoice {invoice_id!r} "
                f"({Path(joined.file).name} line {joined.line})",
            )
    elif invoices is None:
        raise FieldError(
            col(row, c.client),
            "is missing: the payment names only its invoice; give the invoices export with "
            "--set invoices=FILE to take the client from it",
        )
    elif joined is None:
        raise FieldError(
            col(row, c.invoice),
            f"invoice {invoice_id!r} is not in the invoices export {setting(options, 'invoices')}",
        )
    else:
        client = joined.client
    if not has(row, c.currency) and joined is not None and joined.currency is not None:
        amount = money(row, c.amount, (), Options(currency=joined.currency), minimum=Decimal("0.01"))
    else:
        amount = money(row, c.amount, c.currency, options, minimum=Decimal("0.01"))
    payment = PaymentReceived(
        payment_id=ident(row, c.id),
        invoice_id=invoice_id,
        client_id=client,
        received_on=received,
        amount=amount,
        method=PAYMENT_METHODS.lookup(row, c.method, options),
    )
    yield Fact(payment, midnight(received))


class PaymentImport:
    """Payments, joined to ``--set invoices=FILE`` for the client and currency they lack."""

    def __init__(
        self, source: str, columns: PaymentColumns, invoices: InvoiceColumns, options: Options
    ) -> None:
        self.source = source
        self.columns = columns
        self.invoice_columns = invoices
        self.options = options
        self._invoices: dict[str, InvoiceOf] | None = None
        self._read = False

    def rows(self, path: Path) -> Iterator[Row]:
        if not self._read:  # an unreadable invoices file is reported against the payments file
            self._invoices = invoice_table(self.options, self.invoice_columns)
            self._read = True
        return read_records(path)

    def convert(self, row: Row) -> Iterator[Fact]:
        return convert_payment(row, self.columns, self.options, self._invoices)
