"""RAM end to end over the in-process transport: events in, roster rows and REST out."""

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
from msp_events.types.psa import CostRate, TechnicianUpserted

from ram import api
from ram.app import create_service
from ram.settings import Settings
from ram.store.tables import METADATA, Technician, TechnicianCostRate

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TYPE = "psa.technician.upserted"


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def rate(start: date, cost: str) -> CostRate:
    return CostRate(effective_from=start, hourly_cost=usd(cost))


def technician(**changes: Any) -> TechnicianUpserted:
    fields: dict[str, Any] = {
        "technician_id": "M-1",
        "name": "Ada Lovelace",
        "work_role": "Engineer L2",
        "daily_capacity_hours": Decimal("7.5"),
        "cost_rates": [rate(date(2025, 1, 1), "40.00"), rate(date(2025, 7, 1), "45.00")],
        "hourly_rate": usd("150.00"),
        "updated_at": T0,
    }
    return TechnicianUpserted(**{**fields, **changes})


def upserted(data: TechnicianUpserted, time: datetime = T0) -> Envelope[TechnicianUpserted]:
    return Envelope.build(data, source="psa.connectwise", time=time)


class Running(RunningService):
    event_type = TYPE

    def technicians(self) -> list[Technician]:
        with Session(self.service.engine) as session:
            return list(session.exec(select(Technician).order_by(Technician.technician_id)))

    def rates(self) -> list[tuple[str, date, Decimal]]:
        with Session(self.service.engine) as session:
            query = select(TechnicianCostRate).order_by(
                TechnicianCostRate.technician_id, TechnicianCostRate.effective_from
            )
            rows = session.exec(query)
            return [(r.technician_id, r.effective_from, r.hourly_cost_amount) for r in rows]


async def start(db: Path) -> AsyncIterator[Running]:
    settings = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{db}")
    async with running_service(Running, create_service, settings, [api.router]) as running:
        yield running


@pytest.fixture
async def ram(tmp_path: Path) -> AsyncIterator[Running]:
    async for running in start(tmp_path / "ram.db"):
        yield running


async def test_a_technician_and_their_cost_history_are_projected(ram: Running) -> None:
    await ram.deliver(upserted(technician()))
    [row] = ram.technicians()
    assert (row.work_role, row.daily_capacity_hours) == ("Engineer L2", Decimal("7.5"))
    assert (row.hourly_rate_amount, row.hourly_rate_currency) == (Decimal("150.0000"), "USD")
    assert ram.rates() == [("M-1", date(2025, 1, 1), Decimal("40")), ("M-1", date(2025, 7, 1), Decimal("45"))]


async def test_a_newer_version_replaces_the_technician_and_the_whole_cost_history(ram: Running) -> None:
    later = T0 + timedelta(days=1)
    await ram.deliver(
        upserted(technician()),
        upserted(  # the July rate corrected, the January one dropped, a new one added
            technician(
                work_role="Engineer L3",
                updated_at=later,
                cost_rates=[rate(date(2025, 7, 1), "46.00"), rate(date(2026, 1, 1), "50.00")],
            ),
            later,
        ),
    )
    [row] = ram.technicians()
    assert (row.work_role, row.as_of) == ("Engineer L3", later)
    assert ram.rates() == [("M-1", date(2025, 7, 1), Decimal("46")), ("M-1", date(2026, 1, 1), Decimal("50"))]


async def test_an_older_version_arriving_later_is_ignored(ram: Running) -> None:
    later = T0 + timedelta(days=1)
    await ram.deliver(
        upserted(technician(active=False, cost_rates=[], updated_at=later), later),
        upserted(technician(updated_at=T0), T0 + timedelta(days=2)),  # a late export of the old state
    )
    [row] = ram.technicians()
    assert (row.active, row.as_of) == (False, later)
    assert ram.rates() == []
    assert ram.count("msp_events_consumed") == 2


async def test_the_same_event_delivered_twice_changes_nothing(ram: Running) -> None:
    event = upserted(technician())
    await ram.deliver(event)
    before = (ram.technicians()[0].model_dump(), ram.rates())
    await ram.deliver(event)
    assert (ram.technicians()[0].model_dump(), ram.rates()) == before
    assert ram.count("msp_inbox_duplicates") == 1
    assert ram.count("msp_events_consumed") == 1


async def test_versions_with_the_same_time_converge_in_any_order(tmp_path: Path) -> None:
    a = upserted(technician(work_role="Engineer L2"), T0)
    b = upserted(technician(work_role="Engineer L3", cost_rates=[]), T0 + timedelta(seconds=1))
    states = []
    for name, order in (("ab", (a, b)), ("ba", (b, a))):
        async for running in start(tmp_path / f"{name}.db"):
            await running.deliver(*order)
            states.append(([t.model_dump() for t in running.technicians()], running.rates()))
    assert states[0] == states[1]


async def test_an_ambiguous_cost_history_is_dead_lettered_not_stored(ram: Running) -> None:
    same_day = [rate(date(2025, 7, 1), "45.00"), rate(date(2025, 7, 1), "46.00")]
    await ram.deliver(upserted(technician(cost_rates=same_day)))
    assert ram.technicians() == []
    assert ram.count("msp_events_dead_lettered", reason="handler-rejected") == 1


async def test_the_api_lists_technicians_with_the_cost_on_a_date(ram: Running) -> None:
    await ram.deliver(
        upserted(technician()),
        upserted(technician(technician_id="M-2", name="Grace Hopper", active=False, cost_rates=[])),
    )
    async with ram.http() as http:
        everyone = (await http.get("/technicians")).json()
        on_june = (await http.get("/technicians", params={"active": "true", "on": "2025-06-30"})).json()
        on_july = (await http.get("/technicians", params={"active": "true", "on": "2025-07-01"})).json()
    assert [t["name"] for t in everyone] == ["Ada Lovelace", "Grace Hopper"]
    assert everyone[0]["hourly_cost_on"] is None  # no date asked for
    assert everyone[0]["cost_rates"][1] == {
        "effective_from": "2025-07-01",
        "effective_to": None,
        "hourly_cost": {"amount": "45.0000", "currency": "USD"},
    }
    assert [t["hourly_cost_on"] for t in on_june] == [{"amount": "40.0000", "currency": "USD"}]
    assert [t["hourly_cost_on"] for t in on_july] == [{"amount": "45.0000", "currency": "USD"}]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"on": "2025-13-01"}, "on"),
        ({"on": "yesterday"}, "on"),
        ({"active": "perhaps"}, "active"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"work_role": ""}, "work_role"),
    ],
)
async def test_the_api_rejects_bad_parameters(ram: Running, params: dict[str, Any], field: str) -> None:
    error = await ram.rejected("/technicians", params)
    assert error["loc"] == ["query", field]


async def test_the_migration_creates_exactly_the_tables_the_code_uses(ram: Running) -> None:
    assert ram.schema_drift(METADATA) == []
