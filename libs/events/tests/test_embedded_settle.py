"""Settling an embedded system: a caught-up service is idle at once, not after an empty fetch.

A paced run (``make demo``: the log a day at a time, each step settled) settles hundreds of times,
so a pump that only reported idle once a fetch had waited its whole timeout for nothing cost that
timeout per step. Here the fetch timeout is 8 s: the system must settle well before that once it
has handled the one event, with its derived event relayed.
"""

from __future__ import annotations

import dataclasses
import tempfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from msp_events import Envelope, Money
from msp_events.codec.kafka import decode
from msp_events.registry import REGISTRY
from msp_events.runtime.embedded import EmbeddedSystem
from msp_events.runtime.inprocess import InProcessBus
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.service import Service
from msp_events.runtime.settings import ServiceSettings
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import ClientProfitabilityChanged
from msp_events.types.psa import ClientUpserted

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
FETCH_TIMEOUT_S = 8.0
"""Longer than the settle may take; not much longer: stopping waits for the fetch in flight."""


def _cpi(tmp: Path, bus: InProcessBus) -> Service:
    router = HandlerRouter()

    @router.handles(ClientUpserted)
    def on_client(uow: UnitOfWork, event: Envelope[ClientUpserted]) -> None:
        usd = Money(amount=Decimal("1.00"), currency="USD")
        uow.emit(
            ClientProfitabilityChanged(
                client_id=event.data.client_id,
                period="2026-02",
                gross_margin_pct=Decimal(0),
                band="critical",
                direction="down",
                revenue=usd,
                cost=usd,
                labour_hours=Decimal(1),
                summary="settled",
            )
        )

    settings = ServiceSettings(
        service_name="cpi", MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{tmp}/cpi.db"
    )
    return Service(settings=settings, router=router, transport=bus, migrations=Path(tempfile.mkdtemp()))


async def test_a_caught_up_service_settles_without_waiting_for_its_fetch_timeout(tmp_path: Path) -> None:
    bus = InProcessBus()
    await bus.ensure_topics(REGISTRY.partitions_by_topic())
    service = _cpi(tmp_path, bus)
    async with EmbeddedSystem(bus, [service]) as system:
        await system.settle(timeout_s=10)  # idle before anything arrives (the first empty fetch)
        assert service.pump is not None
        service.pump.policy = dataclasses.replace(service.pump.policy, fetch_timeout_s=FETCH_TIMEOUT_S)
        data = ClientUpserted(client_id="C-1", name="Contoso", status="active", created_on=date(2020, 1, 1))
        await system.publish([Envelope.build(data, source="test.psa", time=T0)])
        # the old pump stayed busy until a fetch had waited its whole timeout for nothing
        await system.settle(timeout_s=FETCH_TIMEOUT_S - 2)
    topic = REGISTRY.get("client.profitability.changed").topic
    out = [decode(r.value, r.headers) for r in bus.records(topic)]
    assert [e.data.client_id for e in out] == ["C-1"]
