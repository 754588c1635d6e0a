"""RAM's REST API fuzzed from its own OpenAPI (schemathesis): never a 5xx and only documented
answers (status, content type, body), over a database holding one seeded fact."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from msp_events import Envelope, Money
from msp_events.testing.fuzz import fuzz_service
from msp_events.types.psa import CostRate, TechnicianUpserted

from ram import api
from ram.app import create_app, create_service
from ram.settings import Settings

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def seed() -> Envelope[TechnicianUpserted]:
    data = TechnicianUpserted(
        technician_id="M-1",
        name="Ada Lovelace",
        work_role="Engineer L2",
        daily_capacity_hours=Decimal("7.5"),
        cost_rates=[
            CostRate(effective_from=date(2025, 1, 1), hourly_cost=usd("40.00")),
            CostRate(effective_from=date(2025, 7, 1), hourly_cost=usd("45.00")),
        ],
        hourly_rate=usd("150.00"),
        updated_at=T0,
    )
    return Envelope.build(data, source="psa.connectwise", time=T0)


def test_the_api_answers_what_its_openapi_says(tmp_path: Path) -> None:
    settings = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{tmp_path / 'ram.db'}")
    failures = fuzz_service(create_service, create_app, settings, [seed()], api=[api.router])
    assert not failures, "\n\n".join(failures)
