"""Every agent's migrations on real PostgreSQL create exactly the tables its code declares."""

from __future__ import annotations

import importlib

import pytest

from msp_events.registry import SERVICES
from msp_events.testing.service import schema_drift

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("name", SERVICES)
def test_migrations_match_the_tables_on_postgresql(name: str, postgres_url: str) -> None:
    app = importlib.import_module(f"{name}.app")
    tables = importlib.import_module(f"{name}.store.tables")
    service = app.create_service(app.Settings(DATABASE_URL=postgres_url, MSP_TRANSPORT="inprocess"))
    try:
        service.migrate()
        assert schema_drift(service.engine, tables.METADATA) == []
        service.migrate()  # a second run is a no-op
    finally:
        service.engine.dispose()
