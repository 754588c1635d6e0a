"""Recording the delivery facts the opportunity rules read, and loading them as domain values.

Master data (clients, agreements) keeps its latest version (change time, then digest, so any
arrival order converges); a time entry is keyed by its id, so a re-sent entry replaces itself.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, select

from msp_events.types.agents import ClientProfitabilityChanged, LicenseComplianceViolation
from msp_events.types.psa import AgreementUpserted, ClientUpserted, TimeEntryLogged

from spo.domain.suggestions import (
    CYCLE_MONTHS,
    Agreement,
    Client,
    Facts,
    Margin,
    TmMonth,
    Violation,
)
from spo.store.tables import AgreementFact, ClientFact, LicenceFinding, MarginReport, TimeEntryFact


def _newer(as_of: datetime, digest: str, row: ClientFact | AgreementFact | None) -> bool:
    return row is None or (as_of, digest) > (row.as_of, row.digest)


def record_client(session: Session, c: ClientUpserted, time: datetime) -> None:
    as_of, digest = c.updated_at or time, c.digest()
    row = session.get(ClientFact, c.client_id)
    if not _newer(as_of, digest, row):
        return
    row = row or ClientFact(client_id=c.client_id, as_of=as_of, digest=digest)
    row.industry, row.employee_count = c.industry, c.employee_count
    row.active, row.as_of, row.digest = c.status == "active", as_of, digest
    session.add(row)


def monthly(amount: Decimal, cycle: str) -> Decimal:
    """A fee per billing cycle as a monthly amount (a one-time fee is not recurring: 0)."""
    months = CYCLE_MONTHS.get(cycle)
    return Decimal(0) if months is None else amount / months


def record_agreement(session: Session, a: AgreementUpserted, time: datetime) -> None:
    as_of, digest = a.updated_at or time, a.digest()
    row = session.get(AgreementFact, a.agreement_id)
    if not _newer(as_of, digest, row):
        return
    products = [
        [x.product_id, str(monthly(x.unit_price.amount * x.quantity, a.billing_cycle))]
        for x in a.additions
        if x.bill_customer == "billable" and x.cancelled_date is None
    ]
    row = row or AgreementFact(
        agreement_id=a.agreement_id,
        client_id=a.client_id,
        agreement_type=a.agreement_type,
        monthly_fee=Decimal(0),
        currency=a.bill_amount.currency,
        products="[]",
        as_of=as_of,
        digest=digest,
    )
    row.client_id, row.agreement_type = a.client_id, a.agreement_type
    row.end_date, row.notice_period_days = a.end_date, a.notice_period_days
    row.monthly_fee, row.currency = monthly(a.bill_amount.amount, a.billing_cycle), a.bill_amount.currency
    row.cancelled = a.cancelled
    row.products, row.as_of, row.digest = json.dumps(products), as_of, digest
    session.add(row)


def record_time_entry(session: Session, t: TimeEntryLogged) -> None:
    """Billable labour only: T&M spend is what the client paid by the hour."""
    if t.absence or t.billable_option != "billable" or t.hourly_rate is None:
        stale = session.get(TimeEntryFact, t.time_entry_id)
        if stale is not None:
            session.delete(stale)  # corrected to non-billable: no longer T&M spend
        return
    row = session.get(TimeEntryFact, t.time_entry_id) or TimeEntryFact(
        time_entry_id=t.time_entry_id,
        client_id=t.client_id,
        month="",
        hours=Decimal(0),
        billed=Decimal(0),
        currency=t.hourly_rate.currency,
    )
    row.client_id, row.agreement_id = t.client_id, t.agreement_id
    row.month = f"{t.work_date.year:04d}-{t.work_date.month:02d}"
    row.hours, row.billed = t.hours_billed, t.hours_billed * t.hourly_rate.amount
    row.currency = t.hourly_rate.currency
    session.add(row)


def record_violation(session: Session, v: LicenseComplianceViolation, time: datetime) -> None:
    """Unbilled seats only (the true-up rule); a later state of the finding replaces an earlier one."""
    if v.kind != "unbilled_seats":
        return
    row = session.get(LicenceFinding, v.violation_id)
    if row is not None and row.as_of > time:
        return
    row = row or LicenceFinding(
        violation_id=v.violation_id,
        client_id=v.client_id,
        sku_id=v.sku_id,
        seats=0,
        monthly_exposure=Decimal(0),
        currency=v.monthly_exposure.currency,
        open=True,
        as_of=time,
    )
    row.seats, row.monthly_exposure = v.seats_affected, v.monthly_exposure.amount
    row.currency, row.commitment_end_date = v.monthly_exposure.currency, v.commitment_end_date
    row.open, row.as_of = v.status == "open", time
    session.add(row)


def record_margin(session: Session, p: ClientProfitabilityChanged) -> None:
    row = session.get(MarginReport, (p.client_id, str(p.period))) or MarginReport(
        client_id=p.client_id,
        period=str(p.period),
        margin_pct=p.gross_margin_pct,
        band=p.band,
        direction=p.direction,
        revenue=p.revenue.amount,
        cost=p.cost.amount,
        currency=p.revenue.currency,
    )
    row.margin_pct, row.target_pct, row.band = p.gross_margin_pct, p.target_gross_margin_pct, p.band
    row.direction, row.revenue, row.cost = p.direction, p.revenue.amount, p.cost.amount
    row.currency = p.revenue.currency
    session.add(row)


def load(session: Session) -> Facts:
    agreements = list(session.exec(select(AgreementFact)))
    tm_agreements = {a.agreement_id for a in agreements if a.agreement_type == "time_and_materials"}
    tm: dict[tuple[str, str, str], list[Decimal]] = {}
    # columns, not entities: every daily run reads the whole history, and building an ORM object
    # per time entry was most of a run's cost by the end of a year
    entries = select(
        TimeEntryFact.agreement_id,
        TimeEntryFact.client_id,
        TimeEntryFact.month,
        TimeEntryFact.currency,
        TimeEntryFact.hours,
        TimeEntryFact.billed,
    )
    for agreement_id, client_id, month, currency, hours, billed in session.exec(entries):
        if agreement_id is not None and agreement_id not in tm_agreements:
            continue  # labour charged to a managed, block or project agreement is not T&M spend
        acc = tm.setdefault((client_id, month, currency), [Decimal(0), Decimal(0)])
        acc[0] += hours
        acc[1] += billed
    return Facts(
        clients={
            c.client_id: Client(c.client_id, c.industry, c.employee_count, c.active)
            for c in session.exec(select(ClientFact))
        },
        agreements=[
            Agreement(
                a.agreement_id,
                a.client_id,
                a.agreement_type,
                a.end_date,
                a.notice_period_days,
                a.monthly_fee,
                a.currency,
                a.cancelled,
                tuple((p, Decimal(v)) for p, v in json.loads(a.products)),
            )
            for a in sorted(agreements, key=lambda a: a.agreement_id)
        ],
        tm=[TmMonth(c, m, h, b, cur) for (c, m, cur), (h, b) in sorted(tm.items())],
        violations=[
            Violation(
                v.violation_id,
                v.client_id,
                v.sku_id,
                v.seats,
                v.monthly_exposure,
                v.currency,
                v.commitment_end_date,
                v.open,
            )
            for v in session.exec(select(LicenceFinding).order_by(LicenceFinding.violation_id))
        ],
        margins=[
            Margin(
                m.client_id,
                m.period,
                m.margin_pct,
                m.target_pct,
                m.band,
                m.direction,
                m.revenue,
                m.cost,
                m.currency,
            )
            for m in session.exec(select(MarginReport))
        ],
    )
