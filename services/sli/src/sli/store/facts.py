"""Writing the three sides' facts: tenant seats, RMM installs and PSA billing lines.

Every fact is a full state of its entity (a user's licences, a device's software, an agreement's
additions); the newest version wins, ties broken by digest, so the tables end the same whatever
order the facts arrive in. A changed fact marks its client dirty for the next reconciliation.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import delete, select
from sqlmodel import Session, col

from msp_events.types.billing import InvoiceIssued
from msp_events.types.licensing import SeatActivity
from msp_events.types.psa import AgreementUpserted
from msp_events.types.rmm import SoftwareInventoried

from sli.store.tables import (
    Agreement,
    BillingLine,
    Device,
    DeviceSoftware,
    DirtyClient,
    Invoice,
    InvoicedLicence,
    SeatAssignment,
    SeatSnapshot,
    SeatUser,
    TenantBaseline,
)

CYCLE_MONTHS = {"monthly": 1, "quarterly": 3, "semi_annual": 6, "annual": 12}
QUANTUM = Decimal("0.0001")


def mark_dirty(session: Session, client_id: str) -> None:
    if session.get(DirtyClient, client_id) is None:
        session.add(DirtyClient(client_id=client_id))


def _newer(as_of: datetime, digest: str, row_as_of: datetime, row_digest: str) -> bool:
    return (as_of, digest) > (row_as_of, row_digest)


# -- assigned: tenant users ------------------------------------------------------------------------


def _holdings(text: str) -> dict[str, str | None]:
    """A snapshot's licences: ``sku_id<TAB>part`` per line."""
    out: dict[str, str | None] = {}
    for entry in text.splitlines():
        sku, _, part = entry.partition("\t")
        out[sku] = part or None
    return out


def record_seat_activity(session: Session, s: SeatActivity, digest: str) -> bool:
    """Keep the user's snapshot history and its latest state; recompute since when it holds each
    licence (a seat given back and assigned again starts a new holding, so the grace restarts).
    One read of the history, the rest in memory: a tenant sync is thousands of these."""
    with session.no_autoflush:
        return _record_seat_activity(session, s, digest)


def _record_seat_activity(session: Session, s: SeatActivity, digest: str) -> bool:
    held = {} if s.deleted else {lic.sku_id: lic.sku_part_number for lic in s.assigned_licences}
    text = "\n".join(f"{sku}\t{part or ''}" for sku, part in sorted(held.items()))
    history = {
        row.observed_at: row
        for row in session.execute(select(SeatSnapshot).where(SeatSnapshot.user_id == s.user_id)).scalars()  # type: ignore[arg-type]
    }
    snapshot = history.get(s.observed_at)
    if snapshot is None:
        snapshot = history[s.observed_at] = SeatSnapshot(
            user_id=s.user_id, observed_at=s.observed_at, sku_ids=text
        )
        session.add(snapshot)
        new_snapshot = True
    else:
        new_snapshot = False
        if text > snapshot.sku_ids:  # two reads at one instant: the larger content wins, in any order
            snapshot.sku_ids = text
            session.add(snapshot)
    baseline = session.get(TenantBaseline, s.client_id)
    if baseline is None:
        session.add(TenantBaseline(client_id=s.client_id, first_observed_at=s.observed_at))
    elif s.observed_at < baseline.first_observed_at:
        baseline.first_observed_at = s.observed_at
        session.add(baseline)
    user = session.get(SeatUser, s.user_id)
    if user is not None and not _newer(s.observed_at, digest, user.observed_at, user.digest):
        if new_snapshot:  # an older snapshot can still move a holding's start back
            _reassign(session, user, history)
            mark_dirty(session, user.client_id)
            return True
        return False
    if user is not None and user.client_id != s.client_id:
        mark_dirty(session, user.client_id)
    user = user or SeatUser(
        user_id=s.user_id,
        client_id=s.client_id,
        user_principal_name=s.user_principal_name,
        account_enabled=s.account_enabled,
        deleted=s.deleted,
        observed_at=s.observed_at,
        digest=digest,
    )
    user.client_id, user.user_principal_name = s.client_id, s.user_principal_name
    user.account_enabled, user.deleted, user.last_sign_in_at = s.account_enabled, s.deleted, s.last_sign_in_at
    user.idle_days = None if s.last_sign_in_at is None else max(0, (s.observed_at - s.last_sign_in_at).days)
    user.observed_at, user.digest = s.observed_at, digest
    session.add(user)
    _reassign(session, user, history)
    mark_dirty(session, s.client_id)
    return True


def _reassign(session: Session, user: SeatUser, history: dict[datetime, SeatSnapshot]) -> None:
    """The user's current licences (its latest snapshot) with the start of each unbroken holding.
    Pending rows are flushed before the delete, so a user read twice in one batch is replaced, not
    duplicated."""
    snapshots = sorted(
        ((at, row.sku_ids) for at, row in history.items() if at <= user.observed_at), reverse=True
    )
    session.flush()
    session.execute(delete(SeatAssignment).where(SeatAssignment.user_id == user.user_id))  # type: ignore[arg-type]
    if not snapshots or user.deleted:
        return
    current = _holdings(snapshots[0][1])
    for sku, part in current.items():
        since = snapshots[0][0]
        for observed_at, text in snapshots[1:]:
            if sku not in _holdings(text):
                break
            since = observed_at
        session.add(
            SeatAssignment(
                user_id=user.user_id,
                sku_id=sku,
                client_id=user.client_id,
                sku_part_number=part,
                held_since=since,
            )
        )


# -- installed: RMM inventory ----------------------------------------------------------------------


def record_software(
    session: Session, s: SoftwareInventoried, digest: str, software_skus: dict[str, str]
) -> bool:
    """Keep the device's latest inventory as product keys: the SKU part number the settings map an
    application to, else its lower-cased name (which matches a subscribed product's name)."""
    device = session.get(Device, s.device_id)
    if device is not None and not _newer(s.observed_at, digest, device.observed_at, device.digest):
        return False
    if device is not None and device.client_id != s.client_id:
        mark_dirty(session, device.client_id)
    device = device or Device(
        device_id=s.device_id,
        client_id=s.client_id,
        hostname=s.hostname,
        observed_at=s.observed_at,
        digest=digest,
    )
    device.client_id, device.hostname, device.observed_at, device.digest = (
        s.client_id,
        s.hostname,
        s.observed_at,
        digest,
    )
    session.add(device)
    keys = {software_skus.get(app.name, app.name.strip().lower())[:255] for app in s.software}
    # A device's inventory mostly repeats the last one: change only the product keys that differ
    # (rows carry the client, so a device that changed client is rewritten whole).
    held = select(col(DeviceSoftware.product_key), col(DeviceSoftware.client_id)).where(
        col(DeviceSoftware.device_id) == s.device_id
    )
    stored = {key: client for key, client in session.execute(held)}
    if any(client != s.client_id for client in stored.values()):
        stale, stored = set(stored), {}
    else:
        stale = set(stored) - keys
    if stale:
        session.execute(
            delete(DeviceSoftware).where(
                col(DeviceSoftware.device_id) == s.device_id,
                col(DeviceSoftware.product_key).in_(sorted(stale)),
            )
        )
    for key in sorted(keys - set(stored)):
        session.add(DeviceSoftware(device_id=s.device_id, product_key=key, client_id=s.client_id))
    mark_dirty(session, s.client_id)
    return True


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
    if row is not None and not _newer(as_of, digest, row.as_of, row.digest):
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
    if row is not None and not _newer(as_of, digest, row.as_of, row.digest):
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
