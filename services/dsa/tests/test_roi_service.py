"""The ROI ledger in the service: SLI's finding reports and a renewal DSA advised to cancel, read
from events in either order, give the same hand-worked ``GET /roi``; bad parameters get a 422
with the reason."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from msp_events import Envelope, Money
from msp_events.testing.service import RunningService, running_service
from msp_events.types.agents import ContractRenewalDue, LicenseComplianceViolation
from msp_events.types.finance import ExpenseRecorded
from msp_events.types.platform import ClockTicked

from dsa import api
from dsa.app import create_service
from dsa.settings import Settings

DEPT = "Service Delivery"


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def at(day: date, hour: int = 6) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def finding(day: date, status: str, exposure: str) -> Envelope[LicenseComplianceViolation]:
    data = LicenseComplianceViolation(
        violation_id="V-M365-C1",
        client_id="C-1",
        kind="unused_seats",
        sku_id="SPB",
        seats_purchased=20,
        seats_assigned=20,
        seats_active=14 if status == "open" else 20,
        seats_affected=6 if status == "open" else 0,
        monthly_exposure=usd(exposure),
        recommended_action="reduce_seats",
        summary="unused seats of Microsoft 365 Business Premium",
        status=status,  # type: ignore[arg-type]
        exposure_nature="saving",
    )
    return Envelope.build(data, source="msp.sli", time=at(day))


def fax_expense(expense_id: str, day: date, amount: str) -> Envelope[ExpenseRecorded]:
    data = ExpenseRecorded(
        expense_id=expense_id,
        expense_date=day,
        department=DEPT,
        vendor="eFax",
        category="Software",
        amount=usd(amount),
    )
    return Envelope.build(data, source="finance.odoo", time=at(day, 18))


def renewal_due() -> Envelope[ContractRenewalDue]:
    data = ContractRenewalDue(
        contract_id="K-FAX",
        vendor="eFax",
        department=DEPT,
        renewal_date=date(2026, 3, 1),
        notice_deadline=date(2026, 2, 1),
        days_to_notice_deadline=31,
        auto_renew=True,
        renewal_term_months=12,
        annual_value=usd("1200"),
        summary="eFax renews on 2026-03-01",
    )
    return Envelope.build(data, source="msp.vcm", time=at(date(2026, 1, 1)))


def history() -> list[Envelope[Any]]:
    """eFax used until March 2025, nothing since: DSA advises to cancel its 1,200 a year; one 40
    invoice still arrives on 10 April 2026. A licence finding of 300 a month (2 March), enlarged
    to 450 (16 March), resolved 16 April. The clock stops at 30 April 2026."""
    events: list[Envelope[Any]] = [fax_expense(f"F{m}", date(2025, m, 3), "100") for m in (1, 2, 3)]
    events += [
        renewal_due(),
        finding(date(2026, 3, 2), "open", "300"),
        finding(date(2026, 3, 16), "open", "450"),
        finding(date(2026, 4, 16), "resolved", "0"),
        fax_expense("F-late", date(2026, 4, 10), "40"),
        Envelope.build(
            ClockTicked(now=at(date(2026, 4, 30), 0), granularity="day"),
            source="msp.clock",
            time=at(date(2026, 4, 30), 0),
        ),
    ]
    return events


@pytest.fixture
async def dsa(tmp_path: Path) -> AsyncIterator[RunningService]:
    settings = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{tmp_path / 'dsa.db'}")
    async with running_service(RunningService, create_service, settings, [api.router]) as running:
        yield running


async def ledger_after(dsa: RunningService, events: list[Envelope[Any]], **params: str) -> Any:
    await dsa.deliver(*events)
    async with dsa.http() as http:
        answer = await http.get("/roi", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_the_roi_ledger_reads_expected_against_realised_per_month(dsa: RunningService) -> None:
    body = await ledger_after(dsa, history())
    assert body["measured_through"] == "2026-04-29"  # the last complete day
    months = {(m["month"], m["currency"]): m for m in body["months"]}
    # March: licence 30 of 31 days x 450 = 435.48 promised; eFax cancelled from 1 March: 100 both
    march = months[("2026-03-01", "USD")]
    assert march["by_kind"]["licence_saving"] == {
        "expected": {"amount": "435.48", "currency": "USD"},
        "realised": {"amount": "0.00", "currency": "USD"},
    }
    assert march["by_kind"]["vendor_cancel"]["expected"]["amount"] == "100.00"
    assert march["by_kind"]["vendor_cancel"]["realised"]["amount"] == "100.00"
    # April to the 30th (licence, reported) and to the 29th (eFax, measured by spend):
    # licence 450 expected, 15/30 x 450 = 225 realised; eFax 29/30 x 100 = 96.67, less the 40 invoice
    april = months[("2026-04-01", "USD")]
    assert april["by_kind"]["licence_saving"]["realised"]["amount"] == "225.00"
    assert april["by_kind"]["vendor_cancel"]["expected"]["amount"] == "96.67"
    assert april["by_kind"]["vendor_cancel"]["realised"]["amount"] == "56.67"
    assert april["expected"]["amount"] == "546.67" and april["realised"]["amount"] == "281.67"
    kinds = {r["rec_id"]: (r["kind"], r["realisation"], r["acted_on"]) for r in body["recommendations"]}
    assert kinds == {
        "sli:V-M365-C1": ("licence_saving", "reported", "2026-04-16"),
        "dsa:renewal:K-FAX:2026-03-01": ("vendor_cancel", "measured", "2026-03-01"),
    }


async def test_the_ledger_does_not_depend_on_arrival_order(tmp_path: Path) -> None:
    events = history()
    spend, renewal, rest = events[:3], events[3:4], events[4:]
    bodies = []
    # the renewal analysis reads the spend stored when it comes (event-time alignment keeps it
    # after its history); the findings, the late invoice and the tick may come in any order
    for k, order in enumerate((events, spend + renewal + rest[::-1])):
        settings = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{tmp_path / f'{k}.db'}")
        async with running_service(RunningService, create_service, settings, [api.router]) as running:
            bodies.append(await ledger_after(running, order))
    assert bodies[0] == bodies[1]


async def test_the_months_asked_for_filter_the_ledger_and_bad_ones_are_refused(dsa: RunningService) -> None:
    body = await ledger_after(dsa, history(), **{"from": "2026-04", "to": "2026-04", "agent": "sli"})
    assert [(m["month"], m["expected"]["amount"]) for m in body["months"]] == [("2026-04-01", "450.00")]
    [rec] = body["recommendations"]
    assert (rec["expected"]["amount"], rec["realised"]["amount"]) == ("450.00", "225.00")
    async with dsa.http() as http:
        for params in ({"from": "2026-13"}, {"from": "2026-05", "to": "2026-04"}, {"agent": "cfo"}):
            answer = await http.get("/roi", params=params)
            assert answer.status_code == 422, params
            assert answer.json()["detail"]
