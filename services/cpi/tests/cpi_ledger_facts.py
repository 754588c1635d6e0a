"""Builders of the facts the ledger tests feed CPI (small, explicit, USD unless told), and a reader
of the ledger those tests compare."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import create_engine, func, select
from sqlmodel import Session

from msp_events import Envelope
from msp_events.money import Money
from msp_events.types.agents import LicenseComplianceViolation
from msp_events.types.billing import InvoiceIssued, InvoiceLine
from msp_events.types.licensing import SubscriptionUpserted
from msp_events.types.platform import ClockTicked
from msp_events.types.psa import (
    Addition,
    AgreementUpserted,
    ClientUpserted,
    CostRate,
    TechnicianUpserted,
    TimeEntryLogged,
)

from cpi.store.ledger import recompute_ledger
from cpi.store.tables import LedgerDirty, LedgerRow

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def usd(amount: str | int, currency: str = "USD") -> Money:
    return Money(amount=Decimal(str(amount)), currency=currency)


def at(time: datetime, data: Any, source: str = "test.psa") -> Envelope[Any]:
    return Envelope.build(data, source=source, time=time)


def client(client_id: str = "C-1", name: str = "Contoso", currency: str = "USD", **kw: Any) -> ClientUpserted:
    fields: dict[str, Any] = {
        "client_id": client_id,
        "name": name,
        "status": "active",
        "currency": currency,
        "created_on": date(2024, 1, 1),
    }
    return ClientUpserted(**{**fields, **kw})


def technician(
    technician_id: str = "T-1", rates: list[tuple[date, str]] | None = None, currency: str = "USD", **kw: Any
) -> TechnicianUpserted:
    cost_rates = [
        CostRate(effective_from=start, hourly_cost=usd(cost, currency))
        for start, cost in (rates if rates is not None else [(date(2025, 1, 1), "50")])
    ]
    fields: dict[str, Any] = {
        "technician_id": technician_id,
        "name": f"Tech {technician_id}",
        "work_role": "Engineer L2",
        "daily_capacity_hours": Decimal(8),
        "cost_rates": cost_rates,
    }
    return TechnicianUpserted(**{**fields, **kw})


def agreement(
    agreement_id: str = "A-1",
    client_id: str = "C-1",
    fee: str = "1000",
    included_hours: str | None = "10",
    additions: list[Addition] | None = None,
    **kw: Any,
) -> AgreementUpserted:
    fields: dict[str, Any] = {
        "agreement_id": agreement_id,
        "client_id": client_id,
        "name": "Managed Services",
        "agreement_type": "managed_services",
        "start_date": date(2025, 1, 1),
        "billing_cycle": "monthly",
        "bill_amount": usd(fee),
        "included_hours": Decimal(included_hours) if included_hours is not None else None,
        "covers_labour": True,
        "additions": additions or [],
    }
    return AgreementUpserted(**{**fields, **kw})


def addition(
    quantity: int = 10,
    price: str = "20",
    cost: str = "12",
    sku: str | None = "SKU-M365",
    product: str = "M365-BP",
) -> Addition:
    return Addition(
        product_id=product,
        description="Microsoft 365 Business Premium",
        quantity=Decimal(quantity),
        unit_price=usd(price),
        unit_cost=usd(cost),
        vendor_sku=sku,
    )


def time_entry(
    entry_id: str,
    hours: str,
    work_date: date,
    client_id: str = "C-1",
    technician_id: str = "T-1",
    agreement_id: str | None = "A-1",
    rate: str | None = "150",
    **kw: Any,
) -> TimeEntryLogged:
    fields: dict[str, Any] = {
        "time_entry_id": entry_id,
        "client_id": client_id,
        "technician_id": technician_id,
        "agreement_id": agreement_id,
        "work_date": work_date,
        "hours": Decimal(hours),
        "work_type": "Remote Support",
        "billable_option": "no_charge",
        "hours_billed": Decimal(0),
        "hourly_rate": usd(rate) if rate is not None else None,
    }
    return TimeEntryLogged(**{**fields, **kw})


def line(
    line_type: str,
    amount: str,
    agreement_id: str | None = "A-1",
    quantity: str = "1",
    unit_cost: str | None = None,
    sku: str | None = None,
    period: tuple[date, date] | None = None,
    currency: str = "USD",
    product: str | None = None,
) -> InvoiceLine:
    q = Decimal(quantity)
    return InvoiceLine(
        line_type=line_type,  # type: ignore[arg-type]
        agreement_id=agreement_id,
        product_id=product,
        vendor_sku=sku,
        description=line_type,
        quantity=q,
        unit_price=usd(Decimal(amount) / q, currency),
        unit_cost=usd(unit_cost, currency) if unit_cost is not None else None,
        amount=usd(amount, currency),
        period_start=period[0] if period else None,
        period_end=period[1] if period else None,
    )


def invoice(
    invoice_id: str,
    invoice_date: date,
    lines: list[InvoiceLine],
    client_id: str = "C-1",
    currency: str = "USD",
) -> InvoiceIssued:
    total = sum((ln.amount.amount for ln in lines), Decimal(0))
    return InvoiceIssued(
        invoice_id=invoice_id,
        client_id=client_id,
        invoice_date=invoice_date,
        due_date=invoice_date,
        currency=currency,
        lines=lines,
        total=usd(total, currency),
    )


def subscription(
    subscription_id: str = "S-1", quantity: int = 10, cost: str = "15", sku: str = "SKU-M365", **kw: Any
) -> SubscriptionUpserted:
    fields: dict[str, Any] = {
        "subscription_id": subscription_id,
        "client_id": "C-1",
        "vendor": "Microsoft",
        "sku_id": sku,
        "product_name": "Microsoft 365 Business Premium",
        "quantity": quantity,
        "unit_cost": usd(cost),
        "unit_price": usd("20"),
        "billing_term": "monthly",
        "status": "active",
        "start_date": date(2025, 6, 1),
    }
    return SubscriptionUpserted(**{**fields, **kw})


def violation(
    violation_id: str = "V-1", exposure: str = "60", kind: str = "unbilled_seats"
) -> LicenseComplianceViolation:
    return LicenseComplianceViolation(
        violation_id=violation_id,
        client_id="C-1",
        kind=kind,  # type: ignore[arg-type]
        sku_id="SKU-M365",
        agreement_id="A-1",
        seats_purchased=10,
        seats_assigned=13,
        seats_billed=10,
        seats_affected=3,
        monthly_exposure=usd(exposure),
        recommended_action="bill_client",
        summary="3 seats assigned but not billed",
    )


def tick(now: datetime) -> Envelope[ClockTicked]:
    return Envelope.build(ClockTicked(now=now), source="msp.platform", time=now)


def ledger_rows(url: str, *, rebuild: bool = False) -> list[dict[str, Any]]:
    """The ledger of the database at ``url``, key order, after checking nothing waits to be
    recomputed (``rebuild``: after a full ``recompute_ledger`` first, to compare with)."""
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            if rebuild:
                recompute_ledger(session)
            assert session.execute(select(func.count()).select_from(LedgerDirty)).scalar_one() == 0
            rows = session.execute(
                select(LedgerRow).order_by(LedgerRow.client_id, LedgerRow.agreement_id, LedgerRow.month)  # type: ignore[arg-type]
            ).scalars()
            return [r.model_dump() for r in rows]
    finally:
        engine.dispose()
