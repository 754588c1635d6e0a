"""DSA's REST API fuzzed from its own OpenAPI (schemathesis): never a 5xx and only documented
answers (status, content type, body), over a database holding one seeded fact."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from msp_events import Envelope, Money
from msp_events.testing.fuzz import fuzz_service
from msp_events.types.finance import BudgetSet

from dsa import api
from dsa.app import create_app, create_service
from dsa.settings import Settings

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def seed() -> Envelope[BudgetSet]:
    data = BudgetSet(
        budget_id="B-2026-Q4-SD",
        department="Service Delivery",
        category="Software",
        period_start=date(2026, 10, 1),
        period_end=date(2026, 12, 31),
        planned=usd("45000.00"),
        alert_threshold_pct=Decimal("80"),
    )
    return Envelope.build(data, source="finance.odoo", time=T0)


def test_the_api_answers_what_its_openapi_says(tmp_path: Path) -> None:
    settings = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{tmp_path / 'dsa.db'}")
    failures = fuzz_service(create_service, create_app, settings, [seed()], api=[api.router])
    assert not failures, "\n\n".join(failures)
