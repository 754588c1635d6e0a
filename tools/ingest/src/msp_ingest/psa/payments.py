"""Invoice payments → ``billing.payment.received``.

One converter per entity, parameterised by each vendor's column map (``*Columns``) and code
lists (``Vocab``): a rule cannot drift between vendors. Reading rules are in ``reading``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from msp_events.types.billing import PaymentReceived

from msp_ingest.importer import Fact
from msp_ingest.options import Options
from msp_ingest.psa.reading import Cols, Vocab, day, ident, midnight, money
from msp_ingest.rows import Row

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
