"""Spend in, budget against actual out: expenses and cloud costs booked from events, corrections
replacing what they correct, and the department budget API on the service's own clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from msp_events import Envelope, Money
from msp_events.testing.service import RunningService, running_service
from msp_events.types.cloud import CloudCostRecorded
from msp_events.types.finance import BudgetSet, ExpenseRecorded
from msp_events.types.platform import ClockTicked

from dsa import api
from dsa.app import create_service
from dsa.settings import Settings
from dsa.store.tables import METADATA, SpendLineRow

BOOKED = datetime(2026, 10, 20, tzinfo=UTC)
MID_NOVEMBER = datetime(2026, 11, 16, tzinfo=UTC)
DEPT = "Service Delivery"


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def expense(
    expense_id: str, day: date, amount: str, time: datetime, **changes: Any
) -> Envelope[ExpenseRecorded]:
    fields: dict[str, Any] = {
        "expense_id": expense_id,
        "expense_date": day,
        "department": DEPT,
        "vendor": "Microsoft",
        "category": "Software",
        "amount": usd(amount),
    }
    return Envelope.build(ExpenseRecorded(**(fields | changes)), source="finance.odoo", time=time)


def november_budget() -> Envelope[BudgetSet]:
    data = BudgetSet(
        budget_id="B-2026-11-SD-SW",
        department=DEPT,
        category="Software",
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        planned=usd("3000"),
    )
    return Envelope.build(data, source="finance.odoo", time=BOOKED)


def cloud(day: date, amount: str) -> Envelope[CloudCostRecorded]:
    data = CloudCostRecorded(
        cost_line_id=f"ce-{day}",
        usage_date=day,
        linked_account_id="111122223333",
        service="Amazon Elastic Compute Cloud - Compute",
        unblended_cost=usd(amount),
    )
    return Envelope.build(data, source="aws.ce", time=datetime.combine(day, datetime.min.time(), tzinfo=UTC))


def tick(now: datetime) -> Envelope[ClockTicked]:
    return Envelope.build(ClockTicked(now=now, granularity="day"), source="msp.clock", time=now)


class Running(RunningService):
    event_type = "finance.expense.recorded"

    def spend(self) -> list[SpendLineRow]:
        with Session(self.service.engine) as session:
            return list(session.exec(select(SpendLineRow).order_by(SpendLineRow.line_id)))


@pytest.fixture
async def dsa(tmp_path: Path) -> AsyncIterator[Running]:
    settings = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{tmp_path / 'dsa.db'}")
    async with running_service(Running, create_service, settings, [api.router]) as running:
        yield running


async def test_expenses_and_cloud_costs_are_booked_and_a_correction_replaces_its_line(dsa: Running) -> None:
    await dsa.deliver(
        expense("E1", date(2026, 11, 3), "1200", datetime(2026, 11, 3, 18, tzinfo=UTC)),
        cloud(date(2026, 11, 4), "80.50"),
        expense("E1", date(2026, 11, 3), "1150", datetime(2026, 11, 5, tzinfo=UTC)),  # corrected
        expense("E1", date(2026, 11, 3), "1200", datetime(2026, 11, 3, 18, tzinfo=UTC)),  # old copy again
    )
    rows = {r.line_id: r for r in dsa.spend()}
    assert set(rows) == {"cloud:ce-2026-11-04", "expense:E1"}
    assert rows["expense:E1"].amount == Decimal("1150")
    aws = rows["cloud:ce-2026-11-04"]
    assert (aws.department, aws.category, aws.vendor, aws.account) == (
        "untagged",
        "Cloud",
        "AWS",
        "111122223333",
    )


async def test_the_department_budget_reads_actual_against_expected_on_the_service_clock(dsa: Running) -> None:
    await dsa.deliver(
        november_budget(),
        expense("E1", date(2026, 11, 3), "1200", datetime(2026, 11, 3, 18, tzinfo=UTC)),
        expense("E2", date(2026, 11, 10), "600", datetime(2026, 11, 10, 18, tzinfo=UTC), vendor="Adobe"),
        tick(MID_NOVEMBER),
    )
    async with dsa.http() as http:
        answer = await http.get(f"/departments/{DEPT}/budget", params={"year": 2026})
        missing = await http.get("/departments/Sales/budget", params={"year": 2026})
        bad_year = await http.get(f"/departments/{DEPT}/budget", params={"year": 99999})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    [line] = body["lines"]
    assert line["actual"] == {"amount": "1800.00", "currency": "USD"}
    assert line["expected_to_date"]["amount"] == "1500.00" and line["achievement"] == "1.2000"
    assert line["variance"]["amount"] == "300.00" and line["forecast"]["amount"] == "3600.00"
    assert line["forecast_method"] == "run_rate"  # two weeks of history: nothing to backtest
    assert [(a["threshold_pct"], a["basis"]) for a in line["alerts"]] == [
        ("80", "forecast"),
        ("100", "forecast"),
    ]
    assert line["by_vendor"] == {
        "Adobe": {"amount": "600.00", "currency": "USD"},
        "Microsoft": {"amount": "1200.00", "currency": "USD"},
    }
    [month] = body["months"]
    assert (month["month"], month["planned"]["amount"], month["actual"]["amount"]) == (
        "2026-11-01",
        "3000.00",
        "1800.00",
    )
    assert missing.status_code == 404 and "Sales" in missing.json()["detail"]
    assert bad_year.status_code == 422


async def test_the_migrations_create_exactly_the_tables_the_code_uses(dsa: Running) -> None:
    assert dsa.schema_drift(METADATA) == []


async def test_the_forecast_runs_to_the_end_of_the_year_or_says_why_not(dsa: Running) -> None:
    rng_amounts = [1000 + 5 * i + (150 if i % 12 in (5, 6) else 0) + (i * 37 % 23) for i in range(40)]
    events: list[Envelope[Any]] = []
    first = date(2023, 1, 1)
    for i, amount in enumerate(rng_amounts):
        day = date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 10)
        events.append(expense(f"M{i}", day, str(amount), midnight_of(day)))
    year = BudgetSet(
        budget_id="B-2026-SD-SW",
        department=DEPT,
        category="Software",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        planned=usd("14000"),
    )
    events.append(Envelope.build(year, source="finance.odoo", time=BOOKED.replace(year=2025)))
    await dsa.deliver(*events, tick(datetime(2026, 5, 1, tzinfo=UTC)))  # 40 months: Jan 2023 - Apr 2026
    async with dsa.http() as http:
        answer = await http.get("/forecast", params={"department": DEPT, "category": "Software"})
        unknown = await http.get("/forecast", params={"department": "Nobody"})
        budget = await http.get(f"/departments/{DEPT}/budget", params={"year": 2026})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["history_months"] == 40
    assert [m["month"] for m in body["months"]] == [f"2026-{m:02d}-01" for m in range(5, 13)]
    for m in body["months"]:
        assert (
            Decimal(m["lo_95"])
            <= Decimal(m["lo_80"])
            <= Decimal(m["mean"])
            <= Decimal(m["hi_80"])
            <= Decimal(m["hi_95"])
        )
    assert {b["method"] for b in body["backtest"]} >= {"SeasonalNaive", "AutoETS", "AutoTheta"}
    assert unknown.status_code == 404
    # the budget's forecast is the forecaster's: January - April booked + May - December projected
    [line] = budget.json()["lines"]
    assert line["forecast_method"] == body["method"]
    booked = sum(rng_amounts[36:])
    projected = sum(Decimal(m["mean"]) for m in body["months"])
    assert Decimal(line["forecast"]["amount"]) == booked + projected
    assert [(a["threshold_pct"], a["basis"]) for a in line["alerts"]] == [
        ("80", "forecast"),
        ("100", "forecast"),
    ]


async def test_a_forecast_without_enough_history_is_a_409_with_the_numbers(dsa: Running) -> None:
    await dsa.deliver(
        expense("E1", date(2026, 1, 3), "100", datetime(2026, 1, 3, 18, tzinfo=UTC)),
        tick(datetime(2026, 3, 1, tzinfo=UTC)),
    )
    async with dsa.http() as http:
        answer = await http.get("/forecast", params={"department": DEPT})
    assert answer.status_code == 409
    assert "2 complete months" in answer.json()["detail"]


def midnight_of(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)
