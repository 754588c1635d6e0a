"""SPO's composition root: the only place that reads settings and wires the parts together."""

from __future__ import annotations

from fastapi import FastAPI

from msp_events.narrative.select import text_writer
from msp_events.runtime.http import build_http_app
from msp_events.runtime.service import Service
from msp_events.runtime.transport import Transport
from msp_events.runtime.wiring import transport_for

from spo import api, handlers, rendering
from spo.domain.suggestions import Rules
from spo.proposing import ProposalConfig
from spo.settings import Settings
from spo.store import MIGRATIONS
from spo.store.tables import METADATA
from spo.winning import WinConfig


def create_service(settings: Settings | None = None, transport: Transport | None = None) -> Service:
    settings = settings or Settings()
    return Service(
        settings=settings,
        router=handlers.build_router(
            WinConfig.of(settings),
            Rules(),
            ProposalConfig(tax_pct=settings.tax_pct, licence_wait_days=settings.licence_wait_days),
        ),
        transport=transport or transport_for(settings),
        migrations=MIGRATIONS,
        metadata=METADATA,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = build_http_app(create_service(settings), [api.router])
    # The proposal narrative's writer: SPO's deterministic template writer, or Bedrock when
    # NARRATIVE_WRITER=bedrock (it falls back to the template; docs/aws.md).
    app.state.text_writer = text_writer(settings.narrative, rendering.default_writer())
    return app
