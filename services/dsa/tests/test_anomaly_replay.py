"""Golden replay: the recorded spend history gives exactly the recorded ``spend.anomaly.detected``
events (ids, times, numbers). ``MSP_UPDATE_GOLDEN=1`` rewrites both files from ``dsa_facts``
(review before committing)."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from msp_events import eventlog
from msp_events.testing.replay import assert_matches_golden, replay

from dsa.app import create_service
from dsa.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from dsa_facts import SHIFT, SPIKE, START, scenario

GOLDEN = Path(__file__).parent / "golden"
LOG = GOLDEN / "spend_input.jsonl"
EXPECTED = GOLDEN / "spend_anomaly_detected.jsonl"


@pytest.fixture(scope="module")
def log() -> Path:
    if os.environ.get("MSP_UPDATE_GOLDEN", "").lower() in ("1", "true", "yes") or not LOG.exists():
        eventlog.write(scenario(), LOG)
    return LOG


async def test_the_spend_history_gives_the_recorded_anomalies(log: Path, tmp_path: Path) -> None:
    result = await replay(
        create_service, Settings(MSP_TRANSPORT="inprocess"), log, database_url=f"sqlite:///{tmp_path}/d.db"
    )
    assert result.dead_letters == []
    anomalies = [e for e in result.outputs if e.type == "spend.anomaly.detected"]
    assert_matches_golden(anomalies, EXPECTED)
    spike_day = START + timedelta(days=SPIKE)
    expense = {(e.data.dimension, e.data.status) for e in anomalies if e.data.spend_source == "expense"}
    assert ("department", "open") in expense and ("department", "closed") in expense
    assert all(e.data.period_start == spike_day for e in anomalies if e.data.spend_source == "expense")
    shifts = [e.data for e in anomalies if e.data.spend_source == "cloud" and e.data.dimension == "service"]
    assert shifts and shifts[0].period_start == SHIFT and shifts[0].shape == "level_shift"
    assert shifts[-1].status == "closed"  # the new normal settled: it ended
