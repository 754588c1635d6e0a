"""``play``: check a log line by line, summarise it, publish it (ids kept) to Kafka or the embedded bus."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from msp_events import eventlog
from msp_events.envelope import Envelope
from msp_events.registry import REGISTRY

from msp_replay.filters import Where
from msp_replay.targets import open_target

MAX_ERRORS = 20


@dataclass
class LogSummary:
    """What a log holds: counts per (type, topic), its event-time span, and every bad line."""

    lines: int = 0
    events: int = 0
    filtered_out: int = 0
    by_type: Counter[tuple[str, str]] = field(default_factory=Counter)
    first: dict[tuple[str, str], datetime] = field(default_factory=dict)
    last: dict[tuple[str, str], datetime] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    invalid: int = 0

    @property
    def start(self) -> datetime | None:
        return min(self.first.values(), default=None)

    @property
    def end(self) -> datetime | None:
        return max(self.last.values(), default=None)

    def topics(self) -> dict[str, int]:
        """The topics this log publishes to, with partitions (to create them if missing)."""
        return {topic: REGISTRY.by_topic(topic).partitions for _, topic in self.by_type}

    def rows(self) -> list[tuple[str, str, int, str, str]]:
        return [
            (t, topic, n, self.first[(t, topic)].isoformat(), self.last[(t, topic)].isoformat())
            for (t, topic), n in sorted(self.by_type.items())
        ]


def summarise(path: Path, where: Where = Where()) -> LogSummary:
    """Validate every line (all of them, not just up to the first bad one) and count what passes."""
    summary = LogSummary()
    with path.open("rb") as file:
        for number, raw in enumerate(file, start=1):
            if not raw.strip():
                continue
            summary.lines += 1
            try:
                envelope = eventlog.loads(raw, path=str(path), number=number)
            except eventlog.LogError as exc:
                summary.invalid += 1
                if len(summary.errors) < MAX_ERRORS:
                    summary.errors.append(str(exc))
                continue
            if where and not where.matches(envelope.model_dump(exclude={"data"})):
                summary.filtered_out += 1
                continue
            key = (envelope.type, envelope.spec.topic)
            summary.events += 1
            summary.by_type[key] += 1
            summary.first[key] = min(summary.first.get(key, envelope.time), envelope.time)
            summary.last[key] = max(summary.last.get(key, envelope.time), envelope.time)
    return summary


def selected(path: Path, where: Where) -> Iterator[Envelope[Any]]:
    for envelope in eventlog.read(path):
        if not where or where.matches(envelope.model_dump(exclude={"data"})):
            yield envelope


@dataclass
class PlayReport:
    published: int
    agents_published: Counter[str]


async def play(
    path: Path,
    url: str,
    *,
    where: Where = Where(),
    pacing: eventlog.Pacing | None = None,
    topic_prefix: str | None = None,
    topics: dict[str, int] | None = None,
    progress: Callable[[int], None] | None = None,
) -> PlayReport:
    """Publish the (already validated) log to ``url``; embedded: wait until the agents settle."""
    async with open_target(url, topic_prefix=topic_prefix, topics=topics) as target:
        published = await eventlog.publish(selected(path, where), target.producer, pacing, progress=progress)
        await target.settle()
        return PlayReport(published, target.published_by_agents())
