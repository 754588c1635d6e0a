"""DSA on real Kafka + PostgreSQL: the golden spend history gives the recorded anomaly events
(ids included), the same anomalies table and the same ROI ledger as in process on SQLite."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlmodel import Session

from msp_events.testing.replay import assert_matches_golden, replay_on_sqlite_and_kafka

from dsa.app import create_service
from dsa.settings import Settings
from dsa.store.tables import AnomalyRow

sys.path.insert(0, str(Path(__file__).parent))
from test_anomaly_replay import EXPECTED, LOG, roi_document

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


def state(url: str) -> dict[str, Any]:
    """The anomalies table and the ROI ledger (empty, so a failure, when nothing was found)."""
    rows = anomaly_rows(url)
    return {"anomalies": rows, "roi": roi_document(url)} if rows else {}


async def test_the_spend_history_on_kafka_and_postgresql_matches_sqlite(
    tmp_path: Path, kafka_bootstrap: str, postgres_url: str
) -> None:
    result = await replay_on_sqlite_and_kafka(
        create_service,
        Settings(MSP_TRANSPORT="inprocess"),
        LOG,
        sqlite_path=tmp_path / "dsa.db",
        kafka_bootstrap=kafka_bootstrap,
        postgres_url=postgres_url,
        state=state,
        timeout_s=180,
    )
    assert_matches_golden([e for e in result.outputs if e.type == "spend.anomaly.detected"], EXPECTED)
