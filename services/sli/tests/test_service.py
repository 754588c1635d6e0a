"""SLI end to end over the in-process transport: events in, subscription rows and REST out."""

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
from msp_events.types.licensing import SubscriptionUpserted

from sli import api
from sli.app import create_service
from sli.settings import Settings
from sli.store.tables import METADATA, Subscription

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TYPE = "licensing.subscription.upserted"


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def subscription(**changes: Any) -> SubscriptionUpserted:
    fields: dict[str, Any] = {
        "subscription_id": "SUB-1",
        "client_id": "C-1001",
        "vendor": "Microsoft",
        "distributor": "Pax8",
        "sku_id": "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
        "sku_part_number": "SPB",
        "product_name": "Microsoft 365 Business Premium",
        "quantity": 25,
        "consumed_units": 22,
        "unit_cost": usd("17.60"),
        "unit_price": usd("22.00"),
        "billing_term": "monthly",
        "commitment_term_months": 12,
        "commitment_end_date": date(2027, 3, 31),
        "status": "active",
        "updated_at": T0,
    }
    return SubscriptionUpserted(**{**fields, **changes})


def upserted(data: SubscriptionUpserted, time: datetime = T0) -> Envelope[SubscriptionUpserted]:
    return Envelope.build(data, source="licensing.pax8", time=time)


class Running(RunningService):
    event_type = TYPE

    def rows(self) -> list[Subscription]:
        with Session(self.service.engine) as session:
            return list(session.exec(select(Subscription).order_by(Subscription.subscription_id)))


async def start(db: Path) -> AsyncIterator[Running]:
    settings = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{db}")
    async with running_service(Running, create_service, settings, [api.router]) as running:
        yield running


@pytest.fixture
async def sli(tmp_path: Path) -> AsyncIterator[Running]:
    async for running in start(tmp_path / "sli.db"):
        yield running


async def test_a_subscription_is_projected(sli: Running) -> None:
    await sli.deliver(upserted(subscription()))
    [row] = sli.rows()
    assert (row.subscription_id, row.client_id, row.quantity, row.status) == ("SUB-1", "C-1001", 25, "active")
    assert (row.unit_cost_amount, row.unit_cost_currency) == (Decimal("17.6000"), "USD")
    assert row.as_of == T0


async def test_a_subscription_of_unknown_cost_keeps_its_seats_and_a_null_cost(sli: Running) -> None:
    """1.1 leaves unit_cost out when the distributor gave none: stored as null, listed as null."""
    await sli.deliver(upserted(subscription(unit_cost=None)))
    [row] = sli.rows()
    assert (row.quantity, row.unit_cost_amount, row.unit_cost_currency) == (25, None, None)
    async with sli.http() as http:
        [listed] = (await http.get("/subscriptions", params={"client_id": "C-1001"})).json()
    assert (listed["quantity"], listed["unit_cost"]) == (25, None)


async def test_a_newer_version_replaces_an_older_one(sli: Running) -> None:
    later = T0 + timedelta(hours=6)
    await sli.deliver(upserted(subscription()), upserted(subscription(quantity=30, updated_at=later), later))
    [row] = sli.rows()
    assert (row.quantity, row.as_of) == (30, later)


async def test_an_older_version_arriving_later_is_ignored(sli: Running) -> None:
    later = T0 + timedelta(hours=6)
    await sli.deliver(
        upserted(subscription(status="cancelled", quantity=0, updated_at=later), later),
        upserted(subscription(updated_at=T0), T0 + timedelta(days=1)),  # a late retry of the older sync
    )
    [row] = sli.rows()
    assert (row.status, row.quantity, row.as_of) == ("cancelled", 0, later)
    assert sli.count("msp_events_consumed") == 2


async def test_without_a_sync_time_the_event_time_decides(sli: Running) -> None:
    later = T0 + timedelta(hours=1)
    await sli.deliver(
        upserted(subscription(quantity=30, updated_at=None), later),
        upserted(subscription(quantity=25, updated_at=None), T0),
    )
    [row] = sli.rows()
    assert (row.quantity, row.as_of) == (30, later)


async def test_the_same_event_delivered_twice_changes_nothing(sli: Running) -> None:
    event = upserted(subscription())
    await sli.deliver(event)
    before = sli.rows()[0].model_dump()
    await sli.deliver(event)
    assert [r.model_dump() for r in sli.rows()] == [before]
    assert sli.count("msp_inbox_duplicates") == 1
    assert sli.count("msp_events_consumed") == 1


async def test_versions_with_the_same_time_converge_in_any_order(tmp_path: Path) -> None:
    a = upserted(subscription(quantity=25), T0)
    b = upserted(subscription(quantity=30), T0 + timedelta(seconds=1))  # same updated_at, other content
    states = []
    for name, order in (("ab", (a, b)), ("ba", (b, a))):
        async for running in start(tmp_path / f"{name}.db"):
            await running.deliver(*order)
            states.append([r.model_dump() for r in running.rows()])
    assert states[0] == states[1]


async def test_the_api_lists_subscriptions_by_client(sli: Running) -> None:
    await sli.deliver(
        upserted(subscription()),
        upserted(
            subscription(
                subscription_id="SUB-2",
                product_name="Exchange Online (Plan 1)",
                consumed_units=None,
                unit_cost=usd("3.20"),
                unit_price=usd("4.00"),
            )
        ),
        upserted(subscription(subscription_id="SUB-3", client_id="C-2002", status="suspended")),
    )
    async with sli.http() as http:
        everything = (await http.get("/subscriptions")).json()
        contoso = (await http.get("/subscriptions", params={"client_id": "C-1001"})).json()
        suspended = (await http.get("/subscriptions", params={"status": "suspended"})).json()
        nobody = (await http.get("/subscriptions", params={"client_id": "C-9999"})).json()
    assert [s["subscription_id"] for s in everything] == ["SUB-2", "SUB-1", "SUB-3"]  # client, product
    assert [s["subscription_id"] for s in contoso] == ["SUB-2", "SUB-1"]
    assert [s["subscription_id"] for s in suspended] == ["SUB-3"]
    assert nobody == []
    premium = contoso[1]
    assert premium["unit_price"] == {"amount": "22.0000", "currency": "USD"}
    assert (premium["quantity"], premium["consumed_units"], premium["unassigned_seats"]) == (25, 22, 3)
    assert premium["commitment_end_date"] == "2027-03-31"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"client_id": ""}, "client_id"),
        ({"client_id": "C" * 65}, "client_id"),
        ({"status": "gone"}, "status"),
        ({"limit": 0}, "limit"),
        ({"offset": "x"}, "offset"),
    ],
)
async def test_the_api_rejects_bad_parameters(sli: Running, params: dict[str, Any], field: str) -> None:
    error = await sli.rejected("/subscriptions", params)
    assert error["loc"] == ["query", field]


async def test_the_migration_creates_exactly_the_tables_the_code_uses(sli: Running) -> None:
    assert sli.schema_drift(METADATA) == []
