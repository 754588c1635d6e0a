"""SPO's composition root: the only place that reads settings and wires the parts together."""

from __future__ import annotations

from fastapi import FastAPI

from msp_events.runtime.http import build_http_app
from msp_events.runtime.service import Service
from msp_events.runtime.transport import Transport
from msp_events.runtime.wiring import transport_for

from spo import api, handlers
from spo.settings import Settings
from spo.store import MIGRATIONS
from spo.store.tables import METADATA
from spo.winning import WinConfig


def create_service(settings: Settings | None = None, transport: Transport | None = None) -> Service:
    settings = settings or Settings()
    return Service(
        settings=settings,
        router=handlers.build_router(win_config(settings)),
        transport=transport or transport_for(settings),
        migrations=MIGRATIONS,
        metadata=METADATA,
    )


def win_config(settings: Settings) -> WinConfig:
    return WinConfig(
        stage_base_rates=dict(settings.stage_base_rates),
        min_closed_deals=settings.min_closed_deals,
        seed=settings.model_seed,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = build_http_app(create_service(settings), [api.router])
    app.state.win_config = win_config(settings)
    return app
