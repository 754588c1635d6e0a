"""Golden replay: the recorded mailbox and clock give exactly the recorded terms and reminders
(ids, times, values). ``MSP_UPDATE_GOLDEN=1`` rewrites both files from ``vcm_facts.scenario``
(review before committing)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from msp_events import eventlog
from msp_events.testing.replay import assert_matches_golden, replay

from vcm.app import create_service
from vcm.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from vcm_facts import scenario

GOLDEN = Path(__file__).parent / "golden"
LOG = GOLDEN / "contracts_input.jsonl"
EXPECTED = GOLDEN / "contracts_outputs.jsonl"
UPDATE = os.environ.get("MSP_UPDATE_GOLDEN", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def log() -> Path:
    if UPDATE or not LOG.exists():
        eventlog.write(scenario(), LOG)
    return LOG


async def test_the_mailbox_and_clock_give_the_recorded_terms_and_reminders(log: Path, tmp_path: Path) -> None:
    result = await replay(
        create_service,
        Settings(MSP_TRANSPORT="inprocess"),
        log,
        database_url=f"sqlite:///{tmp_path}/v.db",
        order="day",
    )
    assert result.dead_letters == []
    outputs = [e for e in result.outputs if e.type in ("contract.terms.extracted", "contract.renewal.due")]
    if UPDATE or not EXPECTED.exists():
        eventlog.write(outputs, EXPECTED)
    assert_matches_golden(outputs, EXPECTED)
    terms = [e.data for e in outputs if e.type == "contract.terms.extracted"]
    assert [t.read_status for t in terms].count("unreadable") == 1 and len(terms) == 5
    due = [e.data for e in outputs if e.type == "contract.renewal.due"]
    assert due and len({(d.contract_id, d.notice_deadline, d.days_to_notice_deadline) for d in due}) == len(
        due
    )
