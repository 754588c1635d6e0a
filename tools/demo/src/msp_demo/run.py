"""The embedded run: the six agents in this process, the simulated log through them, a progress bar.

The same handlers, topic routing, inbox, outbox and dead-letter path as on Kafka (the embedded
default: in-process transport, one SQLite file per agent under the state folder). The whole log is
on the bus at once and event-time alignment hands each agent its inputs in event order, as a
backlog after an outage would be. The bar counts messages the agents have finished (handled,
dropped as duplicates or dead-lettered) against everything on their input topics, derived events
included, so its total grows while the agents publish.

After the log, three messages show what production meets and the runtime absorbs: a fact
delivered twice (the inbox drops the copy), an older version of a fact arriving late (newest wins,
it changes nothing) and a malformed message (dead-lettered with its reason, nothing lost).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from msp_events import agents, eventlog
from msp_events.envelope import Envelope
from msp_events.registry import REGISTRY
from msp_events.runtime.embedded import EmbeddedSystem
from msp_events.runtime.inprocess import InProcessBus
from msp_events.runtime.service import Service
from msp_events.runtime.settings import ServiceSettings
from msp_events.runtime.transport import Outgoing
from msp_events.types.psa import ClientUpserted

EVENT_LOG = "events.jsonl"
"""Where the run's event log goes in the state folder: what ``msp-trace --from embedded:DIR`` reads."""

SETTINGS: dict[str, dict[str, Any]] = {"sli": {"SLI_INACTIVE_DAYS": 30}}
"""Per-agent settings that differ from the defaults, and why: the simulator's truth calls a licence
unused after 30 days without a sign-in (SLI's default is 60), so SLI is asked the same question the
truth answers. Everything else runs as deployed."""

PUBLISH_BATCH = 2000
POLL_S = 0.25


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


@dataclass
class RunResult:
    published: int
    """Facts of the simulated log put on the bus."""
    logged: int
    """Events in the written event log (facts and everything the agents derived)."""
    counts: dict[str, AgentCounts]
    hiccups: Hiccups | None
    seconds: dict[str, float]
    """Wall time per phase (publish, settle, hiccups): for the report header, never for findings."""
    event_log: Path


def build_agents(bus: InProcessBus, state_dir: Path) -> list[Service]:
    """Every installed agent on one bus, each with its own SQLite file under ``state_dir``."""
    services = []
    for name, agent in agents.installed().items():
        module = agent.app()
        settings_cls: type[ServiceSettings] = module.Settings
        settings = settings_cls(
            MSP_TRANSPORT="inprocess",
            DATABASE_URL=f"sqlite:///{state_dir}/{name}.db",
            **SETTINGS.get(name, {}),
        )
        services.append(module.create_service(settings, transport=bus))
    return services


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
    async with EmbeddedSystem(bus, build_agents(bus, state_dir)) as system:
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


async def publish_log(system: EmbeddedSystem, log: Path, on_batch: Callable[[int], None]) -> int:
    """Every event of the log on the bus, as the source systems would publish them (ids kept)."""
    batch: list[Outgoing] = []
    sent = 0
    for envelope in eventlog.read(log):
        batch.append(eventlog.to_outgoing(envelope))
        if len(batch) >= PUBLISH_BATCH:
            await system.bus.append(batch)
            sent += len(batch)
            on_batch(len(batch))
            batch = []
            await asyncio.sleep(0)  # let the agents start on what is there
    if batch:
        await system.bus.append(batch)
        sent += len(batch)
        on_batch(len(batch))
    return sent


async def settle(system: EmbeddedSystem, on_progress: Callable[[int, int], None], timeout_s: float) -> None:
    """Wait until every agent has finished its inputs and relayed its outbox, reporting progress."""
    deadline = time.monotonic() + timeout_s
    while True:
        done, total = progress_of(system)
        on_progress(done, total)
        if done == total and all(s.is_idle() for s in system.services):
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"the agents did not settle in {timeout_s:.0f} s ({done:,} of {total:,})")
        await asyncio.sleep(POLL_S)
    await system.settle(timeout_s=max(1.0, deadline - time.monotonic()))
    done, total = progress_of(system)
    on_progress(done, total)


async def run_log(
    system: EmbeddedSystem, log: Path, console: Console, *, timeout_s: float = 3600.0
) -> tuple[int, dict[str, float]]:
    """Publish the simulated log and wait for the agents, with a progress bar on the console."""
    seconds: dict[str, float] = {}
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        events = eventlog.count(log)
        publishing = bar.add_task("publishing the simulated facts", total=events)
        agents_task = bar.add_task("agents: messages finished", total=events)
        started = time.perf_counter()

        def advance(n: int) -> None:
            bar.advance(publishing, n)
            done, total = progress_of(system)
            bar.update(agents_task, completed=done, total=total)

        published = await publish_log(system, log, advance)
        seconds["publish"] = time.perf_counter() - started
        started = time.perf_counter()
        await settle(
            system, lambda done, total: bar.update(agents_task, completed=done, total=total), timeout_s
        )
        seconds["settle"] = time.perf_counter() - started
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


async def hiccups(system: EmbeddedSystem, log: Path, timeout_s: float = 120.0) -> Hiccups | None:
    """Send a duplicate, a late fact and a malformed message; wait; say what each agent did."""
    original = _first_client_upsert(log)
    if original is None:
        return None
    before = counts(system.services)
    data: ClientUpserted = original.data
    stale_at = (data.updated_at or original.time) - timedelta(days=30)
    late = Envelope.build(
        data.model_copy(update={"name": f"{data.name} (old export)", "updated_at": stale_at}),
        source=original.source,
        time=original.time + timedelta(seconds=1),
    )
    await system.publish([original, late])
    malformed_topic = REGISTRY.get("psa.client.upserted").topic
    await system.bus.append(
        [
            Outgoing(
                malformed_topic,
                data.client_id.encode(),
                b"{not json",
                [("ce_specversion", b"1.0"), ("ce_type", b"psa.client.upserted")],
            )
        ]
    )
    await system.settle(timeout_s)
    return Hiccups(
        duplicate_id=original.id,
        duplicate_type=original.type,
        late_id=late.id,
        late_client=data.client_id,
        malformed_topic=malformed_topic,
        before=before,
        after=counts(system.services),
    )


def write_log(system: EmbeddedSystem, state_dir: Path) -> tuple[Path, int]:
    path = state_dir / EVENT_LOG
    return path, system.write_log(path)
