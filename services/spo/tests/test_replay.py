"""Golden replay: a recorded log of two clients over three months gives exactly the recorded
``sales.opportunity.identified`` events (opened, then closed when acted on), on the in-process
transport with SQLite and (integration) on real Kafka + PostgreSQL, where the suggestions table
must also equal SQLite's. Facts sent twice (a re-imported export, new event ids) open nothing new.
``MSP_UPDATE_GOLDEN=1`` rewrites both files from ``scenario()`` (review before committing)."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlmodel import Session

from msp_events import Envelope, Money, eventlog
from msp_events.testing.replay import assert_matches_golden, replay
from msp_events.types.agents import ClientProfitabilityChanged, LicenseComplianceViolation
from msp_events.types.crm import OpportunityUpserted
from msp_events.types.platform import ClockTicked
from msp_events.types.psa import AgreementUpserted

from spo.app import create_service
from spo.settings import Settings
from spo.store.tables import Suggestion

GOLDEN = Path(__file__).parent / "golden"
LOG = GOLDEN / "suggestions_input.jsonl"
EXPECTED = GOLDEN / "suggestions_outputs.jsonl"
T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def tick(at: datetime) -> Envelope[ClockTicked]:
    return Envelope.build(ClockTicked(now=at, granularity="day"), source="platform.clock", time=at)


def agreement(at: datetime, end: date) -> Envelope[AgreementUpserted]:
    data = AgreementUpserted(
        agreement_id="AGR-1", client_id="C-1", name="Managed Services - Pro",
        agreement_type="managed_services", start_date=date(2024, 1, 1), end_date=end,
        notice_period_days=30, billing_cycle="monthly", bill_amount=usd("2500.00"), updated_at=at,
    )  # fmt: skip
    return Envelope.build(data, source="psa.connectwise", time=at)


def violation(at: datetime, status: str) -> Envelope[LicenseComplianceViolation]:
    data = LicenseComplianceViolation(
        violation_id="V-1", client_id="C-2", kind="unbilled_seats", sku_id="SPB", seats_purchased=10,
        seats_assigned=10, seats_billed=7, seats_affected=3, monthly_exposure=usd("66.00"),
        recommended_action="bill_client", status=status, period_start=date(2026, 9, 1),
        period_end=date(2026, 9, 30), summary="3 seats assigned but not billed",
    )  # fmt: skip
    return Envelope.build(data, source="agent.sli", time=at)


def margin_drop(at: datetime) -> Envelope[ClientProfitabilityChanged]:
    data = ClientProfitabilityChanged(
        client_id="C-2", period="2026-09", gross_margin_pct=Decimal("22.0"),
        previous_gross_margin_pct=Decimal("41.0"),
        target_gross_margin_pct=Decimal("40"), band="thin", previous_band="healthy", direction="down",
        revenue=usd("5000.00"), cost=usd("3900.00"), labour_hours=Decimal("40"), summary="margin fell",
    )  # fmt: skip
    return Envelope.build(data, source="agent.cpi", time=at)


def opportunity(at: datetime) -> Envelope[OpportunityUpserted]:
    data = OpportunityUpserted(
        opportunity_id="OPP-1", name="Renewal C-1", client_id="C-1", stage="proposed", status="open",
        expected_close_date=date(2026, 11, 15), opportunity_type="renewal", created_on=at.date(),
        updated_at=at,
    )  # fmt: skip
    return Envelope.build(data, source="crm.connectwise", time=at)


def scenario() -> list[Envelope[Any]]:
    """September: C-1's agreement ends 2026-12-15 (within 120 days: renewal); SLI finds 3 unbilled
    seats at C-2 (true-up) and CPI a margin drop to 22 % against 40 % (repricing). The same
    agreement is re-imported (new event id) and the days tick on: nothing new opens. October: the
    agreement is renewed to 2027-12-15 and SLI resolves the finding: both suggestions close as
    acted on; the repricing one expires after its 30 days. Each gets a proposal; the licence one
    waits for SLI, which is not in this log, and goes out after the wait without an answer."""
    oct1 = T0 + 30 * DAY
    reimport = agreement(T0, date(2026, 12, 15))
    reimport = Envelope.build(reimport.data, source="psa.connectwise-export", time=T0 + timedelta(hours=1))
    return [
        agreement(T0, date(2026, 12, 15)),
        violation(T0, "open"),
        margin_drop(T0),
        opportunity(T0),
        tick(T0 + timedelta(hours=2)),
        reimport,
        tick(T0 + DAY),
        tick(T0 + 2 * DAY),
        agreement(oct1, date(2027, 12, 15)),
        violation(oct1, "resolved"),
        tick(oct1 + timedelta(hours=2)),
        tick(oct1 + 5 * DAY),
    ]


def update() -> bool:
    return os.environ.get("MSP_UPDATE_GOLDEN", "").lower() in ("1", "true", "yes")


def suggestions(url: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            rows = session.execute(select(Suggestion).order_by(Suggestion.suggestion_id)).scalars()  # type: ignore[arg-type]
            return [tuple(v for _, v in sorted(r.model_dump().items())) for r in rows]
    finally:
        engine.dispose()


@pytest.mark.parametrize("transport", ["inprocess", pytest.param("kafka", marks=pytest.mark.integration)])
async def test_the_log_replays_to_the_golden_suggestions(
    transport: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if transport == "inprocess" and (update() or not LOG.exists()):
        GOLDEN.mkdir(exist_ok=True)
        eventlog.write(scenario(), LOG)
    settings = Settings(MSP_TRANSPORT="inprocess")
    options: dict[str, Any] = {"database_url": f"sqlite:///{tmp_path}/spo.db"}
    if transport == "kafka":
        options = {
            "kafka_bootstrap": request.getfixturevalue("kafka_bootstrap"),
            "database_url": request.getfixturevalue("postgres_url"),
        }
    result = await replay(create_service, settings, LOG, transport=transport, **options)  # type: ignore[arg-type]
    assert result.dead_letters == []
    if transport == "inprocess" and (update() or not EXPECTED.exists()):
        eventlog.write(result.outputs, EXPECTED)
    assert_matches_golden(result.outputs, EXPECTED)
    identified = [e for e in result.outputs if e.type == "sales.opportunity.identified"]
    story = [(e.data.client_id, e.data.kind, e.data.status, e.data.closed_reason) for e in identified]
    opens, closes = story[:3], story[3:]  # all three open on the first day, then close
    assert sorted(opens) + sorted(closes) == [
        ("C-1", "renewal", "open", None),
        ("C-2", "licence_true_up", "open", None),
        ("C-2", "price_increase", "open", None),
        ("C-1", "renewal", "closed", "acted_on"),
        ("C-2", "licence_true_up", "closed", "acted_on"),
        ("C-2", "price_increase", "closed", "expired"),
    ]
    opened = {e.data.kind: e.data for e in identified if e.data.status == "open"}
    assert opened["renewal"].act_by == date(2026, 11, 15)  # 30 days' notice before 2026-12-15
    assert opened["price_increase"].estimated_recurring_monthly == usd("1500.00")  # 3,900 / 0.6 - 5,000
    closed = {e.data.kind: e.data.suggestion_id for e in identified if e.data.status == "closed"}
    assert closed == {k: v.suggestion_id for k, v in opened.items()}  # closed under the same id
    proposals = {e.data.kind: e.data for e in result.outputs if e.type == "sales.proposal.generated"}
    assert {k: p.licence_check for k, p in proposals.items()} == {
        "renewal": "not_needed",
        "price_increase": "not_needed",
        "licence_true_up": "no_answer",  # no SLI in this log: sent after the 2-day wait
    }
    assert proposals["price_increase"].recurring_monthly_total == usd("1500.00")
    if transport == "kafka":
        reference = f"sqlite:///{tmp_path}/reference.db"
        await replay(create_service, settings, LOG, database_url=reference)
        assert suggestions(options["database_url"]) == suggestions(reference)
