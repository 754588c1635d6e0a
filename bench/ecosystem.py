"""The ecosystem on Kafka: cross-agent reaction latency per rule, and how long a scenario takes to settle.

(a) baseline, same run: a bare aiokafka relay (consume the trigger, produce an answer, no database),
    trigger produced → answer seen;
(b) the six agents as processes (``msp_ecosystem``), after a simulated MSP has settled in them: a
    rule's trigger (a copy of one the run produced, with a fresh id, as its upstream agent would
    publish it) produced → the rule's output seen on its topic (matched by ``ce_causationid``);
    for rule 1 (``client.profitability.changed`` → RAM), rule 2 (``sales.opportunity.identified`` →
    SLI) and rule 3 (``contract.renewal.due`` → DSA), one trigger at a time;
(a) and (b) again under a steady background of simulated facts (time entries copied from the log
    with fresh ids, ``--background`` per second);
(c) the time for the scenario to settle, embedded (one process) and on Kafka (six processes).
Prints p50/p99 and the ratio to the baseline. A measurement, not a test: nothing asserts a time.

    .venv/bin/python bench/ecosystem.py [--seed 3 --clients 5 --technicians 2 --months 3]
        [--samples 20] [--background 1000] [--pace day|backlog]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from rich.console import Console
from rich.table import Table

from msp_events import Envelope, eventlog
from msp_events.codec.kafka import encode_binary
from msp_events.registry import REGISTRY
from msp_events.runtime.kafka import ensure_topics
from msp_events.runtime.settings import KafkaSettings

from msp_ecosystem.launcher import Ecosystem
from msp_ecosystem.runner import Outcome, Scenario, run_embedded, run_on_kafka

BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
ADMIN_URL = os.environ.get("DATABASE_URL", "postgresql+psycopg://msp:msp@127.0.0.1:5432/msp")
console = Console()

TIMEOUT_S = 15.0
"""A trigger with no answer within this is counted as 'no answer'."""
GIVE_UP_AFTER = 3

RULES = {
    "rule 1 CPI→RAM": ("client.profitability.changed", "resource.allocation.recommended"),
    "rule 2 SPO→SLI": ("sales.opportunity.identified", "license.compliance.checked"),
    "rule 3 VCM→DSA": ("contract.renewal.due", "spend.vendor.analyzed"),
}


def fresh(envelope: Envelope[Any]) -> Envelope[Any]:
    """The same fact again under a new id: the consumer's inbox takes it as new work."""
    return envelope.model_copy(update={"id": str(uuid.uuid4())})


class Watcher:
    """Reads output topics from their current end; records when an answer to each cause arrives."""

    def __init__(self, topics: list[str]) -> None:
        self.consumer = AIOKafkaConsumer(*topics, bootstrap_servers=BOOTSTRAP, auto_offset_reset="latest")
        self.arrivals: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Watcher:
        await self.consumer.start()
        while not self.consumer.assignment():
            await self.consumer.getmany(timeout_ms=100)
        await self.consumer.seek_to_end()
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        while True:
            for records in (await self.consumer.getmany(timeout_ms=50)).values():
                now = time.perf_counter()
                for r in records:
                    cause = dict(r.headers).get("ce_causationid")
                    if cause is not None:
                        self.arrivals.setdefault(cause.decode(), now)

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
        await self.consumer.stop()

    async def wait_for(self, cause: str, timeout_s: float = 30.0) -> float | None:
        deadline = time.perf_counter() + timeout_s
        while cause not in self.arrivals:
            if time.perf_counter() > deadline:
                return None
            await asyncio.sleep(0.002)
        return self.arrivals[cause]


async def measure(
    producer: AIOKafkaProducer, prefix: str, triggers: list[Envelope[Any]], output_topic: str, samples: int
) -> tuple[list[float], int]:
    """One trigger at a time: milliseconds from its send to its answer; and how many got none."""
    latencies, missing = [], 0
    async with Watcher([prefix + output_topic]) as watcher:
        for n in range(samples):
            trigger = fresh(triggers[n % len(triggers)])
            m = encode_binary(trigger)
            sent = time.perf_counter()
            await producer.send_and_wait(prefix + m.topic, value=m.value, key=m.key, headers=m.headers)
            seen = await watcher.wait_for(trigger.id, TIMEOUT_S)
            if seen is None:
                missing += 1
                if missing >= GIVE_UP_AFTER:
                    break  # the agent is behind by more than the timeout: later samples would wait too
            else:
                latencies.append((seen - sent) * 1000)
    return latencies, missing


async def raw_relay(prefix: str, stop: asyncio.Event) -> None:
    """The baseline: consume the trigger topic, produce an answer carrying its id, no database."""
    consumer = AIOKafkaConsumer(
        prefix + "bench.trigger", bootstrap_servers=BOOTSTRAP, group_id=prefix + "relay"
    )
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", enable_idempotence=True)
    await consumer.start()
    await producer.start()
    try:
        while not stop.is_set():
            for records in (await consumer.getmany(timeout_ms=50)).values():
                for r in records:
                    headers = dict(r.headers)
                    await producer.send(
                        prefix + "bench.answer", value=b"{}", headers=[("ce_causationid", headers["ce_id"])]
                    )
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


async def baseline(producer: AIOKafkaProducer, trigger: Envelope[Any], samples: int) -> list[float]:
    prefix = f"benchraw{uuid.uuid4().hex[:6]}."
    await ensure_topics(
        KafkaSettings(bootstrap_servers=BOOTSTRAP), {prefix + "bench.trigger": 1, prefix + "bench.answer": 1}
    )
    stop = asyncio.Event()
    relay = asyncio.create_task(raw_relay(prefix, stop))
    latencies = []
    async with Watcher([prefix + "bench.answer"]) as watcher:
        await asyncio.sleep(1.0)  # the relay's group has joined
        for _ in range(samples):
            e = fresh(trigger)
            m = encode_binary(e)
            sent = time.perf_counter()
            await producer.send_and_wait(
                prefix + "bench.trigger", value=m.value, key=m.key, headers=m.headers
            )
            seen = await watcher.wait_for(e.id)
            if seen is not None:
                latencies.append((seen - sent) * 1000)
    stop.set()
    await relay
    return latencies


async def background(
    producer: AIOKafkaProducer, prefix: str, facts: list[Envelope[Any]], rate: float
) -> None:
    """Simulated facts at a steady ``rate`` per second (fresh ids), until cancelled."""
    started = time.perf_counter()
    n = 0
    while True:
        m = encode_binary(fresh(facts[n % len(facts)]))
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await producer.send(prefix + m.topic, value=m.value, key=m.key, headers=m.headers)
        n += 1


def pct(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


async def latencies(
    ecosystem: Ecosystem, outcome: Outcome, samples: int, load: float, facts: list[Envelope[Any]]
) -> dict[str, tuple[list[float], int]]:
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", enable_idempotence=True, linger_ms=0)
    await producer.start()
    noise = asyncio.create_task(background(producer, ecosystem.prefix, facts, load)) if load else None
    try:
        out: dict[str, tuple[list[float], int]] = {}
        any_trigger = outcome.by_type("contract.renewal.due")[0]
        out["baseline: bare relay"] = (await baseline(producer, any_trigger, samples), 0)
        for name, (trigger_type, output_type) in RULES.items():
            answered = {e.causationid for e in outcome.by_type(output_type)}
            triggers = [e for e in outcome.by_type(trigger_type) if e.id in answered]
            if not triggers:
                console.print(f"[yellow]{name}: the scenario has no answered {trigger_type}; skipped")
                continue
            out[name] = await measure(
                producer, ecosystem.prefix, triggers, REGISTRY.get(output_type).topic, samples
            )
        return out
    finally:
        if noise is not None:
            noise.cancel()
        await producer.stop()


def table(title: str, results: dict[str, tuple[list[float], int]]) -> Table:
    t = Table(title=title)
    for column in ("path", "n", "no answer", "p50 ms", "p99 ms", "p50 vs baseline", "p99 vs baseline"):
        t.add_column(column, justify="right" if column != "path" else "left")
    base = results["baseline: bare relay"][0]
    for name, (values, missing) in results.items():
        t.add_row(
            name,
            str(len(values)),
            str(missing),
            f"{pct(values, 50):.1f}",
            f"{pct(values, 99):.1f}",
            f"{pct(values, 50) / pct(base, 50):.1f}x",
            f"{pct(values, 99) / pct(base, 99):.1f}x",
        )
    return t


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--clients", type=int, default=5)
    parser.add_argument("--technicians", type=int, default=2)
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--pace", choices=["day", "backlog"], default="day", help="how the log is played")
    parser.add_argument("--background", type=float, default=1000.0, help="simulated facts per second")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-ecosystem-"))
    scenario = Scenario(args.seed, args.clients, args.technicians, args.months, pace=args.pace)
    phases = scenario.phases(work / "scenario")
    facts = [e for e in eventlog.read(phases[0]) if e.type == "psa.time_entry.logged"]
    console.print(f"{scenario}: {sum(eventlog.count(p) for p in phases):,} facts; embedded run …")
    embedded = await run_embedded(phases, work / "embedded")
    ecosystem = Ecosystem(BOOTSTRAP, ADMIN_URL, work / "agents")
    started = time.perf_counter()
    await ecosystem.start()
    start_s = time.perf_counter() - started
    try:
        console.print("six processes ready; Kafka run …")
        outcome = await run_on_kafka(ecosystem, phases, work / "events.jsonl")
        quiet = await latencies(ecosystem, outcome, args.samples, 0, facts)
        loaded = await latencies(ecosystem, outcome, args.samples, args.background, facts)
    finally:
        ecosystem.close()
    console.print(table("reaction latency, quiet cluster (trigger produced → rule output seen)", quiet))
    console.print(table(f"reaction latency under {args.background:,.0f} simulated facts/s", loaded))
    settle = Table(title="scenario settle time")
    for column in ("mode", "seconds", "vs embedded"):
        settle.add_column(column, justify="right" if column != "mode" else "left")
    rows: list[tuple[str, float]] = [
        ("embedded (one process)", embedded.settle_s),
        ("Kafka, six processes (after start)", outcome.settle_s),
    ]
    for mode, seconds in rows:
        settle.add_row(mode, f"{seconds:.1f}", f"{seconds / embedded.settle_s:.2f}x")
    settle.add_row("six processes: start until ready", f"{start_s:.1f}", "")
    console.print(settle)
    same = [eventlog.dumps(e) for e in outcome.derived] == [eventlog.dumps(e) for e in embedded.derived]
    console.print(f"derived events: {len(outcome.derived)} on Kafka, same as embedded byte for byte: {same}")


if __name__ == "__main__":
    asyncio.run(main())
