"""What the other agents say about a vendor, kept for its scorecard.

DSA's spend anomalies count against a vendor only when the event names it (a vendor series, or
one vendor dominating); SLI's licence findings do not carry a vendor, so they are attributed
through the distributor subscription (or SKU) the source's ``licensing.subscription.upserted``
ties to one; DSA's renewal analysis gives the price change observed in the spend. Every table
keeps the latest report per id by (event time, digest): any delivery order gives the same card.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from sqlmodel import Session, col, select

from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import LicenseComplianceViolation, SpendAnomalyDetected, SpendVendorAnalyzed
from msp_events.types.licensing import SubscriptionUpserted

from vcm.store.tables import LicenceFinding, LicenceSubscription, RenewalSpend, VendorAnomaly

Row = TypeVar("Row", VendorAnomaly, LicenceSubscription, LicenceFinding, RenewalSpend)


def vendor_key(name: str) -> str:
    """Vendors are matched by name, case and surrounding spaces aside ("ACME" is "Acme ")."""
    return " ".join(name.split()).casefold()


def _keep_latest(uow: UnitOfWork, model: type[Row], key: str, digest: str, **fields: Any) -> None:
    """Store this report unless a later one (event time, then digest) is already stored."""
    at = uow.cause.time
    row = uow.session.get(model, key)
    if row is not None and (at, digest) <= (row.reported_at, row.digest):
        return
    fields.update(reported_at=at, digest=digest)
    if row is None:
        row = model(**fields)
    for name, value in fields.items():
        setattr(row, name, value)
    uow.session.add(row)


def record_anomaly(uow: UnitOfWork, a: SpendAnomalyDetected) -> None:
    if a.vendor is None:
        return  # not attributable to a vendor: a department or category anomaly
    _keep_latest(
        uow,
        VendorAnomaly,
        a.anomaly_id,
        a.digest(),
        anomaly_id=a.anomaly_id,
        vendor=a.vendor,
        vendor_key=vendor_key(a.vendor),
        status=a.status,
        impact=a.impact.amount,
        currency=a.impact.currency,
        period_end=a.period_end,
    )


def record_subscription(uow: UnitOfWork, s: SubscriptionUpserted) -> None:
    _keep_latest(
        uow,
        LicenceSubscription,
        s.subscription_id,
        s.digest(),
        subscription_id=s.subscription_id,
        sku_id=s.sku_id,
        vendor=s.vendor,
    )


def record_finding(uow: UnitOfWork, v: LicenseComplianceViolation) -> None:
    _keep_latest(
        uow,
        LicenceFinding,
        v.violation_id,
        v.digest(),
        violation_id=v.violation_id,
        subscription_id=v.subscription_id,
        sku_id=v.sku_id,
        status=v.status,
        seats_affected=v.seats_affected,
        monthly_exposure=v.monthly_exposure.amount,
        currency=v.monthly_exposure.currency,
    )


def record_renewal_spend(uow: UnitOfWork, s: SpendVendorAnalyzed) -> None:
    _keep_latest(
        uow,
        RenewalSpend,
        s.contract_id,
        s.digest(),
        contract_id=s.contract_id,
        vendor_key=vendor_key(s.vendor),
        window_end=s.window_end,
        price_change_pct=s.price_change_pct,
        spend_12m=s.spend_12m.amount,
        currency=s.spend_12m.currency,
        recommendation=s.recommendation,
    )


def renewal_spend(session: Session, contract_id: str) -> RenewalSpend | None:
    """DSA's latest analysis of the contract's renewal (the case it belongs to is the caller's)."""
    return session.get(RenewalSpend, contract_id)


@dataclass
class VendorSignals:
    """The scorecard's view of one vendor: open anomalies and findings, money per currency."""

    open_anomalies: int = 0
    anomaly_impact: dict[str, Decimal] = field(default_factory=dict)
    open_licence_findings: int = 0
    seats_affected: int = 0
    licence_exposure_monthly: dict[str, Decimal] = field(default_factory=dict)
    observed_price_change_pct: dict[str, Decimal] = field(default_factory=dict)
    """Per contract: DSA's last 3 months against the first 3 of the 12 before the renewal."""


def signals(session: Session, vendor: str) -> VendorSignals:
    key = vendor_key(vendor)
    out = VendorSignals()
    for a in session.exec(select(VendorAnomaly).where(VendorAnomaly.vendor_key == key)):
        if a.status == "open":
            out.open_anomalies += 1
            _add(out.anomaly_impact, a.currency, a.impact)
    subscriptions = list(session.exec(select(LicenceSubscription)))
    by_subscription = {s.subscription_id: vendor_key(s.vendor) for s in subscriptions}
    by_sku: dict[str, set[str]] = {}
    for s in subscriptions:
        by_sku.setdefault(s.sku_id, set()).add(vendor_key(s.vendor))
    for f in session.exec(select(LicenceFinding).where(LicenceFinding.status == "open")):
        owner = _finding_vendor(f, by_subscription, by_sku)
        if owner == key:
            out.open_licence_findings += 1
            out.seats_affected += f.seats_affected
            _add(out.licence_exposure_monthly, f.currency, f.monthly_exposure)
    query = select(RenewalSpend).where(RenewalSpend.vendor_key == key).order_by(col(RenewalSpend.contract_id))
    for r in session.exec(query):
        if r.price_change_pct is not None:
            out.observed_price_change_pct[r.contract_id] = r.price_change_pct
    return out


def _finding_vendor(
    f: LicenceFinding, by_subscription: dict[str, str], by_sku: dict[str, set[str]]
) -> str | None:
    """The finding's subscription says the vendor; else its SKU, when only one vendor sells it."""
    if f.subscription_id is not None and f.subscription_id in by_subscription:
        return by_subscription[f.subscription_id]
    vendors = by_sku.get(f.sku_id, set())
    return next(iter(vendors)) if len(vendors) == 1 else None


def _add(totals: dict[str, Decimal], currency: str, amount: Decimal) -> None:
    totals[currency] = totals.get(currency, Decimal(0)) + amount


__all__ = [
    "record_anomaly",
    "record_finding",
    "record_renewal_spend",
    "record_subscription",
    "renewal_spend",
    "signals",
    "vendor_key",
]
