"""RAM on real Kafka + PostgreSQL: the golden history gives the recorded alerts and
recommendation (ids included), and the same tables, the day's plan included, as in process on SQLite."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from msp_events.testing.replay import assert_matches_golden, replay

from ram.app import create_service
from ram.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from test_dispatch_replay import EXPECTED, LOG

pytestmark = pytest.mark.integration


async def test_the_golden_history_on_kafka_and_postgresql_matches_sqlite(
    tmp_path: Path, kafka_bootstrap: str, postgres_url: str
) -> None:
    settings = Settings(MSP_TRANSPORT="inprocess")
    sqlite = await replay(
        create_service, settings, LOG, database_url=f"sqlite:///{tmp_path}/ram.db", snapshot=True
    )
    result = await replay(
        create_service,
        settings,
        LOG,
        transport="kafka",
        database_url=postgres_url,
        kafka_bootstrap=kafka_bootstrap,
        timeout_s=180,
        snapshot=True,
    )
    assert result.dead_letters == []
    assert_matches_golden(result.outputs, EXPECTED)
    for table in ("utilisation_evaluations", "route_plans", "recommendations", "time_entries", "visits"):
        assert result.state[table] == sqlite.state[table], table
    assert result.state["route_plans"]
