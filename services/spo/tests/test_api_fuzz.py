"""SPO's REST API fuzzed from its own OpenAPI (schemathesis): never a 5xx and only documented
answers (status, content type, body), over a database holding one seeded fact."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from msp_events import Envelope, Money
from msp_events.testing.fuzz import fuzz_service
from msp_events.types.crm import OpportunityUpserted

from spo import api
from spo.app import create_app, create_service
from spo.settings import Settings

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def seed() -> Envelope[OpportunityUpserted]:
    data = OpportunityUpserted(
        opportunity_id="OPP-1",
        name="Managed services for Contoso",
        prospect_name="Contoso",
        stage="proposed",
        status="open",
        probability=Decimal("35"),
        expected_close_date=date(2026, 12, 15),
        estimated_recurring_monthly=usd("4800.00"),
        recurring_term_months=36,
        estimated_one_time=usd("12000.00"),
        created_on=date(2026, 10, 1),
        updated_at=T0,
    )
    return Envelope.build(data, source="crm.connectwise", time=T0)


def test_the_api_answers_what_its_openapi_says(tmp_path: Path) -> None:
    settings = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{tmp_path / 'spo.db'}")
    failures = fuzz_service(create_service, create_app, settings, [seed()], api=[api.router])
    assert not failures, "\n\n".join(failures)
