"""The command line every service shares: ``python -m <service> serve|migrate``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator

import uvicorn
from fastapi import FastAPI

from msp_events.runtime.http import build_metrics_app
from msp_events.runtime.service import Service


def service_cli(create_service: Callable[[], Service], create_app: Callable[[], FastAPI]) -> None:
    parser = argparse.ArgumentParser(description="Run or migrate this agent service.")
    parser.add_argument("command", choices=["serve", "migrate"], help="serve: HTTP + consumer + relay")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args()
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.command == "migrate":
        migrated = create_service()
        migrated.migrate()
        print(f"{migrated.name}: database migrated to head")
        return
    app = create_app()  # with auth on and no issuer, this raises and says which settings to set
    asyncio.run(serve(app, args.log_level))


class _Alongside(uvicorn.Server):
    """The metrics server: it leaves the signals to the API server, which stops it when it stops."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(app: FastAPI, log_level: str) -> None:
    """The API (with the service's lifespan) on HTTP_PORT and /metrics on METRICS_PORT, one process."""
    service: Service = app.state.service
    s = service.settings
    api = uvicorn.Server(uvicorn.Config(app, host=s.http_host, port=s.http_port, log_level=log_level))
    metrics = _Alongside(
        uvicorn.Config(
            build_metrics_app(service),
            host=s.http_host,
            port=s.metrics_port,
            log_level=log_level,
            lifespan="off",
            access_log=False,
        )
    )
    metrics_task = asyncio.create_task(metrics.serve())
    try:
        await api.serve()
    finally:
        metrics.should_exit = True
        await metrics_task
