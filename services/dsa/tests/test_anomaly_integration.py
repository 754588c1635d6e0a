"""DSA on real Kafka + PostgreSQL: the golden spend history gives the recorded anomaly events
(ids included) and the same anomalies table as in process on SQLite."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlmodel import Session

from msp_events.testing.replay import assert_matches_golden, replay

from dsa.app import create_service
from dsa.settings import Settings
from dsa.store.tables import AnomalyRow

sys.path.insert(0, str(Path(__file__).parent))
from test_anomaly_replay import EXPECTED, LOG

pytestmark = pytest.mark.integration


def anomaly_rows(url: str) -> list[tuple[str, ...]]:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            rows = session.execute(select(AnomalyRow).order_by(AnomalyRow.anomaly_id)).scalars()  # type: ignore[arg-type]
            return [
                (r.anomaly_id, r.series_key, str(r.period_start), str(r.period_end), str(r.actual), r.status)
                for r in rows
            ]
    finally:
        engine.dispose()


async def test_the_spend_history_on_kafka_and_postgresql_matches_sqlite(
    tmp_path: Path, kafka_bootstrap: str, postgres_url: str
) -> None:
    settings = Settings(MSP_TRANSPORT="inprocess")
    sqlite = f"sqlite:///{tmp_path}/dsa.db"
    await replay(create_service, settings, LOG, database_url=sqlite)
    result = await replay(
        create_service,
        settings,
        LOG,
        transport="kafka",
        database_url=postgres_url,
        kafka_bootstrap=kafka_bootstrap,
        timeout_s=180,
    )
    assert result.dead_letters == []
    assert_matches_golden([e for e in result.outputs if e.type == "spend.anomaly.detected"], EXPECTED)
    rows = anomaly_rows(postgres_url)
    assert rows and rows == anomaly_rows(sqlite)
