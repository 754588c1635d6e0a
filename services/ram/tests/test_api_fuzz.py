"""RAM's REST API fuzzed from its own OpenAPI (schemathesis): never a 5xx and only documented
answers (status, content type, body), over a database holding a technician, a planned day and
a week of time; ``POST /plans/solve`` is fuzzed with a small search budget."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from msp_events import Envelope, Money
from msp_events.testing.fuzz import fuzz_service
from msp_events.types.dispatch import VisitRequested
from msp_events.types.platform import ClockTicked
from msp_events.types.psa import CostRate, TechnicianUpserted, TimeEntryLogged

from ram import api
from ram.app import create_app, create_service
from ram.settings import Settings

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def seed() -> list[Envelope[Any]]:
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
        home_latitude=51.5,
        home_longitude=-0.12,
        updated_at=T0,
    )
    visit = VisitRequested(
        visit_id="V-1",
        client_id="C1",
        site_name="Head office",
        latitude=51.52,
        longitude=-0.1,
        window_start=T0 + timedelta(days=1),
        window_end=T0 + timedelta(days=1, hours=4),
        duration_minutes=60,
        priority="p2",
    )
    hours = TimeEntryLogged(
        time_entry_id="TE-1",
        client_id="C1",
        technician_id="M-1",
        work_date=T0.date(),
        hours=Decimal("6.5"),
        work_type="Remote Support",
        billable_option="billable",
        hours_billed=Decimal("6.5"),
    )
    day = datetime.combine(T0.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return [
        Envelope.build(data, source="psa.connectwise", time=T0),
        Envelope.build(visit, source="psa.connectwise", time=T0),
        Envelope.build(hours, source="psa.connectwise", time=T0 + timedelta(hours=8)),
        Envelope.build(ClockTicked(now=day, granularity="day"), source="msp.clock", time=day),
    ]


def test_the_api_answers_what_its_openapi_says(tmp_path: Path) -> None:
    settings = Settings(
        MSP_TRANSPORT="inprocess",
        DATABASE_URL=f"sqlite:///{tmp_path / 'ram.db'}",
        route_iterations=50,
        solve_api_time_cap_s=0.2,
    )
    failures = fuzz_service(
        create_service, create_app, settings, seed(), api=[api.router], known={"plan_date": "2026-11-03"}
    )
    assert not failures, "\n\n".join(failures)
