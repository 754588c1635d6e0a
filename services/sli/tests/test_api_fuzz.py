"""SLI's REST API fuzzed from its own OpenAPI (schemathesis): never a 5xx and only documented
answers (status, content type, body), over a database holding one seeded fact."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from msp_events import Envelope, Money
from msp_events.testing.fuzz import fuzz_service
from msp_events.types.licensing import SubscriptionUpserted

from sli import api
from sli.app import create_app, create_service
from sli.settings import Settings

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def seed() -> Envelope[SubscriptionUpserted]:
    data = SubscriptionUpserted(
        subscription_id="SUB-1",
        client_id="C-1001",
        vendor="Microsoft",
        distributor="Pax8",
        sku_id="cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
        sku_part_number="SPB",
        product_name="Microsoft 365 Business Premium",
        quantity=25,
        consumed_units=22,
        unit_cost=usd("17.60"),
        unit_price=usd("22.00"),
        billing_term="monthly",
        commitment_term_months=12,
        commitment_end_date=date(2027, 3, 31),
        status="active",
        updated_at=T0,
    )
    return Envelope.build(data, source="licensing.pax8", time=T0)


def test_the_api_answers_what_its_openapi_says(tmp_path: Path) -> None:
    settings = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{tmp_path / 'sli.db'}")
    failures = fuzz_service(create_service, create_app, settings, [seed()], api=[api.router])
    assert not failures, "\n\n".join(failures)
