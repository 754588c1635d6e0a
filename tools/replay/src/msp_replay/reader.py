"""Reading fixed ranges of Kafka partitions: no group membership, a known end.

``capture`` reads without any consumer group (``group_id=None``: manual ``assign``, ``seek`` to
where the range starts, stop at the offsets taken when it began), so it never disturbs the agents'
groups and always terminates even while producers keep writing. ``redrive`` uses the same reader
with a group of its own only to remember how far it got (offsets are committed, never joined).
"""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from msp_events.runtime.kafka import MAX_REQUEST_BYTES, connection_options
from msp_events.runtime.settings import KafkaSettings
from msp_events.runtime.transport import Record


class ReadError(RuntimeError):
    """A topic that is not there, or a range that could not be read to its end."""


@dataclass(frozen=True)
class Range:
    """Where to start and stop in every partition: times in epoch ms, offsets per partition.

    ``since_ms``/``from_offset`` are inclusive, ``until_ms``/``until_offset`` exclusive. Times are
    the records' Kafka timestamps (the time they were produced).
    """

    since_ms: int | None = None
    until_ms: int | None = None
    from_offset: int | None = None
    until_offset: int | None = None

    def holds(self, timestamp_ms: int | None) -> bool:
        if timestamp_ms is None:
            return self.since_ms is None and self.until_ms is None
        if self.since_ms is not None and timestamp_ms < self.since_ms:
            return False
        return self.until_ms is None or timestamp_ms < self.until_ms


@dataclass
class Span:
    """The offsets of one partition to read: ``start`` inclusive, ``stop`` exclusive."""

    topic: str  # logical (no prefix)
    partition: int
    start: int
    stop: int

    @property
    def size(self) -> int:
        return max(0, self.stop - self.start)


class RangeReader:
    """One aiokafka consumer over the partitions of some topics, reading a span of each."""

    def __init__(self, settings: KafkaSettings, *, group: str | None = None, client_id: str = "msp-replay"):
        self.settings = settings
        self.group = settings.topic_prefix + group if group else None
        self._consumer = AIOKafkaConsumer(
            group_id=self.group,
            client_id=client_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=MAX_REQUEST_BYTES,
            **connection_options(settings),
        )

    async def __aenter__(self) -> RangeReader:
        await self._consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._consumer.stop()

    def _physical(self, topic: str) -> str:
        return self.settings.topic_prefix + topic

    async def existing(self, topics: list[str]) -> tuple[list[str], list[str]]:
        """(present, missing) among ``topics`` on the cluster."""
        on_cluster = (await self._consumer._client.fetch_all_metadata()).topics()
        present = [t for t in topics if self._physical(t) in on_cluster]
        return present, [t for t in topics if t not in present]

    async def spans(self, topics: list[str], window: Range, *, resume: bool = False) -> list[Span]:
        """The offsets to read per partition. ``resume``: start at the group's committed offset
        (when there is one and no ``from_offset``)."""
        # A fresh look at the cluster (the client's cached metadata only covers topics it already knows).
        metadata = await self._consumer._client.fetch_all_metadata()
        tps: list[TopicPartition] = []
        for topic in topics:
            partitions = metadata.partitions_for_topic(self._physical(topic))
            if not partitions:
                raise ReadError(
                    f"topic {self._physical(topic)!r} does not exist on {self.settings.bootstrap_servers}"
                )
            tps.extend(TopicPartition(self._physical(topic), p) for p in sorted(partitions))
        if not tps:
            return []
        self._consumer.assign(tps)
        begin = await self._consumer.beginning_offsets(tps)
        end = await self._consumer.end_offsets(tps)
        start = dict(begin)
        if window.since_ms is not None:
            found = await self._consumer.offsets_for_times({tp: window.since_ms for tp in tps})
            start = {tp: (found[tp].offset if found.get(tp) else end[tp]) for tp in tps}
        stop = dict(end)
        if window.until_ms is not None:
            found = await self._consumer.offsets_for_times({tp: window.until_ms for tp in tps})
            stop = {tp: (found[tp].offset if found.get(tp) else end[tp]) for tp in tps}
        spans = []
        for tp in tps:
            first = start[tp]
            if window.from_offset is not None:
                first = max(begin[tp], window.from_offset)
            elif resume and self.group is not None:
                committed = await self._consumer.committed(tp)
                if committed is not None:
                    first = max(first, committed)
            last = stop[tp]
            if window.until_offset is not None:
                last = min(last, window.until_offset)
            spans.append(Span(tp.topic.removeprefix(self.settings.topic_prefix), tp.partition, first, last))
        return spans

    async def read(
        self, spans: list[Span], *, timeout_s: float = 60.0, progress: Callable[[int], None] | None = None
    ) -> AsyncIterator[Record]:
        """Every record of the spans (offset order within a partition); ``progress(n)`` as it goes."""
        todo = {TopicPartition(self._physical(s.topic), s.partition): s for s in spans if s.size > 0}
        for tp, span in todo.items():
            self._consumer.seek(tp, span.start)
        deadline = time.monotonic() + timeout_s
        while todo:
            batches = await self._consumer.getmany(*todo, timeout_ms=500)
            if batches:
                deadline = time.monotonic() + timeout_s
            elif time.monotonic() > deadline:
                raise ReadError(f"no progress for {timeout_s}s reading {sorted(str(tp) for tp in todo)}")
            for tp, records in batches.items():
                if tp not in todo:
                    continue
                span = todo[tp]
                taken = 0
                for r in records:
                    if r.offset >= span.stop:
                        break
                    taken += 1
                    yield Record(
                        topic=span.topic,
                        partition=r.partition,
                        offset=r.offset,
                        key=r.key,
                        value=r.value,
                        headers=list(r.headers or ()),
                        timestamp_ms=r.timestamp,
                    )
                if progress is not None and taken:
                    progress(taken)
            for tp in list(todo):
                if await self._consumer.position(tp) >= todo[tp].stop:
                    del todo[tp]

    async def commit(self, spans: list[Span]) -> None:
        """Remember (in this reader's group) that the spans are done."""
        if self.group is None:
            raise ReadError("a reader without a group cannot commit")
        offsets = {TopicPartition(self._physical(s.topic), s.partition): s.stop for s in spans if s.size > 0}
        if offsets:
            await self._consumer.commit(offsets)


def raw_document(record: Record, reason: str, detail: str) -> dict[str, Any]:
    """A record that did not decode, for ``--raw-errors``: text where it is UTF-8, else base64."""

    def text(value: bytes | None) -> dict[str, str | None]:
        if value is None:
            return {"text": None}
        try:
            return {"text": value.decode("utf-8")}
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(value).decode()}

    return {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp_ms": record.timestamp_ms,
        "key": text(record.key),
        "value": text(record.value),
        "headers": [[k, v.decode("utf-8", errors="replace")] for k, v in record.headers],
        "reason": reason,
        "detail": detail,
    }
