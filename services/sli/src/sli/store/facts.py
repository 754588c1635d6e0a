"""Writing the three sides' facts: tenant seats, RMM installs and PSA billing lines.

Every fact is a full state of its entity (a user's licences, a device's software, an agreement's
additions); the newest version wins, ties broken by digest, so the tables end the same whatever
order the facts arrive in. A changed fact marks its client dirty for the next reconciliation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import delete
from sqlmodel import Session

from msp_events.runtime.uow import UnitOfWork
from msp_events.types.billing import InvoiceIssued
from msp_events.types.licensing import SeatActivity
from msp_events.types.psa import AgreementUpserted
from msp_events.types.rmm import SoftwareInventoried

from sli.store import inventory
from sli.store.tables import (
    Agreement,
    BillingLine,
    Invoice,
    InvoicedLicence,
)

CYCLE_MONTHS = {"monthly": 1, "quarterly": 3, "semi_annual": 6, "annual": 12}
QUANTUM = Decimal("0.0001")


def mark_dirty(session: Session, client_id: str) -> None:
    inventory.mark_clients_dirty(session, [client_id])


HELD = "sli.inventory"
"""The batch's held seat activity and inventories (``UnitOfWork.batch``): the busiest facts SLI
reads, each the full state of one user or device. Written with a few set-wise statements per batch
(``sli.store.inventory``); every other SLI message writes them first (``handlers.py``)."""


@dataclass
class HeldInventory:
    seats: list[tuple[SeatActivity, str]] = field(default_factory=list)
    software: list[tuple[SoftwareInventoried, str]] = field(default_factory=list)
    software_skus: dict[str, str] = field(default_factory=dict)

    def flush(self, session: Session) -> None:
        seats, self.seats = self.seats, []
        software, self.software = self.software, []
        if seats:
            inventory.write_seats(session, seats)
        if software:
            inventory.write_software(session, software, self.software_skus)


def record_seat_activity(uow: UnitOfWork, s: SeatActivity, digest: str) -> None:
    """Keep the user's snapshot history and its latest state; recompute since when it holds each
    licence (a seat given back and assigned again starts a new holding, so the grace restarts)."""
    held = uow.batch.deferred(HELD, HeldInventory)
    if held is None:
        inventory.write_seats(uow.session, [(s, digest)])
    else:
        held.seats.append((s, digest))


def record_software(
    uow: UnitOfWork, s: SoftwareInventoried, digest: str, software_skus: dict[str, str]
) -> None:
    """Keep the device's latest inventory as product keys: the SKU part number the settings map an
    application to, else its lower-cased name (which matches a subscribed product's name)."""
    held = uow.batch.deferred(HELD, HeldInventory)
    if held is None:
        inventory.write_software(uow.session, [(s, digest)], software_skus)
    else:
        held.software_skus = software_skus
        held.software.append((s, digest))


# -- billed: PSA agreements ------------------------------------------------------------------------


def monthly_unit_price(price: Decimal, billing_cycle: str) -> Decimal:
    """Price per unit per billing cycle as per month. A licence line is a per-seat subscription
    charge, so on a one-time agreement (a block of hours) its price is taken as monthly."""
    months = CYCLE_MONTHS.get(billing_cycle, 1)
    return (price / months).quantize(QUANTUM, rounding=ROUND_HALF_UP)


def record_agreement(session: Session, a: AgreementUpserted, at: datetime, digest: str) -> bool:
    """Keep the agreement's latest billable licence lines (additions naming a vendor SKU)."""
    as_of = a.updated_at or at
    row = session.get(Agreement, a.agreement_id)
    if row is not None and not inventory.newer(as_of, digest, row.as_of, row.digest):
        return False
    if row is not None and row.client_id != a.client_id:
        mark_dirty(session, row.client_id)
    cancelled = a.cancelled
    row = row or Agreement(
        agreement_id=a.agreement_id,
        client_id=a.client_id,
        name=a.name,
        cancelled=cancelled,
        as_of=as_of,
        digest=digest,
    )
    row.client_id, row.name, row.cancelled, row.as_of, row.digest = (
        a.client_id,
        a.name,
        cancelled,
        as_of,
        digest,
    )
    session.add(row)
    session.execute(delete(BillingLine).where(BillingLine.agreement_id == a.agreement_id))  # type: ignore[arg-type]
    for n, add in enumerate(a.additions):
        price = monthly_unit_price(add.unit_price.amount, a.billing_cycle)
        if add.vendor_sku is None or add.bill_customer != "billable":
            continue
        ended: date | None = add.cancelled_date
        if a.cancelled:  # billed until the agreement was cancelled (else until this version)
            stop = a.cancelled_date or as_of.date()
            ended = stop if ended is None else min(ended, stop)
        session.add(
            BillingLine(
                agreement_id=a.agreement_id,
                line_no=n,
                client_id=a.client_id,
                vendor_sku=add.vendor_sku,
                quantity=add.quantity,
                monthly_unit_price=price,
                currency=add.unit_price.currency,
                effective_date=add.effective_date,
                cancelled_date=ended,
            )
        )
    mark_dirty(session, a.client_id)
    return True


def record_invoice(session: Session, inv: InvoiceIssued, at: datetime, digest: str) -> bool:
    """Keep the invoice's latest licence lines (those naming a vendor SKU), dated by the service
    period they bill (else the invoice date)."""
    as_of = inv.issued_at or at
    row = session.get(Invoice, inv.invoice_id)
    if row is not None and not inventory.newer(as_of, digest, row.as_of, row.digest):
        return False
    if row is not None and row.client_id != inv.client_id:
        mark_dirty(session, row.client_id)
    row = row or Invoice(invoice_id=inv.invoice_id, client_id=inv.client_id, as_of=as_of, digest=digest)
    row.client_id, row.as_of, row.digest = inv.client_id, as_of, digest
    session.add(row)
    session.execute(delete(InvoicedLicence).where(InvoicedLicence.invoice_id == inv.invoice_id))  # type: ignore[arg-type]
    licences = [
        (n, line) for n, line in enumerate(inv.lines) if line.line_type == "licence" and line.vendor_sku
    ]
    for n, line in licences:
        assert line.vendor_sku is not None
        session.add(
            InvoicedLicence(
                invoice_id=inv.invoice_id,
                line_no=n,
                client_id=inv.client_id,
                vendor_sku=line.vendor_sku,
                agreement_id=line.agreement_id,
                quantity=line.quantity,
                unit_price=line.unit_price.amount,
                currency=line.unit_price.currency,
                period_start=line.period_start or inv.invoice_date,
                period_end=line.period_end or line.period_start or inv.invoice_date,
            )
        )
    if licences or row is not None:
        mark_dirty(session, inv.client_id)
    return True
