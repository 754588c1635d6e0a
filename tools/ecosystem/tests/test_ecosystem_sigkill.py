"""SIGKILL one agent process half-way through the scenario, start it again: nothing lost, nothing doubled.

CPI (the agent with the most input: every time entry, invoice and payment) is killed in the second
half of the day-paced scenario, right after a day is published while its group still has records
of it to read; it is restarted on the same database and topic prefix. The run must then end with
exactly the derived events of an undisturbed run: the embedded run of the same phases, which
``test_ecosystem_kafka`` holds byte for byte equal to an undisturbed run on Kafka (ids are derived
from their causes, so a re-handled message gives the same id). Compared by id and by (type, key,
payload), none missing, none twice: the inbox drops what was applied before the kill, and the
outbox republishes what was committed but not relayed, under the same id.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from msp_events import eventlog
from msp_events.envelope import Envelope

from msp_ecosystem.launcher import Ecosystem
from msp_ecosystem.runner import Scenario, capture_outcome, run_embedded
from msp_ecosystem.settle import SettleWatch
from msp_replay.targets import open_target

sys.path.insert(0, str(Path(__file__).parent))
from chains import RULES

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.timeout(1800)]
# no rule needs proving here (test_ecosystem_kafka does): a month of days to kill in is enough
SCENARIO = Scenario(seed=3, clients=4, technicians=2, months=1)
VICTIM = "cpi"


def content(e: Envelope[Any]) -> tuple[str, str | None, bytes]:
    return e.type, e.partitionkey, e.data.model_dump_json().encode()


async def kill_mid_run_and_restart(ecosystem: Ecosystem, phases: list[Path]) -> tuple[int, int]:
    """The first day as a backlog, the agents started, then the days one by one; from the middle
    day on, the victim is SIGKILLed right after a day is published while it still has input to
    read, and started again. Returns the victim's (done, left) at the kill."""
    killed: tuple[int, int] | None = None
    async with open_target(f"kafka://{ecosystem.kafka}", topic_prefix=ecosystem.prefix, topics={}) as target:
        await eventlog.publish(eventlog.read(phases[0]), target.producer, None)
        await asyncio.to_thread(ecosystem.launch)
        async with SettleWatch(ecosystem.kafka_settings, ecosystem.urls()) as watch:
            await watch.wait(timeout_s=900, quiet_s=0.3)
            for n, log in enumerate(phases[1:], start=1):
                await eventlog.publish(eventlog.read(log), target.producer, None)
                if killed is None and n >= len(phases) // 2:
                    done, left = await watch.done(VICTIM)
                    if left > 0:
                        ecosystem.processes[VICTIM].kill()
                        killed = (done, left)
                        await asyncio.to_thread(ecosystem.restart, VICTIM)
                await watch.wait(timeout_s=900, quiet_s=0.3)
    assert killed is not None, f"{VICTIM} never had input left to read when a day was published"
    return killed


def test_sigkill_mid_run_loses_nothing_and_doubles_nothing(
    kafka_bootstrap: str, postgres_admin_url: str, tmp_path: Path
) -> None:
    phases = SCENARIO.phases(tmp_path / "scenario")
    reference = asyncio.run(run_embedded(phases, tmp_path / "embedded"))
    ecosystem = Ecosystem(kafka_bootstrap, postgres_admin_url, tmp_path / "agents")
    asyncio.run(ecosystem.prepare())
    try:
        done, left = asyncio.run(kill_mid_run_and_restart(ecosystem, phases))
        assert ecosystem.processes[VICTIM].starts == 2
        outcome = asyncio.run(capture_outcome(ecosystem, tmp_path / "events.jsonl", 0.0))
    finally:
        ecosystem.close()
    assert done > 0 and left > 0, "the kill did not land mid-run"

    ids = Counter(e.id for e in outcome.derived)
    assert [i for i, n in ids.items() if n > 1] == [], "an event was published twice"
    # by content too: the same output under a second id would be a double the ids cannot show
    contents = Counter(content(e) for e in outcome.derived)
    assert contents == Counter(content(e) for e in reference.derived), "outputs lost or doubled"
    expected = {e.id for e in reference.derived}
    assert expected - set(ids) == set(), "events lost"
    assert set(ids) - expected == set(), "events an undisturbed run does not make"
    assert [eventlog.dumps(e) for e in outcome.derived] == [eventlog.dumps(e) for e in reference.derived]
    for rule in RULES.values():
        rule(outcome.events)
