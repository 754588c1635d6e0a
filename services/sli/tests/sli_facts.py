"""Fact builders for SLI's service tests: one client's distributor subscriptions, tenant users,
RMM inventory, PSA agreement and the clock, with readable defaults."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from msp_events import Envelope, Money
from msp_events.types.agents import SalesOpportunityIdentified
from msp_events.types.licensing import AssignedLicence, SeatActivity, SubscriptionUpserted
from msp_events.types.platform import ClockTicked
from msp_events.types.psa import Addition, AgreementUpserted
from msp_events.types.rmm import InstalledSoftware, SoftwareInventoried

T0 = datetime(2026, 9, 1, 6, 0, tzinfo=UTC)
SPB = "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"
PAX8_SPB = "4f76b357-9ac1-47fa-9369-feb80a32f87e"


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def subscription(at: datetime = T0, **changes: Any) -> Envelope[SubscriptionUpserted]:
    fields: dict[str, Any] = {
        "subscription_id": "SUB-1",
        "client_id": "C-1",
        "vendor": "Microsoft",
        "distributor": "Pax8",
        "product_id": PAX8_SPB,
        "sku_id": SPB,
        "sku_part_number": "SPB",
        "product_name": "Microsoft 365 Business Premium",
        "quantity": 4,
        "consumed_units": 4,
        "unit_cost": usd("17.60"),
        "unit_price": usd("22.00"),
        "billing_term": "monthly",
        "commitment_term_months": 12,
        "commitment_end_date": date(2027, 6, 30),
        "auto_renew": True,
        "status": "active",
        "updated_at": at,
    }
    data = SubscriptionUpserted(**{**fields, **changes})
    return Envelope.build(data, source="licensing.pax8", time=at)


def seat(
    user: str, at: datetime, last_sign_in: datetime | None, skus: tuple[str, ...] = (SPB,), **changes: Any
) -> Envelope[SeatActivity]:
    fields: dict[str, Any] = {
        "user_id": f"U-{user}",
        "client_id": "C-1",
        "user_principal_name": f"{user}@contoso.com",
        "account_enabled": True,
        "assigned_licences": [AssignedLicence(sku_id=s) for s in skus],
        "last_sign_in_at": last_sign_in,
        "observed_at": at,
    }
    return Envelope.build(SeatActivity(**{**fields, **changes}), source="licensing.msgraph", time=at)


def agreement(
    at: datetime = T0, seats: str | None = "4", price: str = "22.00", **changes: Any
) -> Envelope[AgreementUpserted]:
    additions = (
        []
        if seats is None
        else [
            Addition(
                addition_id="ADD-1",
                product_id="M365-SPB",
                description="Microsoft 365 Business Premium",
                quantity=Decimal(seats),
                unit_price=usd(price),
                unit_cost=usd("17.60"),
                vendor_sku=SPB,
                effective_date=date(2026, 1, 1),
            )
        ]
    )
    fields: dict[str, Any] = {
        "agreement_id": "AGR-1",
        "client_id": "C-1",
        "name": "Managed Services - Pro",
        "agreement_type": "managed_services",
        "start_date": date(2026, 1, 1),
        "billing_cycle": "monthly",
        "bill_amount": usd("1500.00"),
        "additions": additions,
        "updated_at": at,
    }
    return Envelope.build(AgreementUpserted(**{**fields, **changes}), source="psa.connectwise", time=at)


def software(
    device: str, at: datetime, apps: tuple[str, ...], client_id: str = "C-1"
) -> Envelope[SoftwareInventoried]:
    data = SoftwareInventoried(
        device_id=f"D-{device}",
        client_id=client_id,
        hostname=f"host-{device}",
        software=[InstalledSoftware(name=a) for a in apps],
        observed_at=at,
    )
    return Envelope.build(data, source="rmm.datto", time=at)


def opportunity(
    at: datetime, sku_id: str | None = SPB, kind: str = "licence_true_up"
) -> Envelope[SalesOpportunityIdentified]:
    data = SalesOpportunityIdentified(
        suggestion_id="OPP-1",
        client_id="C-1",
        kind=kind,  # type: ignore[arg-type]
        title="Business Premium true-up",
        win_probability_pct=Decimal(60),
        sku_id=sku_id,
        summary="more staff than seats",
    )
    return Envelope.build(data, source="msp.spo", time=at)


def tick(now: datetime) -> Envelope[ClockTicked]:
    return Envelope.build(ClockTicked(now=now, granularity="day"), source="msp.platform", time=now)
