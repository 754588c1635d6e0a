"""The command line every service shares: ``python -m <service> serve|migrate``."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

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
    app = create_app()
    service: Service = app.state.service
    uvicorn.run(
        app, host=service.settings.http_host, port=service.settings.http_port, log_level=args.log_level
    )
