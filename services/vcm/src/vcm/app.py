"""VCM's composition root: the only place that reads settings and wires the parts together."""

from __future__ import annotations

from fastapi import FastAPI

from msp_events.runtime.http import build_http_app
from msp_events.runtime.service import Service
from msp_events.runtime.transport import Transport
from msp_events.runtime.wiring import transport_for

from vcm import api, handlers
from vcm.services import Policy
from vcm.settings import Settings
from vcm.store import MIGRATIONS
from vcm.store.tables import METADATA


def create_service(settings: Settings | None = None, transport: Transport | None = None) -> Service:
    settings = settings or Settings()
    policy = Policy(
        reminder_offsets=tuple(sorted(set(settings.reminder_days), reverse=True)),
        consensus_threshold=settings.consensus_threshold,
        consensus_vote_days=settings.consensus_vote_days,
    )
    return Service(
        settings=settings,
        router=handlers.build_router(policy),
        transport=transport or transport_for(settings),
        migrations=MIGRATIONS,
        metadata=METADATA,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_http_app(create_service(settings), [api.router])
