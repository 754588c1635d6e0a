"""A minimal service run as real processes by the relay failover test (``python relay_service.py serve``).

Every ``psa.client.upserted`` emits one ``client.profitability.changed`` keyed by the client, so
a stream of versions of a few clients gives many outputs per key, whose order the test checks. No
state of its own: the outbox is the only table that matters.
"""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

from fastapi import FastAPI

from msp_events import Envelope, Money
from msp_events.runtime.cli import service_cli
from msp_events.runtime.http import build_http_app
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.service import Service
from msp_events.runtime.settings import ServiceSettings
from msp_events.runtime.uow import UnitOfWork
from msp_events.runtime.wiring import transport_for
from msp_events.types.agents import ClientProfitabilityChanged
from msp_events.types.psa import ClientUpserted

router = HandlerRouter()


@router.handles(ClientUpserted)
def on_client(uow: UnitOfWork, event: Envelope[ClientUpserted]) -> None:
    uow.emit(
        ClientProfitabilityChanged(
            client_id=event.data.client_id,
            period="2026-05",
            gross_margin_pct=Decimal("12"),
            band="critical",
            direction="down",
            revenue=Money(amount=Decimal("500"), currency="USD"),
            cost=Money(amount=Decimal("440"), currency="USD"),
            labour_hours=Decimal("4"),
            summary=event.data.name,
        )
    )


def create_service() -> Service:
    settings = ServiceSettings(service_name="cpi")
    return Service(
        settings=settings,
        router=router,
        transport=transport_for(settings),
        migrations=Path(tempfile.mkdtemp()),
    )


def create_app() -> FastAPI:
    return build_http_app(create_service())


if __name__ == "__main__":
    service_cli(create_service, create_app)
