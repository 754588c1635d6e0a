"""One service running on the in-process transport, for the services' own tests.

Every agent's service tests do the same things: start the service alone over an in-process bus with
a SQLite file, deliver events one at a time, read metrics, call the REST API and check that the
migrations create exactly the tables the code declares. This is that harness, written once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import APIRouter
from sqlalchemy import Engine, MetaData
from sqlmodel import Session

from msp_events.envelope import Envelope
from msp_events.runtime.embedded import EmbeddedSystem
from msp_events.runtime.http import build_http_app, build_metrics_app
from msp_events.runtime.inprocess import InProcessBus
from msp_events.runtime.service import Service
from msp_events.runtime.settings import ServiceSettings
from msp_events.runtime.transport import Transport
from msp_events.testing import auth as test_auth

R = TypeVar("R", bound="RunningService")
ServiceFactory = Callable[..., Service]


class RunningService:
    """A started service; subclass it in a test module to add readers for the service's tables."""

    event_type: str | None = None
    """Default ``type`` label for ``count`` (the event type the tests mostly deliver)."""

    def __init__(self, system: EmbeddedSystem, service: Service, api: Sequence[APIRouter]) -> None:
        self.system, self.service, self.api = system, service, list(api)

    async def deliver(self, *envelopes: Envelope[Any]) -> None:
        """Publish each envelope and let the service handle it before the next one."""
        for envelope in envelopes:
            await self.system.publish([envelope])
            await self.system.settle()

    def session(self) -> Session:
        return Session(self.service.engine)

    def count(self, metric: str, **labels: str) -> float:
        """The value of a counter, e.g. ``count("msp_inbox_duplicates")`` (0 when never incremented)."""
        if self.event_type is not None:
            labels = {"type": self.event_type, **labels}
        value = self.service.metrics.registry.get_sample_value(f"{metric}_total", labels)
        return value or 0.0

    def http(self, *, token: str | None = "owner") -> httpx.AsyncClient:
        """A client for the service's REST API, in process (the service is already started).

        The API trusts the test issuer (``msp_events.testing.auth``); the client sends an owner's
        token unless ``token`` is another JWT, or ``None`` for no ``Authorization`` header."""
        app = build_http_app(self.service, self.api, auth=test_auth.settings())
        if token == "owner":
            token = test_auth.token(["owner"])
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=f"http://{self.service.name}", headers=headers
        )

    def metrics_http(self) -> httpx.AsyncClient:
        """A client for the service's metrics port (``/metrics``), in process."""
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=build_metrics_app(self.service)),
            base_url=f"http://{self.service.name}-metrics",
        )

    async def rejected(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """GET ``path`` with bad ``params``: assert a 422 naming one problem, and return it."""
        async with self.http() as client:
            response = await client.get(path, params=params)
        assert response.status_code == 422, response.text
        [error] = response.json()["detail"]
        assert error["msg"]
        return dict(error)

    def schema_drift(self, metadata: MetaData) -> list[Any]:
        return schema_drift(self.service.engine, metadata)


def schema_drift(engine: Engine, metadata: MetaData) -> list[Any]:
    """Differences between a migrated database and the tables in ``metadata`` (empty = none)."""
    with engine.connect() as connection:
        ours = {"include_name": lambda name, kind, _: kind != "table" or name in metadata.tables}
        context = MigrationContext.configure(connection, opts=ours)
        return list(compare_metadata(context, metadata))


@asynccontextmanager
async def running_service(
    running: type[R],
    create_service: ServiceFactory,
    settings: ServiceSettings,
    api: Sequence[APIRouter] = (),
) -> AsyncIterator[R]:
    """Start ``create_service(settings, transport=bus)`` alone on a fresh in-process bus."""
    bus = InProcessBus()
    transport: Transport = bus
    service = create_service(settings, transport=transport)
    async with EmbeddedSystem(bus, [service]) as system:
        yield running(system, service, api)
