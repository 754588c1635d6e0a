"""The HTTP side of a service: probes and the service's REST API (FastAPI, OpenAPI) on HTTP_PORT,
Prometheus metrics on METRICS_PORT.

The API routers sit behind the bearer-token check of ``runtime/auth.py`` (every route, whatever
the service adds later); the probes stay open for the kubelet. ``/metrics`` lives on an app of its
own, served alongside by the same process (``cli.py``), so a NetworkPolicy can let the scraper
reach the metrics and nothing else, and API clients the API and not the metrics.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from msp_events.runtime.api import RefuseControlCharacters
from msp_events.runtime.auth import AUTH_RESPONSES, AuthSettings, auth_dependencies
from msp_events.runtime.service import Service


def build_http_app(
    service: Service,
    api: Sequence[APIRouter] = (),
    *,
    version: str = "0.1.0",
    auth: AuthSettings | None = None,
) -> FastAPI:
    """The service's API app; ``auth`` replaces the service settings' (the test harness' issuer).
    Raises ``AuthConfigurationError`` when auth is on but no issuer is configured."""
    auth = auth or service.settings.auth
    guard = auth_dependencies(service.name, auth)  # fails before anything starts

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(title=f"{service.name.upper()} agent", version=version, lifespan=lifespan)
    app.state.service = service
    app.add_middleware(RefuseControlCharacters)  # a NUL never reaches a handler or the database

    @app.get("/livez", tags=["operations"], summary="The process is alive")
    async def livez() -> dict[str, str]:
        return {"status": "alive", "service": service.name}

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="Broker and database reachable, no stalled partition",
        responses={
            503: {"description": "not ready: the checks say which of broker, database and consumer failed"}
        },
    )
    async def readyz() -> JSONResponse:
        checks = await service.readiness()
        ready = all(checks.values())
        body: dict[str, object] = {"ready": ready, "checks": checks}
        if service.reasons:
            body["reasons"] = service.reasons
        return JSONResponse(body, status_code=200 if ready else 503)

    for router in api:
        _document_unparseable_bodies(router)
        app.include_router(router, dependencies=guard, responses=AUTH_RESPONSES if guard else None)
    return app


def _document_unparseable_bodies(router: APIRouter) -> None:
    """FastAPI answers 400 itself when a request body is not JSON (bytes that are not UTF-8, say),
    before any validation: say so in the OpenAPI of every route that takes a body, so clients and
    the schema fuzzing expect it, for routes added later too."""
    for route in router.routes:
        if isinstance(route, APIRoute) and route.body_field is not None:
            route.responses.setdefault(400, {"description": "the request body is not valid JSON"})


def build_metrics_app(service: Service) -> FastAPI:
    """``/metrics`` alone, for METRICS_PORT: no lifespan (the API app starts and stops the service)."""
    app = FastAPI(title=f"{service.name.upper()} metrics", docs_url=None, redoc_url=None)

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics",
        response_class=PlainTextResponse,  # so the OpenAPI says text/plain, what it answers
        responses={200: {"description": "Prometheus text exposition format", "content": {"text/plain": {}}}},
    )
    async def metrics() -> Response:
        return Response(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app
