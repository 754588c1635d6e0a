"""An in-process transport with Kafka's semantics, for the embedded default and fast tests.

Topics are partitioned logs; a key goes to ``murmur2(key) % partitions`` exactly as Kafka's
default partitioner does; each consumer group has committed offsets per partition and a group's
members share the partitions. Nothing is persisted: the services' outboxes are (SQLite), so a
restarted embedded run republishes nothing it had not already relayed.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict

from aiokafka.partitioner import murmur2

from msp_events.runtime.transport import MessageTooLargeError, Outgoing, Record, TopicPartition


class InProcessBus:
    """The broker: shared by every service running in this process."""

    name = "inprocess"

    def __init__(self, default_partitions: int = 3, max_message_bytes: int | None = None) -> None:
        self.default_partitions = default_partitions
        self.max_message_bytes = max_message_bytes  # like a broker's message.max.bytes; None: no limit
        self._logs: dict[str, list[list[Record]]] = {}
        self._committed: dict[str, dict[TopicPartition, int]] = defaultdict(dict)
        self._members: dict[str, list[InProcessConsumer]] = defaultdict(list)
        self._changed = asyncio.Condition()

    # -- administration -------------------------------------------------------------------------
    async def ensure_topics(self, partitions_by_topic: dict[str, int]) -> None:
        for topic, partitions in partitions_by_topic.items():
            self._log(topic, partitions)

    def _log(self, topic: str, partitions: int | None = None) -> list[list[Record]]:
        if topic not in self._logs:
            self._logs[topic] = [[] for _ in range(partitions or self.default_partitions)]
        return self._logs[topic]

    async def ping(self) -> bool:
        return True

    def partition_for(self, topic: str, key: bytes | None) -> int:
        count = len(self._log(topic))
        if key is None:
            return random.randrange(count)
        return int(murmur2(key) & 0x7FFFFFFF) % count

    # -- producing --------------------------------------------------------------------------------
    async def append(self, messages: list[Outgoing]) -> None:
        if self.max_message_bytes is not None:
            for message in messages:
                size = len(message.key or b"") + len(message.value or b"")
                size += sum(len(k) + len(v) for k, v in message.headers)
                if size > self.max_message_bytes:
                    raise MessageTooLargeError(
                        f"{message.topic}: {size} bytes; the limit is {self.max_message_bytes}"
                    )
        async with self._changed:
            for message in messages:
                log = self._log(message.topic)
                partition = self.partition_for(message.topic, message.key)
                records = log[partition]
                records.append(
                    Record(
                        topic=message.topic,
                        partition=partition,
                        offset=len(records),
                        key=message.key,
                        value=message.value,
                        headers=list(message.headers),
                    )
                )
            self._changed.notify_all()

    def records(self, topic: str) -> list[Record]:
        """Everything on a topic, partition by partition (for tests and the demo report)."""
        return [r for partition in self._log(topic) for r in partition]

    def topics(self) -> list[str]:
        return sorted(self._logs)

    # -- consumer groups ------------------------------------------------------------------------
    def consumer(self, group: str, topics: list[str]) -> InProcessConsumer:
        return InProcessConsumer(self, group, topics)

    def producer(self) -> InProcessProducer:
        return InProcessProducer(self)

    def committed(self, group: str, partition: TopicPartition) -> int:
        return self._committed[group].get(partition, 0)

    def lag(self, group: str, topics: list[str]) -> int:
        total = 0
        for topic in topics:
            for p, records in enumerate(self._log(topic)):
                total += len(records) - self.committed(group, (topic, p))
        return total

    def _assignment(self, member: InProcessConsumer) -> list[TopicPartition]:
        """Round-robin the group's partitions over its members, like a range/roundrobin assignor."""
        members = self._members[member.group]
        partitions = sorted({(t, p) for m in members for t in m.topics for p in range(len(self._log(t)))})
        index = members.index(member)
        return [tp for i, tp in enumerate(partitions) if i % len(members) == index]


class InProcessConsumer:
    def __init__(self, bus: InProcessBus, group: str, topics: list[str]) -> None:
        self.bus = bus
        self.group = group
        self.topics = list(topics)
        self._position: dict[TopicPartition, int] = {}
        self._paused: set[TopicPartition] = set()

    async def start(self) -> None:
        for topic in self.topics:
            self.bus._log(topic)
        self.bus._members[self.group].append(self)
        # A (re)joining member starts from the group's committed offsets, as after a rebalance.
        for members in (self.bus._members[self.group],):
            for member in members:
                member._position.clear()

    async def stop(self) -> None:
        if self in self.bus._members[self.group]:
            self.bus._members[self.group].remove(self)
            for member in self.bus._members[self.group]:
                member._position.clear()

    def _position_of(self, tp: TopicPartition) -> int:
        if tp not in self._position:
            self._position[tp] = self.bus.committed(self.group, tp)
        return self._position[tp]

    def _take(self, max_records: int) -> list[Record]:
        out: list[Record] = []
        for tp in self.bus._assignment(self):
            if tp in self._paused:
                continue
            records = self.bus._log(tp[0])[tp[1]]
            start = self._position_of(tp)
            chunk = records[start : start + (max_records - len(out))]
            if chunk:
                out.extend(chunk)
                self._position[tp] = start + len(chunk)
            if len(out) >= max_records:
                break
        return out

    async def fetch(self, max_records: int, timeout_s: float) -> list[Record]:
        async with self.bus._changed:
            records = self._take(max_records)
            if records:
                return records
            try:
                await asyncio.wait_for(self.bus._changed.wait(), timeout_s)
            except TimeoutError:
                return []
            return self._take(max_records)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        committed = self.bus._committed[self.group]
        for tp, offset in offsets.items():
            committed[tp] = max(committed.get(tp, 0), offset)

    async def seek(self, partition: TopicPartition, offset: int) -> None:
        self._position[partition] = offset

    def assignment(self) -> set[TopicPartition]:
        return set(self.bus._assignment(self))

    async def unfetched(self, partitions: set[TopicPartition]) -> dict[TopicPartition, int | None]:
        return {tp: len(self.bus._log(tp[0])[tp[1]]) - self._position_of(tp) for tp in partitions}

    def pause(self, partitions: set[TopicPartition]) -> None:
        self._paused |= partitions

    def resume(self, partitions: set[TopicPartition]) -> None:
        self._paused -= partitions

    async def lag(self) -> dict[TopicPartition, int]:
        return {
            tp: len(self.bus._log(tp[0])[tp[1]]) - self.bus.committed(self.group, tp)
            for tp in self.bus._assignment(self)
        }


class InProcessProducer:
    def __init__(self, bus: InProcessBus) -> None:
        self.bus = bus

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send_all(self, messages: list[Outgoing]) -> None:
        await self.bus.append(messages)
