"""DSA end to end over the in-process transport: events in, budget rows and REST out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from msp_events import Envelope, Money
from msp_events.testing.service import RunningService, running_service
from msp_events.types.finance import BudgetSet

from dsa import api
from dsa.app import create_service
from dsa.settings import Settings
from dsa.store.tables import METADATA, Budget

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TYPE = "finance.budget.set"


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def budget(**changes: Any) -> BudgetSet:
    fields: dict[str, Any] = {
        "budget_id": "B-2026-Q4-SD",
        "department": "Service Delivery",
        "category": "Software",
        "period_start": date(2026, 10, 1),
        "period_end": date(2026, 12, 31),
        "planned": usd("45000.00"),
        "alert_threshold_pct": Decimal("80"),
    }
    return BudgetSet(**{**fields, **changes})


def budget_set(data: BudgetSet, time: datetime = T0) -> Envelope[BudgetSet]:
    return Envelope.build(data, source="finance.odoo", time=time)


class Running(RunningService):
    event_type = TYPE

    def rows(self) -> list[Budget]:
        with Session(self.service.engine) as session:
            return list(session.exec(select(Budget).order_by(Budget.budget_id)))


async def start(db: Path) -> AsyncIterator[Running]:
    settings = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{db}")
    async with running_service(Running, create_service, settings, [api.router]) as running:
        yield running


@pytest.fixture
async def dsa(tmp_path: Path) -> AsyncIterator[Running]:
    async for running in start(tmp_path / "dsa.db"):
        yield running


async def test_a_budget_is_projected(dsa: Running) -> None:
    await dsa.deliver(budget_set(budget()))
    [row] = dsa.rows()
    assert (row.budget_id, row.department, row.category) == ("B-2026-Q4-SD", "Service Delivery", "Software")
    assert (row.planned_amount, row.planned_currency, row.alert_threshold_pct) == (Decimal(45000), "USD", 80)
    assert (row.period_start, row.period_end, row.as_of) == (date(2026, 10, 1), date(2026, 12, 31), T0)


async def test_a_later_revision_replaces_an_earlier_one(dsa: Running) -> None:
    later = T0 + timedelta(days=18)
    await dsa.deliver(budget_set(budget()), budget_set(budget(planned=usd("50000.00")), later))
    [row] = dsa.rows()
    assert (row.planned_amount, row.as_of) == (Decimal(50000), later)


async def test_an_earlier_revision_arriving_later_is_ignored(dsa: Running) -> None:
    later = T0 + timedelta(days=18)
    await dsa.deliver(
        budget_set(budget(planned=usd("50000.00")), later),
        budget_set(budget(planned=usd("45000.00")), T0),  # the original, replayed from an old export
    )
    [row] = dsa.rows()
    assert (row.planned_amount, row.as_of) == (Decimal(50000), later)
    assert dsa.count("msp_events_consumed") == 2


async def test_the_finance_systems_revision_time_decides_over_delivery_time(dsa: Running) -> None:
    revised = budget_set(budget(planned=usd("52000.00"), updated_at=T0 + timedelta(days=2)), T0)
    stale = budget_set(
        budget(planned=usd("45000.00"), updated_at=T0 + timedelta(days=1)), T0 + timedelta(days=3)
    )
    await dsa.deliver(revised, stale)  # the stale export is delivered later but was revised earlier
    [row] = dsa.rows()
    assert row.planned_amount == Decimal("52000.0000")


async def test_the_same_event_delivered_twice_changes_nothing(dsa: Running) -> None:
    event = budget_set(budget())
    await dsa.deliver(event)
    before = dsa.rows()[0].model_dump()
    await dsa.deliver(event)
    assert [r.model_dump() for r in dsa.rows()] == [before]
    assert dsa.count("msp_inbox_duplicates") == 1
    assert dsa.count("msp_events_consumed") == 1


async def test_revisions_with_the_same_time_converge_in_any_order(tmp_path: Path) -> None:
    # Different sources, so the envelopes get different ids although their time is the same.
    a = Envelope.build(budget(planned=usd("45000.00")), source="finance.odoo", time=T0)
    b = Envelope.build(budget(planned=usd("47500.00")), source="finance.itflow", time=T0)
    states = []
    for name, order in (("ab", (a, b)), ("ba", (b, a))):
        async for running in start(tmp_path / f"{name}.db"):
            await running.deliver(*order)
            states.append([r.model_dump() for r in running.rows()])
    assert states[0] == states[1]


async def test_the_api_lists_budgets_by_department_and_date(dsa: Running) -> None:
    await dsa.deliver(
        budget_set(budget()),
        budget_set(
            budget(budget_id="B-2027-Q1-SD", period_start=date(2027, 1, 1), period_end=date(2027, 3, 31))
        ),
        budget_set(budget(budget_id="B-2026-Q4-SA", department="Sales", category=None, planned=usd("9000"))),
    )
    async with dsa.http() as http:
        everything = (await http.get("/budgets")).json()
        delivery = (await http.get("/budgets", params={"department": "Service Delivery"})).json()
        on_new_year_eve = {"department": "Service Delivery", "on": "2026-12-31"}
        in_force = (await http.get("/budgets", params=on_new_year_eve)).json()
    assert [b["budget_id"] for b in everything] == ["B-2026-Q4-SA", "B-2026-Q4-SD", "B-2027-Q1-SD"]
    assert [b["budget_id"] for b in delivery] == ["B-2026-Q4-SD", "B-2027-Q1-SD"]
    [current] = in_force
    assert current["planned"] == {"amount": "45000.0000", "currency": "USD"}
    assert (current["period_start"], current["period_end"]) == ("2026-10-01", "2026-12-31")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"department": ""}, "department"),
        ({"on": "2026-02-30"}, "on"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"offset": -5}, "offset"),
    ],
)
async def test_the_api_rejects_bad_parameters(dsa: Running, params: dict[str, Any], field: str) -> None:
    error = await dsa.rejected("/budgets", params)
    assert error["loc"] == ["query", field]


async def test_the_migration_creates_exactly_the_tables_the_code_uses(dsa: Running) -> None:
    assert dsa.schema_drift(METADATA) == []
