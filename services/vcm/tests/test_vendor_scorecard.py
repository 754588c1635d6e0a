"""The vendor scorecard with what the other agents say: DSA's spend anomalies naming the vendor,
SLI's licence findings attributed through the subscription or SKU the source ties to a vendor,
and the price change DSA observed before a renewal. Numbers worked by hand in the comments."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from msp_events import Envelope
from msp_events.money import Money
from msp_events.testing.service import RunningService, running_service
from msp_events.types.agents import LicenseComplianceViolation, SpendAnomalyDetected, SpendVendorAnalyzed
from msp_events.types.licensing import SubscriptionUpserted

from vcm import api
from vcm.app import create_service
from vcm.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from vcm_facts import MSA, T0, tick


class Running(RunningService):
    pass


@pytest.fixture
async def vcm(tmp_path: Path) -> AsyncIterator[Running]:
    settings = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{tmp_path / 'vcm.db'}")
    async with running_service(Running, create_service, settings, [api.router]) as running:
        yield running


def money(amount: str, currency: str = "USD") -> Money:
    return Money(amount=Decimal(amount), currency=currency)


def at(data: Any, days: int, source: str = "msp.dsa") -> Envelope[Any]:
    return Envelope.build(data, source=source, time=T0 + timedelta(days=days))


def anomaly(
    anomaly_id: str, vendor: str | None, expected: str, actual: str, **kw: Any
) -> SpendAnomalyDetected:
    currency = kw.pop("currency", "USD")
    return SpendAnomalyDetected(
        anomaly_id=anomaly_id,
        department="Operations",
        spend_source="expense",
        vendor=vendor,
        dimension="vendor" if vendor else "department",
        shape="level_shift",
        period_start=date(2026, 5, 1),
        period_end=date(2026, 5, 31),
        expected=money(expected, currency),
        actual=money(actual, currency),
        impact=money(str(Decimal(actual) - Decimal(expected)), currency),
        score=Decimal("4.2"),
        summary="spend stepped up",
        **kw,
    )


def subscription(subscription_id: str, vendor: str, sku: str) -> SubscriptionUpserted:
    return SubscriptionUpserted(
        subscription_id=subscription_id,
        client_id="C-1",
        vendor=vendor,
        sku_id=sku,
        product_name=f"{vendor} {sku}",
        quantity=10,
        unit_cost=money("15"),
        unit_price=money("20"),
        billing_term="monthly",
        status="active",
        start_date=date(2026, 1, 1),
    )


def finding(violation_id: str, sku: str, seats: int, subscription_id: str | None = None, **kw: Any) -> Any:
    return LicenseComplianceViolation(
        violation_id=violation_id,
        client_id="C-1",
        kind="unused_seats",
        sku_id=sku,
        subscription_id=subscription_id,
        seats_purchased=10,
        seats_assigned=10,
        seats_affected=seats,
        monthly_exposure=money(str(15 * seats)),  # seats x unit cost 15
        recommended_action="reduce_seats",
        summary=f"{seats} seats unused",
        **kw,
    )


def analysed(contract_id: str, monthly: list[str], price_change: str | None) -> SpendVendorAnalyzed:
    return SpendVendorAnalyzed(
        contract_id=contract_id,
        vendor="Acme Backup",
        window_start=date(2025, 11, 1),
        window_end=date(2026, 10, 31),
        spend_12m=money(str(sum(Decimal(m) for m in monthly))),
        monthly_spend=[money(m) for m in monthly],
        price_change_pct=None if price_change is None else Decimal(price_change),
        anomalies=1,
        forecast_next_term=money("39600"),
        annual_value=money("36000"),
        recommendation="renegotiate",
        reasons=["the last 3 months cost 10.00 % more than the first 3"],
        summary="Acme Backup: dearer",
    )


async def test_the_scorecard_attributes_anomalies_findings_and_observed_price_change(vcm: Running) -> None:
    upload = {"file_name": "acme.txt", "media_type": "text/plain", "text": MSA, "vendor_name": "Acme Backup"}
    async with vcm.http() as http:
        cid = (await http.post("/contracts", json=upload)).json()["contract_id"]
    # 12 months: 3 at 3,000, 6 at 3,100, 3 at 3,300: (3,300 - 3,000) / 3,000 = 10.00 %
    monthly = ["3000"] * 3 + ["3100"] * 6 + ["3300"] * 3
    await vcm.deliver(
        # A-1 grew from 450 to 600 over expected 1,000: the later report is delivered first and wins
        at(anomaly("A-1", "ACME  Backup", "1000", "1600"), 40),
        at(anomaly("A-1", "Acme Backup", "1000", "1450"), 30),
        at(anomaly("A-2", "Acme Backup", "200", "320", status="closed"), 30),  # closed: not counted
        at(anomaly("A-3", "acme backup", "100", "180", currency="EUR"), 30),  # 80 EUR
        at(anomaly("A-4", None, "500", "900"), 30),  # a department's anomaly names no vendor
        at(anomaly("A-5", "Beta Telecom", "500", "900"), 30),
        # V-1 arrives before the subscription that says whose it is
        at(finding("V-1", "SKU-AB", 3, subscription_id="S-1"), 31, "msp.sli"),  # 45
        at(subscription("S-1", "Acme Backup", "SKU-AB"), 32, "msp.pax8"),
        at(finding("V-2", "SKU-AB", 2), 31, "msp.sli"),  # no subscription: SKU-AB is only Acme's: 30
        at(subscription("S-2", "Microsoft", "SKU-M365"), 32, "msp.pax8"),
        at(finding("V-3", "SKU-M365", 4), 31, "msp.sli"),  # Microsoft's
        at(subscription("S-4", "Other Co", "SKU-SHARED"), 32, "msp.pax8"),
        at(subscription("S-5", "Acme Backup", "SKU-SHARED"), 32, "msp.pax8"),
        at(finding("V-4", "SKU-SHARED", 6), 31, "msp.sli"),  # two vendors sell it: not attributed
        at(
            finding("V-5", "SKU-AB", 0, subscription_id="S-1", status="resolved"), 33, "msp.sli"
        ),  # resolved: not counted
        at(analysed(cid, monthly, "10.00"), 300),
        at(analysed("OTHER", ["0"] * 12, None), 300),  # no spend in the first months: no change known
    )
    async with vcm.http() as http:
        card = (await http.get("/vendors/Acme Backup/scorecard")).json()
    assert sum(Decimal(m) for m in monthly) == 37500
    assert card["open_spend_anomalies"] == 2
    assert card["anomaly_impact"] == [
        {"currency": "EUR", "amount": "80.00"},
        {"currency": "USD", "amount": "600.00"},
    ]
    assert card["open_licence_findings"] == 2 and card["licence_seats_affected"] == 5
    assert card["licence_exposure_monthly"] == [{"currency": "USD", "amount": "75.00"}]  # 45 + 30
    assert card["observed_price_change_pct"] == {cid: "10.00"}
    assert card["max_price_increase_pct"] == "5.0000"  # the contract's cap, beside the observed 10 %


async def test_the_renewal_shows_dsas_analysis_of_this_term_only(vcm: Running) -> None:
    """GET /renewals attaches DSA's latest analysis to the renewal case once it is of this case
    (analysed on or after the day the case opened), never an earlier term's."""
    upload = {"file_name": "acme.txt", "media_type": "text/plain", "text": MSA, "vendor_name": "Acme Backup"}
    async with vcm.http() as http:
        cid = (await http.post("/contracts", json=upload)).json()["contract_id"]
    monthly = ["3000"] * 12
    await vcm.deliver(at(analysed(cid, monthly, "0.00"), 100))  # before any case: an earlier term's
    await vcm.deliver(tick(T0.replace(month=8, day=2)))  # 120 days before 30 Nov 2026: the case opens
    async with vcm.http() as http:
        [before] = (await http.get("/renewals", params={"within_days": 120})).json()
        await vcm.deliver(at(analysed(cid, monthly, "10.00"), 209))  # 2 Aug 2026, with the reminder
        [after] = (await http.get("/renewals", params={"within_days": 120})).json()
    assert (before["case_status"], before["spend_analysis"]) == ("open", None)
    assert after["spend_analysis"] == {
        "recommendation": "renegotiate",
        "spend_12m": "36000.00",
        "currency": "USD",
        "window_end": "2026-10-31",
        "price_change_pct": "10.00",
    }
