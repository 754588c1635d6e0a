"""Deferring the ledger to the end of each batch changes only the time taken.

A simulated MSP (``msp-sim`` seed 5: 6 clients, 2 technicians, 4 months), followed by a burst of
time entries in which facts for the open month alternate with heavy late entries for a closed
month (which must re-judge it and publish), goes through CPI twice on the in-process transport: one
message per batch (every fact recomputes its ledger keys at once) and 500 per batch (facts for open
months leave their keys to one set-wise recompute before the batch commits). Both runs must publish
the same events, byte for byte, and end with the same ledger, which must also equal a full rebuild.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

from msp_events import eventlog
from msp_events.testing.replay import diff_events, replay

from cpi.app import create_service
from cpi.settings import Settings
from msp_sim.generate import generate
from msp_sim.params import Params

sys.path.insert(0, str(Path(__file__).parent))
from cpi_ledger_facts import at, ledger_rows, time_entry


async def test_batched_and_one_by_one_give_the_same_events_and_ledger(tmp_path: Path) -> None:
    log = tmp_path / "sim.jsonl"
    generate(Params(5, 6, 2, 4), log)
    events = list(eventlog.read(log))
    entries = [e.data for e in events if e.type == "psa.time_entry.logged" and e.data.agreement_id]
    end = max(e.time for e in events)
    closed, current = date(end.year, end.month, 1) - timedelta(days=40), end.date()
    burst = []
    for e in entries[:: len(entries) // 6][:6]:
        for late, day in (
            (False, current),
            (True, closed),
            (True, closed + timedelta(days=1)),
            (False, current),
        ):
            burst.append(
                at(
                    end + timedelta(minutes=len(burst) + 1),
                    time_entry(
                        f"BURST-{len(burst)}",
                        "20" if late else "1.5",
                        day,
                        e.client_id,
                        e.technician_id,
                        e.agreement_id,
                    ),
                )
            )
    eventlog.write([*events, *burst], log)
    runs = {}
    for batch_size in (1, 500):
        url = f"sqlite:///{tmp_path}/cpi-{batch_size}.db"
        settings = Settings(MSP_TRANSPORT="inprocess", CONSUMER_BATCH_SIZE=batch_size)
        result = await replay(create_service, settings, log, database_url=url, timeout_s=600)
        assert result.dead_letters == []
        runs[batch_size] = (result.outputs, ledger_rows(url), url)
    one, many = runs[1], runs[500]
    rejudged = [e for e in one[0] if e.type == "client.profitability.changed" and e.time > end]
    assert len(rejudged) >= 3  # the late burst changed closed months
    diff = diff_events(one[0], many[0])
    assert diff.is_equal, diff.summary()
    assert [eventlog.dumps(e) for e in one[0]] == [eventlog.dumps(e) for e in many[0]]
    assert len(one[1]) > 0 and one[1] == many[1]
    assert ledger_rows(many[2], rebuild=True) == many[1]
