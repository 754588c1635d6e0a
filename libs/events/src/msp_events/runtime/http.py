"""The HTTP side of a service: probes, metrics and the service's REST API (FastAPI, OpenAPI)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from msp_events.runtime.api import RefuseControlCharacters
from msp_events.runtime.service import Service


def build_http_app(service: Service, api: Sequence[APIRouter] = (), *, version: str = "0.1.0") -> FastAPI:
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

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics",
        response_class=PlainTextResponse,  # so the OpenAPI says text/plain, what it answers
        responses={200: {"description": "Prometheus text exposition format", "content": {"text/plain": {}}}},
    )
    async def metrics() -> Response:
        return Response(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    for router in api:
        app.include_router(router)
    return app
