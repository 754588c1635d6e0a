"""One scenario, end to end: a simulated MSP's log in, every event the agents made of it out.

On Kafka (``run_on_kafka``): the log is published under the ecosystem's topic prefix, the six agent
processes work it off, the run waits until they have settled (``settle.SettleWatch``) and every event
topic is captured (``msp-replay capture``) into an event log. Embedded (``run_embedded``): the same
log through the same handlers in one process. Both return the events in event-time order, so the
two modes, and two runs of one mode, compare event for event.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from msp_events import eventlog
from msp_events.envelope import Envelope
from msp_events.registry import REGISTRY
from msp_events.runtime.embedded import EmbeddedSystem
from msp_events.runtime.inprocess import InProcessBus
from msp_events.types.platform import ClockTicked

from msp_ecosystem.launcher import Ecosystem
from msp_ecosystem.plant import with_planted_work
from msp_ecosystem.settle import SettleWatch
from msp_replay.capture import capture
from msp_replay.targets import all_topics, embedded_agents, open_target
from msp_sim.generate import CLOCK_SOURCE, generate
from msp_sim.params import Params
from msp_sim.timeline import utc_midnight


@dataclass(frozen=True)
class Scenario:
    """A simulated MSP (``msp-sim``): same values, same log, byte for byte."""

    seed: int = 1
    clients: int = 40
    technicians: int = 8
    months: int = 12
    planted_work: bool = True
    """Add one open ticket per client that rule 1 can move (``plant.py``)."""
    epilogue_days: int = 4
    """Daily ticks after the log's last day, each published once the agents have settled."""

    pace: Literal["backlog", "day"] = "day"
    """``day``: after the first day, each simulated day is its own phase (its tick, then its facts);
    ``backlog``: the whole log is one phase."""

    def phases(self, directory: Path) -> list[Path]:
        """The logs the runners play one after the other, each once the agents have settled.

        Cross-agent rules read the consumer's own clock: SPO's licence true-up rule reads SLI's
        finding on SPO's next tick, RAM re-plans the work open at CPI's report, SPO's wait for SLI
        ends in event time. Published as one backlog, how far each agent has read when another
        agent's answer reaches it depends on their speeds, so two runs may differ. In production
        the clock ticks hours apart and the answers are in before the next tick; paced by day
        (its midnight with the tick, then the rest of the day, each settled), the runs agree.
        The epilogue adds ``epilogue_days`` ticks after the log's last day.
        """
        log = self.write(directory)
        folder = directory / f"{log.stem}-{self.pace}"
        if not folder.exists():
            events = list(eventlog.read(log))
            last = events[-1].time.date()
            ticks = [
                Envelope.build(ClockTicked(now=utc_midnight(day), granularity="day"), source=CLOCK_SOURCE,
                               time=utc_midnight(day))
                for day in (last + timedelta(days=n) for n in range(1, self.epilogue_days + 1))
            ]  # fmt: skip
            chunks = paced(events, self.pace) + [[tick] for tick in ticks]
            tmp = folder.with_suffix(".tmp")
            tmp.mkdir(parents=True, exist_ok=True)
            for n, chunk in enumerate(chunks):
                eventlog.write(chunk, tmp / f"{n:05d}.jsonl")
            tmp.rename(folder)
        return sorted(folder.glob("*.jsonl"))

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        name = f"msp-s{self.seed}-c{self.clients}-t{self.technicians}-m{self.months}"
        log = directory / f"{name}.jsonl"
        if not log.exists():
            generate(Params(self.seed, self.clients, self.technicians, self.months), log)
        if not self.planted_work:
            return log
        planted = directory / f"{name}-planted.jsonl"
        return planted if planted.exists() else with_planted_work(log, planted)


@dataclass
class Outcome:
    events: list[Envelope[Any]]
    """Facts and derived events, in event-time order (then id)."""
    log: Path
    """The same events as an event log (what ``msp-trace`` reads)."""
    settle_s: float
    """From the first fact published to settled."""

    @property
    def derived(self) -> list[Envelope[Any]]:
        """What the agents made: every event with a cause (facts have none)."""
        return [e for e in self.events if e.causationid]

    def by_type(self, type_name: str) -> list[Envelope[Any]]:
        return [e for e in self.events if e.type == type_name]


def paced(events: list[Envelope[Any]], pace: str) -> list[list[Envelope[Any]]]:
    """``backlog``: one chunk. ``day``: the first day whole, then per day what happens at midnight
    (the tick, with any fact of that very instant: the runtime puts those before the tick), then
    the rest of the day's facts."""
    if pace == "backlog" or not events:
        return [events]
    first = events[0].time.date()
    chunks: list[list[Envelope[Any]]] = [[]]
    day = first
    for e in events:
        if e.time.date() != day:
            day = e.time.date()
            chunks += [[], []]
        if day == first:
            chunks[0].append(e)
        elif e.time == utc_midnight(day):
            chunks[-2].append(e)
        else:
            chunks[-1].append(e)
    return [c for c in chunks if c]


def event_topics() -> list[str]:
    """Every event topic (not the dead-letter and redrive topics: they hold copies, not events)."""
    return sorted({spec.topic for spec in REGISTRY})


async def run_on_kafka(
    ecosystem: Ecosystem, phases: list[Path], out: Path, *, timeout_s: float = 600.0, quiet_s: float = 0.3
) -> Outcome:
    """Publish each log of ``phases`` and wait until the agents settle; then capture every event topic.

    An ecosystem that is prepared but not launched gets the first phase as a backlog before its
    agents start: the event-time alignment then orders each agent's facts whatever the partitions
    (a partition read to its end while the log is still being published cannot vouch for records
    not yet produced: a fact behind it would be late, ``docs/architecture.md``). ``settle_s`` counts
    from the first publish, the agents' start included in that case.
    """
    started = time.monotonic()
    remaining = list(phases)
    async with open_target(f"kafka://{ecosystem.kafka}", topic_prefix=ecosystem.prefix, topics={}) as target:
        if not ecosystem.launched:
            await eventlog.publish(eventlog.read(remaining.pop(0)), target.producer, None)
            await asyncio.to_thread(ecosystem.launch)
        async with SettleWatch(ecosystem.kafka_settings, ecosystem.urls()) as watch:
            await watch.wait(timeout_s=timeout_s, quiet_s=quiet_s)
            for log in remaining:
                await eventlog.publish(eventlog.read(log), target.producer, None)
                await watch.wait(timeout_s=timeout_s, quiet_s=quiet_s)
    settle_s = time.monotonic() - started
    return await capture_outcome(ecosystem, out, settle_s)


async def capture_outcome(ecosystem: Ecosystem, out: Path, settle_s: float) -> Outcome:
    out.parent.mkdir(parents=True, exist_ok=True)
    report = await capture(ecosystem.kafka_settings, event_topics(), out, skip_missing=True)
    if report.undecodable:
        raise RuntimeError(f"undecodable records on the event topics: {report.first_errors}")
    return Outcome(list(eventlog.read(out)), out, settle_s)


async def run(
    kafka: str,
    database_url: str,
    phases: list[Path],
    out_dir: Path,
    *,
    timeout_s: float = 600.0,
    keep_databases: bool = False,
) -> Outcome:
    """Start the agents as processes (fresh databases on ``database_url``'s server, a fresh topic
    prefix on ``kafka``), run the ``phases`` through them, stop them; the events go to
    ``out_dir/events.jsonl``."""
    ecosystem = Ecosystem(kafka, database_url, out_dir / "agents", keep_databases=keep_databases)
    await ecosystem.prepare()
    try:
        return await run_on_kafka(ecosystem, phases, out_dir / "events.jsonl", timeout_s=timeout_s)
    finally:
        ecosystem.close()


async def run_embedded(phases: list[Path], state_dir: Path, *, timeout_s: float = 600.0) -> Outcome:
    """The same phases through every installed agent in this process (in-process bus, SQLite each);
    as on Kafka, the first phase is on the bus before the agents start."""
    started = time.monotonic()
    bus = InProcessBus()
    await bus.ensure_topics(all_topics())
    producer = bus.producer()
    await producer.start()
    try:
        await eventlog.publish(eventlog.read(phases[0]), producer, None)
        async with EmbeddedSystem(bus, embedded_agents(bus, state_dir)) as system:
            await system.settle(timeout_s)
            for log in phases[1:]:
                await eventlog.publish(eventlog.read(log), producer, None)
                await system.settle(timeout_s)
            settle_s = time.monotonic() - started
            out = state_dir / "events.jsonl"
            system.write_log(out)
    finally:
        await producer.stop()
    return Outcome(list(eventlog.read(out)), out, settle_s)
