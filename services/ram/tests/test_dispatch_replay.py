"""Golden replay: two hand-worked weeks of time and a margin drop give exactly the recorded
``resource.utilization.alert`` and ``resource.allocation.recommended`` events (ids, times,
numbers). ``MSP_UPDATE_GOLDEN=1`` rewrites both files from ``ram_facts`` (review before committing)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from msp_events import eventlog
from msp_events.testing.replay import assert_matches_golden, replay

from ram.app import create_service
from ram.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from ram_facts import day_visits, rule1_log, two_weeks

GOLDEN = Path(__file__).parent / "golden"
LOG = GOLDEN / "ram_input.jsonl"
EXPECTED = GOLDEN / "ram_outputs.jsonl"


@pytest.fixture(scope="module")
def log() -> Path:
    if os.environ.get("MSP_UPDATE_GOLDEN", "").lower() in ("1", "true", "yes") or not LOG.exists():
        events = sorted([*two_weeks(), *rule1_log(), *day_visits()], key=lambda e: (e.time, str(e.id)))
        eventlog.write(events, LOG)
    return LOG


async def test_the_recorded_history_gives_the_recorded_alerts_and_recommendation(
    log: Path, tmp_path: Path
) -> None:
    result = await replay(
        create_service,
        Settings(MSP_TRANSPORT="inprocess"),
        log,
        database_url=f"sqlite:///{tmp_path}/r.db",
        snapshot=True,
    )
    assert result.dead_letters == []
    kinds = {e.type for e in result.outputs}
    assert kinds == {"resource.utilization.alert", "resource.allocation.recommended"}
    assert_matches_golden(result.outputs, EXPECTED)
    [plan] = result.state["route_plans"]
    assert '"feasible":true' in plan[1] and plan[0] == "2026-11-09"
