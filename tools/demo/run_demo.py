"""``make demo``: the six agents in one process on a small MSP's day, and what each of them did.

Runs the embedded default (in-process transport, one SQLite file per agent under ``.demo/``): the
same handlers, topic routing, inbox, outbox and dead-letter path as on Kafka. The flow includes a
redelivered fact, a late (older) fact and a malformed message, to show they are handled, not lost.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from msp_events import Envelope, Money, agents
from msp_events.runtime.auth import AuthSettings
from msp_events.runtime.embedded import EmbeddedSystem
from msp_events.runtime.http import build_http_app
from msp_events.runtime.inprocess import InProcessBus
from msp_events.runtime.settings import ServiceSettings
from msp_events.runtime.transport import Outgoing
from msp_events.types.contracts import ContractDocumentReceived
from msp_events.types.crm import OpportunityUpserted
from msp_events.types.finance import BudgetSet
from msp_events.types.licensing import SubscriptionUpserted
from msp_events.types.platform import ClockTicked
from msp_events.types.psa import ClientUpserted, TechnicianUpserted

STATE = Path(".demo")
DAY = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
console = Console(width=150)
FIRST_VIEW = {
    "cpi": "/clients",
    "spo": "/opportunities",
    "ram": "/technicians",
    "sli": "/subscriptions",
    "dsa": "/budgets",
    "vcm": "/documents",
}
"""The API page the demo shows for each agent (an agent not listed here is run but not shown)."""


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def at(minutes: int) -> datetime:
    return DAY + timedelta(minutes=minutes)


def facts() -> list[Envelope[Any]]:
    psa, crm, pax8, erp, inbox = (
        "psa.connectwise",
        "crm.connectwise",
        "distributor.pax8",
        "finance.erp",
        "vcm.intake",
    )
    clients = [
        ClientUpserted(
            client_id="C-100",
            name="Harbor Dental Group",
            status="active",
            tier="Pro",
            currency="USD",
            created_on=date(2021, 3, 1),
            updated_at=at(1),
        ),
        ClientUpserted(
            client_id="C-200",
            name="Blue Fern Law",
            status="active",
            tier="Essentials",
            currency="USD",
            created_on=date(2022, 7, 15),
            updated_at=at(2),
        ),
        ClientUpserted(
            client_id="C-300",
            name="Northwind Logistics",
            status="active",
            tier="Pro",
            currency="USD",
            created_on=date(2019, 1, 10),
            updated_at=at(3),
        ),
    ]
    renamed = ClientUpserted(
        client_id="C-200",
        name="Blue Fern Law LLP",
        status="active",
        tier="Pro",
        currency="USD",
        created_on=date(2022, 7, 15),
        updated_at=at(30),
    )
    late = ClientUpserted(
        client_id="C-200",
        name="Blue Fern (old export)",
        status="active",
        currency="USD",
        created_on=date(2022, 7, 15),
        updated_at=at(-600),
    )
    events: list[Envelope[Any]] = [Envelope.build(c, source=psa, time=at(i)) for i, c in enumerate(clients)]
    events += [
        Envelope.build(
            TechnicianUpserted(
                technician_id="T-1",
                name="Ana Ruiz",
                work_role="Senior Engineer",
                daily_capacity_hours=Decimal("7.5"),
            ),
            source=psa,
            time=at(5),
        ),
        Envelope.build(
            TechnicianUpserted(
                technician_id="T-2",
                name="Sam Okafor",
                work_role="Service Desk L1",
                daily_capacity_hours=Decimal("8"),
            ),
            source=psa,
            time=at(6),
        ),
        Envelope.build(
            OpportunityUpserted(
                opportunity_id="O-9",
                name="Harbor Dental: Intune rollout",
                client_id="C-100",
                stage="qualified",
                status="open",
                expected_close_date=date(2026, 12, 15),
                created_on=date(2026, 10, 20),
            ),
            source=crm,
            time=at(10),
        ),
        Envelope.build(
            SubscriptionUpserted(
                subscription_id="S-1",
                client_id="C-100",
                vendor="Microsoft",
                sku_id="O365_BUSINESS_PREMIUM",
                product_name="Microsoft 365 Business Premium",
                quantity=25,
                unit_cost=usd("19.80"),
                unit_price=usd("22.00"),
                billing_term="annual",
                status="active",
            ),
            source=pax8,
            time=at(12),
        ),
        Envelope.build(
            BudgetSet(
                budget_id="B-IT-2026-11",
                department="IT Operations",
                period_start=date(2026, 11, 1),
                period_end=date(2026, 11, 30),
                planned=usd("18500.00"),
            ),
            source=erp,
            time=at(14),
        ),
        Envelope.build(
            ContractDocumentReceived(
                document_id="D-77",
                file_name="datto-bcdr-msa.txt",
                media_type="text/plain",
                received_at=at(15),
                text="Master Services Agreement between Datto, Inc. and the MSP. "
                "Term: 36 months, renewing automatically for 12 months unless "
                "either party gives 90 days' written notice.",
            ),
            source=inbox,
            time=at(15),
        ),
        Envelope.build(renamed, source=psa, time=at(30)),
        Envelope.build(
            late, source=psa, time=at(31)
        ),  # an old export arriving late: ignored by "newest wins"
        Envelope.build(ClockTicked(now=at(60)), source="platform.clock", time=at(60)),
    ]
    events.append(events[0])  # the PSA webhook fires twice: the inbox drops the copy
    return events


async def main() -> None:
    await asyncio.to_thread(_fresh_state)
    bus = InProcessBus()
    services = []
    for name, agent in agents.installed().items():
        app_module = agent.app()
        settings_cls: type[ServiceSettings] = app_module.Settings
        settings = settings_cls(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{STATE}/{name}.db")
        services.append(app_module.create_service(settings, transport=bus))
    with console.status("starting six agents (embedded default: in-process transport, SQLite each) …"):
        system = EmbeddedSystem(bus, services)
        await system.__aenter__()
    logged = 0
    try:
        flow = facts()
        console.print(f"publishing {len(flow)} facts of one MSP morning (+1 malformed message) …")
        await system.publish(flow)
        await bus.append(
            [
                Outgoing(
                    "psa.client.upserted",
                    b"C-999",
                    b"{not json",
                    [("ce_specversion", b"1.0"), ("ce_type", b"psa.client.upserted")],
                )
            ]
        )
        await system.settle()
        logged = system.write_log(STATE / "events.jsonl")
        report(services)
        for service in services:
            await show_state(service)
    finally:
        await system.__aexit__(None, None, None)
    console.print(
        f"\nEach agent's database is in {STATE}/ (SQLite); dead letters are on dlt.<agent>.<topic>."
        f"\nThe {logged} events are in {STATE}/events.jsonl: `msp-trace EVENT_ID` shows the chain behind"
        " any of them."
    )


def _fresh_state() -> None:
    shutil.rmtree(STATE, ignore_errors=True)
    STATE.mkdir()


def report(services: list[Any]) -> None:
    table = Table(title="What each agent did")
    for column in ("agent", "consumed", "duplicates dropped", "dead-lettered", "published"):
        table.add_column(column, justify="right" if column != "agent" else "left")
    for service in services:
        m = service.metrics
        consumed = _by_type(m.consumed)
        table.add_row(
            service.name.upper(),
            ", ".join(f"{t} x{int(n)}" for t, n in consumed.items()) or "—",
            str(int(sum(_by_type(m.duplicates).values()))),
            ", ".join(f"{r} x{int(n)}" for r, n in _by_label(m.dead_lettered, "reason").items()) or "0",
            str(int(sum(_by_type(m.produced).values()))),
        )
    console.print(table)


async def show_state(service: Any) -> None:
    path = FIRST_VIEW.get(service.name)
    if path is None:
        return
    api = agents.installed()[service.name].module("api")
    # the demo runs on one machine and reads its own APIs: authentication off, explicitly (it warns)
    app = build_http_app(service, [api.router], auth=AuthSettings(mode="off"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://demo") as client:
        response = await client.get(path)
    rows = response.json()
    table = Table(title=f"{service.name.upper()}  GET {path}  →  {response.status_code}")
    if rows:
        keys = [k for k in rows[0] if any(r[k] not in (None, [], {}) for r in rows)][:7]
        for key in keys:
            table.add_column(key)
        for row in rows:
            table.add_row(*[_cell(row[k]) for k in keys])
    console.print(table)


def _cell(value: Any) -> str:
    if isinstance(value, dict) and {"amount", "currency"} <= value.keys():
        return f"{value['amount']} {value['currency']}"
    return "" if value is None else str(value)


def _by_type(counter: Any) -> dict[str, float]:
    return _by_label(counter, "type")


def _by_label(counter: Any, label: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for metric in counter.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total") and sample.value:
                key = sample.labels[label]
                out[key] = out.get(key, 0) + sample.value
    return out


if __name__ == "__main__":
    asyncio.run(main())
