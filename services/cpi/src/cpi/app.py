"""CPI's composition root: the only place that reads settings and wires the parts together."""

from __future__ import annotations

from fastapi import FastAPI

from msp_events.runtime.http import build_http_app
from msp_events.runtime.service import Service
from msp_events.runtime.transport import Transport
from msp_events.runtime.wiring import transport_for

from cpi import api, handlers
from cpi.churn import api as churn_api
from cpi.domain.alerts import Policy
from cpi.gauges import business_gauges
from cpi.services import LedgerConfig
from cpi.settings import Settings
from cpi.store import MIGRATIONS
from cpi.store.tables import METADATA


def create_service(settings: Settings | None = None, transport: Transport | None = None) -> Service:
    settings = settings or Settings()
    return Service(
        settings=settings,
        router=handlers.build_router(ledger_config(settings)),
        transport=transport or transport_for(settings),
        migrations=MIGRATIONS,
        metadata=METADATA,
        business=business_gauges,
    )


def ledger_config(settings: Settings) -> LedgerConfig:
    policy = Policy(
        strong_pct=settings.band_strong_pct,
        healthy_pct=settings.band_healthy_pct,
        thin_pct=settings.band_thin_pct,
        target_pct=settings.target_margin_pct,
        change_points=settings.margin_change_points,
        hysteresis_points=settings.band_hysteresis_points,
        sustain_months=settings.margin_sustain_months,
        band_sustain_months=settings.band_sustain_months,
        min_profit_change=settings.margin_min_profit_change,
        max_drivers=settings.max_drivers,
    )
    return LedgerConfig(policy=policy, grace_days=settings.close_grace_days)


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_http_app(create_service(settings), [api.router, churn_api.router])
