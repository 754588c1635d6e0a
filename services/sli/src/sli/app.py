"""SLI's composition root: the only place that reads settings and wires the parts together."""

from __future__ import annotations

from fastapi import FastAPI

from msp_events.runtime.http import build_http_app
from msp_events.runtime.service import Service
from msp_events.runtime.transport import Transport
from msp_events.runtime.wiring import transport_for

from sli import api, handlers
from sli.domain.reconciliation import Policy
from sli.services import DeskConfig
from sli.settings import Settings
from sli.store import MIGRATIONS
from sli.store.tables import METADATA


def create_service(settings: Settings | None = None, transport: Transport | None = None) -> Service:
    settings = settings or Settings()
    return Service(
        settings=settings,
        router=handlers.build_router(desk_config(settings)),
        transport=transport or transport_for(settings),
        migrations=MIGRATIONS,
        metadata=METADATA,
    )


def desk_config(settings: Settings) -> DeskConfig:
    policy = Policy(
        inactive_days=settings.inactive_days,
        inactive_days_by_product=dict(settings.inactive_days_by_product),
        grace_days=settings.grace_days,
        buffer_pct=settings.renewal_buffer_pct,
        min_seats=settings.min_seats,
        min_monthly=settings.min_monthly,
    )
    return DeskConfig(
        policy=policy,
        unlimited_skus=frozenset(settings.unlimited_skus),
        unlimited_from=settings.unlimited_from,
        software_skus=dict(settings.software_skus),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_http_app(create_service(settings), [api.router])
