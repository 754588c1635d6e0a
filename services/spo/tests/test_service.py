"""SPO end to end over the in-process transport: events in, pipeline rows and REST out."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from msp_events import Envelope, Money
from msp_events.testing.service import RunningService
from msp_events.types.crm import OpportunityUpserted

from spo.store.tables import METADATA, Opportunity

sys.path.insert(0, str(Path(__file__).parent))
from spo_facts import start_service

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TYPE = "crm.opportunity.upserted"


def opportunity(**changes: Any) -> OpportunityUpserted:
    fields: dict[str, Any] = {
        "opportunity_id": "OPP-1",
        "name": "Managed services for Contoso",
        "prospect_name": "Contoso",
        "stage": "proposed",
        "status": "open",
        "probability": Decimal("35"),
        "expected_close_date": date(2026, 12, 15),
        "estimated_recurring_monthly": Money(amount=Decimal("4800.00"), currency="USD"),
        "recurring_term_months": 36,
        "estimated_one_time": Money(amount=Decimal("12000.00"), currency="USD"),
        "created_on": date(2026, 10, 1),
        "updated_at": T0,
    }
    return OpportunityUpserted(**{**fields, **changes})


def upserted(data: OpportunityUpserted, time: datetime = T0) -> Envelope[OpportunityUpserted]:
    return Envelope.build(data, source="crm.connectwise", time=time)


class Running(RunningService):
    event_type = TYPE

    def rows(self) -> list[Opportunity]:
        with Session(self.service.engine) as session:
            return list(session.exec(select(Opportunity).order_by(Opportunity.opportunity_id)))


async def start(db: Path) -> AsyncIterator[Running]:
    async for running in start_service(db, Running):
        yield running


@pytest.fixture
async def spo(tmp_path: Path) -> AsyncIterator[Running]:
    async for running in start(tmp_path / "spo.db"):
        yield running


async def test_an_opportunity_is_projected(spo: Running) -> None:
    await spo.deliver(upserted(opportunity()))
    [row] = spo.rows()
    assert (row.opportunity_id, row.stage, row.status, row.probability) == ("OPP-1", "proposed", "open", 35)
    assert (row.one_time_amount, row.one_time_currency) == (Decimal("12000.0000"), "USD")
    assert row.as_of == T0


async def test_a_newer_version_replaces_an_older_one(spo: Running) -> None:
    later = T0 + timedelta(days=1)
    await spo.deliver(
        upserted(opportunity()),
        upserted(opportunity(stage="verbal", probability=Decimal("80"), updated_at=later), later),
    )
    [row] = spo.rows()
    assert (row.stage, row.probability, row.as_of) == ("verbal", 80, later)


async def test_an_older_version_arriving_later_is_ignored(spo: Running) -> None:
    later = T0 + timedelta(days=1)
    await spo.deliver(
        upserted(opportunity(stage="verbal", updated_at=later), later),
        upserted(opportunity(stage="qualified", updated_at=T0), T0 + timedelta(days=2)),  # late export
    )
    [row] = spo.rows()
    assert (row.stage, row.as_of) == ("verbal", later)
    assert spo.count("msp_events_consumed") == 2


async def test_without_a_change_time_the_event_time_decides(spo: Running) -> None:
    later = T0 + timedelta(hours=3)
    await spo.deliver(
        upserted(opportunity(stage="verbal", updated_at=None), later),
        upserted(opportunity(stage="qualified", updated_at=None), T0),
    )
    [row] = spo.rows()
    assert (row.stage, row.as_of) == ("verbal", later)


async def test_the_same_event_delivered_twice_changes_nothing(spo: Running) -> None:
    event = upserted(opportunity())
    await spo.deliver(event)
    before = spo.rows()[0].model_dump()
    await spo.deliver(event)
    assert [r.model_dump() for r in spo.rows()] == [before]
    assert spo.count("msp_inbox_duplicates") == 1
    assert spo.count("msp_events_consumed") == 1


async def test_versions_with_the_same_time_converge_in_any_order(tmp_path: Path) -> None:
    a = upserted(opportunity(stage="qualified"), T0)
    b = upserted(opportunity(stage="verbal"), T0 + timedelta(seconds=1))  # same updated_at, other content
    states = []
    for name, order in (("ab", (a, b)), ("ba", (b, a))):
        async for running in start(tmp_path / f"{name}.db"):
            await running.deliver(*order)
            states.append([r.model_dump() for r in running.rows()])
    assert states[0] == states[1]


async def test_the_api_lists_the_pipeline_with_weighted_values(spo: Running) -> None:
    await spo.deliver(
        upserted(opportunity()),
        upserted(
            opportunity(
                opportunity_id="OPP-2",
                status="won",
                stage="verbal",
                probability=None,
                expected_close_date=date(2026, 11, 30),
            )
        ),
    )
    async with spo.http() as http:
        everything = (await http.get("/opportunities")).json()
        open_only = (await http.get("/opportunities", params={"status": "open", "stage": "proposed"})).json()
        paged = (await http.get("/opportunities", params={"limit": 1, "offset": 1})).json()
    assert [o["opportunity_id"] for o in everything] == ["OPP-2", "OPP-1"]  # by expected close date
    assert [o["opportunity_id"] for o in paged] == ["OPP-1"]
    [o] = open_only
    assert o["estimated_one_time"] == {"amount": "12000.0000", "currency": "USD"}
    assert o["weighted_one_time"] == {"amount": "4200.0000", "currency": "USD"}
    assert o["weighted_recurring_monthly"] == {"amount": "1680.0000", "currency": "USD"}
    assert everything[0]["weighted_one_time"] is None  # no probability entered


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "maybe"}, "status"),
        ({"stage": "won"}, "stage"),
        ({"limit": 0}, "limit"),
        ({"limit": 5000}, "limit"),
        ({"offset": -1}, "offset"),
        ({"limit": "ten"}, "limit"),
    ],
)
async def test_the_api_rejects_bad_parameters(spo: Running, params: dict[str, Any], field: str) -> None:
    error = await spo.rejected("/opportunities", params)
    assert error["loc"] == ["query", field]


async def test_the_migration_creates_exactly_the_tables_the_code_uses(spo: Running) -> None:
    assert spo.schema_drift(METADATA) == []
