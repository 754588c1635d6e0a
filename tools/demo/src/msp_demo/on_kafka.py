"""The demo with each agent as its own process on Kafka and PostgreSQL (``--kafka``, ``--database-url``).

The same simulated log, the same agents (``python -m <agent> serve``, as deployed), one PostgreSQL
database each and a fresh topic prefix per run (``msp_ecosystem``). Paced by day as in the
embedded run (``run.py`` says why): the first day is on the broker before the agents start, then
each midnight and the rest of its day, each step settled (every group caught up, every outbox
relayed: ``msp_ecosystem.settle``) before the next; then the same duplicate, late fact and
malformed message. Progress comes from the consumer groups' committed offsets. Every event topic
is then captured to the state folder's ``events.jsonl`` (what ``msp-trace --from embedded:DIR``
reads), and the findings are read from the agents' own databases, exactly as in the embedded run;
the databases are dropped when the report is written.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console
from rich.progress import Progress

from msp_events import eventlog

from msp_demo.run import (
    COLUMNS,
    EVENT_LOG,
    AgentCounts,
    Hiccups,
    hiccup_messages,
    phases_of,
    settings_env,
)
from msp_ecosystem.launcher import Ecosystem
from msp_ecosystem.runner import event_topics
from msp_ecosystem.settle import Reading, SettleWatch
from msp_replay.capture import capture
from msp_replay.targets import open_target

QUIET_S = 0.3
"""A settled reading must hold this long (longer than a relay's poll: the agents run with
``RELAY_POLL_S`` 0.05, ``msp_ecosystem.launcher``), as in the ecosystem's own runs."""


@contextmanager
def agents_on_kafka(kafka: str, database_url: str, state_dir: Path) -> Iterator[Ecosystem]:
    """Databases and topics for a fresh run (not started yet); processes stopped, databases dropped
    on exit."""
    ecosystem = Ecosystem(kafka, database_url, state_dir / "agents", extra_env=settings_env())
    asyncio.run(ecosystem.prepare())
    try:
        yield ecosystem
    finally:
        ecosystem.close()


def scrape(ecosystem: Ecosystem) -> dict[str, AgentCounts]:
    """Each agent process's runtime counters, from its ``/metrics`` (what Prometheus would scrape)."""
    out = {}
    for name, process in ecosystem.processes.items():
        text = httpx.get(f"http://127.0.0.1:{process.metrics_port}/metrics", timeout=10).text
        families = {f.name: f for f in text_string_to_metric_families(text)}
        out[name] = AgentCounts(
            consumed=_by_label(families, "msp_events_consumed", "type"),
            duplicates=sum(_by_label(families, "msp_inbox_duplicates", "type").values()),
            dead_lettered=_by_label(families, "msp_events_dead_lettered", "reason"),
            published=_by_label(families, "msp_events_produced", "type"),
        )
    return out


def _by_label(families: dict[str, Any], name: str, label: str) -> dict[str, int]:
    out: dict[str, int] = {}
    family = families.get(name)
    for sample in family.samples if family is not None else []:
        if sample.name.endswith("_total") and sample.value:
            key = str(sample.labels[label])
            out[key] = out.get(key, 0) + int(sample.value)
    return dict(sorted(out.items()))


async def run_on_kafka(
    ecosystem: Ecosystem, log: Path, state_dir: Path, console: Console, *, timeout_s: float = 7200.0
) -> tuple[int, dict[str, float], dict[str, AgentCounts], Hiccups | None, Path]:
    """Publish the log, start the agents, wait with a progress bar, send the hiccups, capture."""
    seconds: dict[str, float] = {}
    phases = phases_of(log)
    async with open_target(f"kafka://{ecosystem.kafka}", topic_prefix=ecosystem.prefix, topics={}) as target:
        started = time.perf_counter()
        published = await eventlog.publish(phases[0], target.producer, None)
        with console.status("starting the agents, one process each …"):
            await asyncio.to_thread(ecosystem.launch)
        seconds["start"] = time.perf_counter() - started
        started = time.perf_counter()
        async with SettleWatch(ecosystem.kafka_settings, ecosystem.urls()) as watch:
            with Progress(*COLUMNS, console=console, transient=False) as bar:
                steps = bar.add_task("simulated days (midnight, then the day)", total=len(phases))
                agents_task = bar.add_task("agents: messages committed", total=sum(len(p) for p in phases))

                def show(reading: Reading) -> None:
                    done, total = reading.finished
                    bar.update(agents_task, completed=done, total=total)

                for n, phase in enumerate(phases):
                    if n:
                        published += await eventlog.publish(phase, target.producer, None)
                    await watch.wait(timeout_s=timeout_s, quiet_s=QUIET_S, on_reading=show)
                    bar.advance(steps)
            seconds["run"] = time.perf_counter() - started
            started = time.perf_counter()
            with console.status("a duplicate, a late fact and a malformed message …"):
                absorbed = await _hiccups(ecosystem, target.producer, watch, log, timeout_s)
            seconds["hiccups"] = time.perf_counter() - started
    final = await asyncio.to_thread(scrape, ecosystem)
    path = state_dir / EVENT_LOG
    report = await capture(ecosystem.kafka_settings, event_topics(), path, skip_missing=True)
    sent_malformed = 1 if absorbed is not None else 0  # the hiccup: not an event, left out as embedded
    if report.undecodable > sent_malformed:
        raise RuntimeError(f"undecodable records on the event topics: {report.first_errors}")
    return published, seconds, final, absorbed, path


async def _hiccups(
    ecosystem: Ecosystem, producer: Any, watch: SettleWatch, log: Path, timeout_s: float
) -> Hiccups | None:
    """As ``run.hiccups``, through the broker."""
    messages = hiccup_messages(log)
    if messages is None:
        return None
    before = await asyncio.to_thread(scrape, ecosystem)
    await producer.send_all(messages.outgoing())
    await watch.wait(timeout_s=timeout_s, quiet_s=QUIET_S)
    return messages.report(before, await asyncio.to_thread(scrape, ecosystem))
