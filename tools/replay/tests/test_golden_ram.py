"""A golden replay test of a real agent: RAM fed a recorded log, its dead letters and outputs exact.

RAM publishes no agent event yet, so what it hands on is its dead letters: a technician whose cost
history is ambiguous is rejected with the reason, the others are taken. The same golden files hold on
the in-process transport and on real Kafka with PostgreSQL. ``MSP_UPDATE_GOLDEN=1`` rewrites them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from msp_events import Envelope, Money, eventlog
from msp_events.testing.replay import assert_matches_golden, replay
from msp_events.types.psa import ClientUpserted, CostRate, TechnicianUpserted

from ram.app import create_service
from ram.settings import Settings

GOLDEN = Path(__file__).parent / "golden"
T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def rate(start: date, cost: str) -> CostRate:
    return CostRate(effective_from=start, hourly_cost=Money(amount=Decimal(cost), currency="USD"))


def technician(technician_id: str, minute: int, rates: list[CostRate]) -> Envelope[TechnicianUpserted]:
    data = TechnicianUpserted(
        technician_id=technician_id,
        name=f"Technician {technician_id}",
        work_role="Engineer L2",
        daily_capacity_hours=Decimal("7.5"),
        cost_rates=rates,
    )
    return Envelope.build(data, source="psa.connectwise", time=T0 + timedelta(minutes=minute))


def recorded(path: Path) -> Path:
    client = ClientUpserted(client_id="C-1", name="Contoso", status="active", created_on=date(2024, 1, 1))
    events: list[Envelope[Any]] = [
        technician("M-1", 0, [rate(date(2025, 1, 1), "40.00")]),
        technician("M-2", 1, [rate(date(2025, 1, 1), "40.00"), rate(date(2025, 1, 1), "42.00")]),
        technician("M-3", 2, [rate(date(2025, 1, 1), "38.00"), rate(date(2025, 7, 1), "41.00")]),
        Envelope.build(client, source="psa.connectwise", time=T0),
    ]
    eventlog.write(events, path)
    return path


@pytest.fixture(params=["inprocess", pytest.param("kafka", marks=pytest.mark.integration)])
def options(request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.param == "inprocess":
        return {"transport": "inprocess"}
    return {
        "transport": "kafka",
        "kafka_bootstrap": request.getfixturevalue("kafka_bootstrap"),
        "database_url": request.getfixturevalue("postgres_url"),
    }


async def test_ram_replays_to_its_golden_dead_letters(options: dict[str, Any], tmp_path: Path) -> None:
    result = await replay(create_service, Settings(), recorded(tmp_path / "ram.jsonl"), **options)
    assert result.service == "ram" and len(result.inputs) == 3 and result.skipped == 1
    assert_matches_golden(result.outputs, GOLDEN / "ram_outputs.jsonl")
    assert_matches_golden(result.dead_letter_documents(), GOLDEN / "ram_dead_letters.jsonl")
