"""The embedded run: the six agents in this process, the simulated log through them, a progress bar.

The same handlers, topic routing, inbox, outbox and dead-letter path as on Kafka (the embedded
default: in-process transport, one SQLite file per agent under the state folder). The log goes
in paced by day, as production meets it: the first day whole, then each midnight (the clock's tick)
and the rest of that day, each step settled before the next (``msp_ecosystem.runner.paced``). So an
agent's answer reaches the agent that asked before that agent's next tick, as it would in
production, where ticks are hours apart; played as one backlog instead, how far an agent has read
when an answer reaches it would depend on the agents' speeds, and the Kafka run
(``on_kafka.py``, paced the same way) could find other things. The bar counts the steps and the
messages the agents have finished (handled, dropped as duplicates or dead-lettered) against
everything on their input topics, derived events included, so its total grows while they publish.

After the log, three messages show what production meets and the runtime absorbs: a fact
delivered twice (the inbox drops the copy), an older version of a fact arriving late (newest wins,
it changes nothing) and a malformed message (dead-lettered with its reason, nothing lost).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from msp_events import eventlog
from msp_events.envelope import Envelope
from msp_events.registry import REGISTRY
from msp_events.runtime.embedded import EmbeddedSystem
from msp_events.runtime.inprocess import InProcessBus
from msp_events.runtime.service import Service
from msp_events.runtime.transport import Outgoing
from msp_events.types.psa import ClientUpserted

from msp_ecosystem.runner import paced
from msp_replay.targets import embedded_agents

EVENT_LOG = "events.jsonl"
"""Where the run's event log goes in the state folder: what ``msp-trace --from embedded:DIR`` reads."""

SETTINGS: dict[str, dict[str, Any]] = {"sli": {"SLI_INACTIVE_DAYS": 30}}
"""Per-agent settings that differ from the defaults, and why: the simulator's truth calls a licence
unused after 30 days without a sign-in (SLI's default is 60), so SLI is asked the same question the
truth answers. Everything else runs as deployed. On Kafka they are the processes' environment."""


def settings_env() -> dict[str, str]:
    """``SETTINGS`` as environment variables for the agents' processes (each reads only its own)."""
    return {key: str(value) for per_agent in SETTINGS.values() for key, value in per_agent.items()}


COLUMNS = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())


@dataclass
class AgentCounts:
    """What one agent's runtime did, from its metrics (messages, not distinct events)."""

    consumed: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    dead_lettered: dict[str, int] = field(default_factory=dict)
    published: dict[str, int] = field(default_factory=dict)


@dataclass
class Hiccups:
    """The production hiccups sent after the log, and what each agent did with them."""

    duplicate_id: str
    duplicate_type: str
    late_id: str
    late_client: str
    malformed_topic: str
    before: dict[str, AgentCounts]
    after: dict[str, AgentCounts]

    def duplicates_dropped(self, agent: str) -> int:
        return self.after[agent].duplicates - self.before[agent].duplicates

    def dead_letters(self, agent: str) -> dict[str, int]:
        old = self.before[agent].dead_lettered
        return {r: n - old.get(r, 0) for r, n in self.after[agent].dead_lettered.items() if n - old.get(r, 0)}


def fresh_state(state_dir: Path) -> None:
    """Remove the agents' databases and the last event log (the simulated log is kept)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    for path in state_dir.glob("*.db*"):
        path.unlink()
    (state_dir / EVENT_LOG).unlink(missing_ok=True)


@asynccontextmanager
async def embedded(state_dir: Path) -> AsyncIterator[EmbeddedSystem]:
    """The six agents started on a fresh state folder; stopped on exit."""
    await asyncio.to_thread(fresh_state, state_dir)
    bus = InProcessBus()
    await bus.ensure_topics(REGISTRY.partitions_by_topic())
    async with EmbeddedSystem(bus, embedded_agents(bus, state_dir, SETTINGS)) as system:
        yield system


def progress_of(system: EmbeddedSystem) -> tuple[int, int]:
    """(finished, total) messages over every agent's input topics: committed offsets and lag (polled
    a few times a second, so no copy of the topics' records is made)."""
    total = done = 0
    for service in system.services:
        partitions = service.topic_partitions()
        committed = sum(
            system.bus.committed(service.name, (topic, p))
            for topic in service.topics
            for p in range(partitions[topic])
        )
        done += committed
        total += committed + system.bus.lag(service.name, service.topics)
    return done, total


def phases_of(log: Path) -> list[list[Envelope[Any]]]:
    """The log paced by day: the first day, then each midnight and the rest of its day."""
    return paced(list(eventlog.read(log)), "day")


async def run_log(
    system: EmbeddedSystem, log: Path, console: Console, *, timeout_s: float = 3600.0
) -> tuple[int, dict[str, float]]:
    """Play the simulated log paced by day, each step settled, with a progress bar on the console."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    phases = phases_of(log)
    with Progress(*COLUMNS, console=console, transient=False) as bar:
        steps = bar.add_task("simulated days (midnight, then the day)", total=len(phases))
        agents_task = bar.add_task("agents: messages finished", total=sum(len(p) for p in phases))
        published = 0
        for phase in phases:
            await system.publish(phase)
            published += len(phase)
            await system.settle(timeout_s)
            done, total = progress_of(system)
            bar.update(agents_task, completed=done, total=total)
            bar.advance(steps)
    seconds["run"] = time.perf_counter() - started
    return published, seconds


def counts(services: list[Service]) -> dict[str, AgentCounts]:
    """Each agent's runtime counters (consumed by type, duplicates, dead letters by reason, published)."""
    out = {}
    for service in services:
        m = service.metrics
        out[service.name] = AgentCounts(
            consumed=_by_label(m.consumed, "type"),
            duplicates=sum(_by_label(m.duplicates, "type").values()),
            dead_lettered=_by_label(m.dead_lettered, "reason"),
            published=_by_label(m.produced, "type"),
        )
    return out


def _by_label(counter: Any, label: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for metric in counter.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total") and sample.value:
                key = str(sample.labels[label])
                out[key] = out.get(key, 0) + int(sample.value)
    return dict(sorted(out.items()))


def _first_client_upsert(log: Path) -> Envelope[Any] | None:
    with log.open("rb") as file:
        for number, raw in enumerate(file, start=1):
            if b'"type":"psa.client.upserted"' in raw:
                return eventlog.loads(raw, path=str(log), number=number)
    return None


@dataclass(frozen=True)
class HiccupMessages:
    """What production meets and the runtime absorbs, sent after the log in both modes: the first
    client record again (a duplicate), an older version of it arriving late, a malformed message."""

    original: Envelope[Any]
    late: Envelope[Any]
    malformed: Outgoing

    def outgoing(self) -> list[Outgoing]:
        return [eventlog.to_outgoing(self.original), eventlog.to_outgoing(self.late), self.malformed]

    def report(self, before: dict[str, AgentCounts], after: dict[str, AgentCounts]) -> Hiccups:
        return Hiccups(
            duplicate_id=self.original.id,
            duplicate_type=self.original.type,
            late_id=self.late.id,
            late_client=self.original.data.client_id,
            malformed_topic=self.malformed.topic,
            before=before,
            after=after,
        )


def hiccup_messages(log: Path) -> HiccupMessages | None:
    original = _first_client_upsert(log)
    if original is None:
        return None
    data: ClientUpserted = original.data
    stale_at = (data.updated_at or original.time) - timedelta(days=30)
    late = Envelope.build(
        data.model_copy(update={"name": f"{data.name} (old export)", "updated_at": stale_at}),
        source=original.source,
        time=original.time + timedelta(seconds=1),
    )
    malformed = Outgoing(
        REGISTRY.get("psa.client.upserted").topic,
        data.client_id.encode(),
        b"{not json",
        [("ce_specversion", b"1.0"), ("ce_type", b"psa.client.upserted")],
    )
    return HiccupMessages(original, late, malformed)


async def hiccups(system: EmbeddedSystem, log: Path, timeout_s: float = 120.0) -> Hiccups | None:
    """Send a duplicate, a late fact and a malformed message; wait; say what each agent did."""
    messages = hiccup_messages(log)
    if messages is None:
        return None
    before = counts(system.services)
    await system.bus.append(messages.outgoing())
    await system.settle(timeout_s)
    return messages.report(before, counts(system.services))


def write_log(system: EmbeddedSystem, state_dir: Path) -> tuple[Path, int]:
    path = state_dir / EVENT_LOG
    return path, system.write_log(path)
