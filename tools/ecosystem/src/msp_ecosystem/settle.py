"""When is a running ecosystem done? Every consumer group caught up and every outbox relayed, stably.

No blind sleeping: a reading is (1) each agent's committed offsets against the end offset of every
partition it subscribes to (the registry's consumers of each type, the clock, its redrive topics),
read with the Kafka admin API, then (2) each agent's outbox rows not yet published, from its own
database, then (1) again. A handler commits its outbox rows before its offsets, and the relay
publishes them before marking them, so offsets equal to the ends in both readings with an empty
outbox in between mean nothing is in flight; the reading must then hold, unchanged, for a short
quiet period (the alignment's hold-back and a relay's poll interval are shorter).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine

from msp_events.registry import REGISTRY, redrive_topic
from msp_events.runtime.kafka import connection_options
from msp_events.runtime.settings import KafkaSettings
from msp_events.runtime.store import outbox

CLOCK = REGISTRY.get("clock.ticked").topic


def subscriptions(agent: str) -> list[str]:
    """The topics an agent's consumer group reads (as ``Service.topics`` builds them)."""
    inputs = sorted({spec.topic for spec in REGISTRY.consumed_by(agent)} | {CLOCK})
    return sorted({*inputs, *(redrive_topic(agent, t) for t in inputs)})


@dataclass(frozen=True)
class Reading:
    lag: dict[str, int]
    """Per agent: records on its subscribed partitions that its group has not committed."""
    pending: dict[str, int]
    """Per agent: outbox rows not yet published."""
    ends: tuple[tuple[str, int, int], ...]
    """End offset of every partition read, to tell a quiet cluster from a busy one."""
    moved: bool = False
    """Records were produced between the two offset readings."""
    received: dict[str, int] = field(default_factory=dict)
    """Per agent: records on its subscribed partitions (committed plus lag), for a progress bar."""

    @property
    def finished(self) -> tuple[int, int]:
        """(records committed, records received) over every agent: how far the run is."""
        total = sum(self.received.values())
        return total - sum(self.lag.values()), total

    @property
    def settled(self) -> bool:
        return not self.moved and not any(self.lag.values()) and not any(self.pending.values())


class SettleWatch:
    """Reads lag and outbox backlog of a set of agents on one cluster under one topic prefix."""

    def __init__(self, kafka: KafkaSettings, databases: Mapping[str, str]) -> None:
        self.kafka = kafka
        self.agents = sorted(databases)
        self.engines: dict[str, Engine] = {name: create_engine(url) for name, url in databases.items()}
        self.partitions = REGISTRY.partitions_by_topic()
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def __aenter__(self) -> SettleWatch:
        options = connection_options(self.kafka)
        self._admin = AIOKafkaAdminClient(**options, request_timeout_ms=15000)
        await self._admin.start()
        self._consumer = AIOKafkaConsumer(**options, enable_auto_commit=False, group_id=None)
        await self._consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
        if self._admin is not None:
            await self._admin.close()
        for engine in self.engines.values():
            engine.dispose()

    def _tp(self, topic: str, partition: int) -> TopicPartition:
        return TopicPartition(self.kafka.topic_prefix + topic, partition)

    async def done(self, agent: str) -> tuple[int, int]:
        """An agent's (records committed, records still to consume) over its subscriptions."""
        lag, ends = await self._offsets()
        total = self._received(ends)[agent]
        return total - lag[agent], lag[agent]

    def _received(self, ends: tuple[tuple[str, int, int], ...]) -> dict[str, int]:
        per_topic: dict[str, int] = {}
        for topic, _, end in ends:
            name = topic.removeprefix(self.kafka.topic_prefix)
            per_topic[name] = per_topic.get(name, 0) + end
        return {agent: sum(per_topic.get(t, 0) for t in subscriptions(agent)) for agent in self.agents}

    async def _offsets(self) -> tuple[dict[str, int], tuple[tuple[str, int, int], ...]]:
        assert self._admin is not None and self._consumer is not None
        wanted = {
            agent: [self._tp(t, p) for t in subscriptions(agent) for p in range(self.partitions[t])]
            for agent in self.agents
        }
        every = sorted({tp for tps in wanted.values() for tp in tps})
        ends = await self._consumer.end_offsets(every)
        lag: dict[str, int] = {}
        for agent, tps in wanted.items():
            committed = await self._admin.list_consumer_group_offsets(self.kafka.topic_prefix + agent)
            done = {tp: meta.offset for tp, meta in committed.items() if meta.offset >= 0}
            lag[agent] = sum(max(ends[tp] - done.get(tp, 0), 0) for tp in tps)
        return lag, tuple((tp.topic, tp.partition, ends[tp]) for tp in every)

    def _pending(self) -> dict[str, int]:
        query = select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        out = {}
        for name, engine in self.engines.items():
            with engine.connect() as connection:
                out[name] = int(connection.execute(query).scalar_one())
        return out

    async def read(self) -> Reading:
        lag, ends = await self._offsets()
        pending = await asyncio.to_thread(self._pending)
        lag_again, ends_again = await self._offsets()
        # lag in either reading counts: a commit between them may have added outbox rows unseen
        worst = {agent: max(lag[agent], lag_again[agent]) for agent in lag}
        return Reading(
            worst, pending, ends_again, moved=ends_again != ends, received=self._received(ends_again)
        )

    async def wait(
        self,
        timeout_s: float = 600.0,
        quiet_s: float = 1.0,
        poll_s: float = 0.2,
        on_reading: Callable[[Reading], None] | None = None,
    ) -> float:
        """Until a settled reading holds unchanged for ``quiet_s``; returns the seconds waited.
        ``on_reading`` sees every reading (a progress bar)."""
        started = time.monotonic()
        deadline = started + timeout_s
        since: float | None = None
        last: Reading | None = None
        while True:
            reading = await self.read()
            if on_reading is not None:
                on_reading(reading)
            now = time.monotonic()
            if reading.settled and last is not None and last.settled and reading.ends == last.ends:
                since = since if since is not None else now
                if now - since >= quiet_s:
                    return now - started
            else:
                since = None
            last = reading
            if now > deadline:
                raise TimeoutError(
                    f"not settled after {timeout_s}s: lag {reading.lag}, outbox pending {reading.pending}"
                )
            await asyncio.sleep(poll_s)
