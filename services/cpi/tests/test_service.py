"""CPI end to end over the in-process transport: events in, client rows and REST out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from msp_events import Envelope
from msp_events.testing.service import RunningService, running_service
from msp_events.types.psa import ClientUpserted

from cpi import api
from cpi.app import create_service
from cpi.settings import Settings
from cpi.store.tables import METADATA, Client

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TYPE = "psa.client.upserted"


def client_data(**changes: Any) -> ClientUpserted:
    fields: dict[str, Any] = {
        "client_id": "C-1001",
        "name": "Contoso",
        "status": "active",
        "tier": "Pro",
        "currency": "USD",
        "created_on": date(2024, 3, 1),
        "updated_at": T0,
    }
    return ClientUpserted(**{**fields, **changes})


def upserted(data: ClientUpserted, time: datetime = T0) -> Envelope[ClientUpserted]:
    return Envelope.build(data, source="psa.connectwise", time=time)


class Running(RunningService):
    event_type = TYPE

    def rows(self) -> list[Client]:
        with Session(self.service.engine) as session:
            return list(session.exec(select(Client).order_by(Client.client_id)))


async def start(db: Path) -> AsyncIterator[Running]:
    settings = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{db}")
    async with running_service(Running, create_service, settings, [api.router]) as running:
        yield running


@pytest.fixture
async def cpi(tmp_path: Path) -> AsyncIterator[Running]:
    async for running in start(tmp_path / "cpi.db"):
        yield running


async def test_versions_with_the_same_time_converge_in_any_order(tmp_path: Path) -> None:
    a = upserted(client_data(tier="Essentials"), T0)
    b = upserted(client_data(tier="Pro"), T0 + timedelta(seconds=1))  # same updated_at, other content
    states = []
    for name, order in (("ab", (a, b)), ("ba", (b, a))):
        async for running in start(tmp_path / f"{name}.db"):
            await running.deliver(*order)
            states.append([r.model_dump() for r in running.rows()])
    assert states[0] == states[1]


async def test_a_client_is_projected(cpi: Running) -> None:
    await cpi.deliver(upserted(client_data()))
    [row] = cpi.rows()
    assert (row.client_id, row.name, row.status, row.tier, row.currency) == (
        "C-1001",
        "Contoso",
        "active",
        "Pro",
        "USD",
    )
    assert row.as_of == T0


async def test_a_newer_version_replaces_an_older_one(cpi: Running) -> None:
    later = T0 + timedelta(days=1)
    await cpi.deliver(
        upserted(client_data()), upserted(client_data(status="churned", updated_at=later), later)
    )
    [row] = cpi.rows()
    assert (row.status, row.as_of) == ("churned", later)


async def test_an_older_version_arriving_later_is_ignored(cpi: Running) -> None:
    later = T0 + timedelta(days=1)
    await cpi.deliver(
        upserted(client_data(tier="Enterprise", updated_at=later), later),
        upserted(client_data(tier="Pro", updated_at=T0), T0 + timedelta(days=2)),  # a late export
    )
    [row] = cpi.rows()
    assert (row.tier, row.as_of) == ("Enterprise", later)
    assert cpi.count("msp_events_consumed") == 2


async def test_without_a_change_time_the_event_time_decides(cpi: Running) -> None:
    later = T0 + timedelta(hours=2)
    await cpi.deliver(
        upserted(client_data(name="Contoso Ltd", updated_at=None), later),
        upserted(client_data(name="Contoso", updated_at=None), T0),
    )
    [row] = cpi.rows()
    assert (row.name, row.as_of) == ("Contoso Ltd", later)


async def test_the_same_event_delivered_twice_changes_nothing(cpi: Running) -> None:
    event = upserted(client_data())
    await cpi.deliver(event)
    before = cpi.rows()[0].model_dump()
    await cpi.deliver(event)
    assert [r.model_dump() for r in cpi.rows()] == [before]
    assert cpi.count("msp_inbox_duplicates") == 1
    assert cpi.count("msp_events_consumed") == 1


async def test_the_api_lists_clients_by_name(cpi: Running) -> None:
    await cpi.deliver(
        upserted(client_data()),
        upserted(client_data(client_id="C-2002", name="Adventure Works", status="prospect", tier=None)),
    )
    async with cpi.http() as http:
        everyone = (await http.get("/clients")).json()
        prospects = (await http.get("/clients", params={"status": "prospect"})).json()
        second = (await http.get("/clients", params={"limit": 1, "offset": 1})).json()
    assert [c["name"] for c in everyone] == ["Adventure Works", "Contoso"]
    assert prospects == [
        {
            "client_id": "C-2002",
            "name": "Adventure Works",
            "status": "prospect",
            "tier": None,
            "currency": "USD",
            "month": None,  # no ledger yet: no figures
            "gross_margin_pct": None,
            "band": None,
            "effective_rate": None,
            "problem_client": None,  # no ledger yet: not judged
            "churn_risk": None,
            "churn_band": None,
            "repricing": None,  # no repricing decision proposed for it
            "repricing_decision_id": None,
        }
    ]
    assert [c["client_id"] for c in second] == ["C-1001"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
async def test_the_api_rejects_bad_parameters(cpi: Running, params: dict[str, Any], field: str) -> None:
    error = await cpi.rejected("/clients", params)
    assert error["loc"] == ["query", field]


async def test_the_migration_creates_exactly_the_tables_the_code_uses(cpi: Running) -> None:
    assert cpi.schema_drift(METADATA) == []
