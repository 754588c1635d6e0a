"""Event-time alignment: hand the handlers records in event-time order across all input partitions.

Kafka orders records within a partition only. A service reads many partitions of many topics, and
whenever a backlog builds the client returns whichever partitions it fetched first: a
``clock.ticked`` (one partition, small records) can arrive ahead of the time entries it is meant
to follow, and a month closes before its facts are in. Two runs of the same log then judge
differently. Kafka Streams solves this with timestamp synchronisation (``max.task.idle.ms``),
Flink with watermarks; this module is the same idea for our pump:

* fetched records are buffered per partition (a partition whose buffer is full is paused, so
  memory stays bounded and the others keep being fetched);
* the record released next is the one with the lowest event time (``ce_time``) among the heads of
  the buffered partitions, ties broken by facts before clock ticks, then topic, partition, offset;
* nothing is released while an assigned input partition has an empty buffer but records on the
  broker not yet fetched (its next record could be earlier), unless it has been waiting longer
  than ``max_idle_s``. A partition that is caught up to its end offset does not hold anything.

What it guarantees: a log that is on the broker when the service reads it is handled in the same
order whatever the fetch sizes, batch sizes, start times and restarts, so the outputs are the same.
Its limits: a partition that is caught up cannot vouch for records not yet produced, so a fact
published after later facts were handled arrives late and goes through the service's late-fact
path; and after ``max_idle_s`` an unreachable partition stops holding the others back (counted in
``msp_alignment_enforced``), which trades order for progress, as Kafka Streams does.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from msp_events.registry import REGISTRY
from msp_events.runtime.metrics import RuntimeMetrics
from msp_events.runtime.transport import ConsumerPort, Record, TopicPartition

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_UNKNOWN_TIME = -(2**63)  # a record without an event time is released at once (it is dead-lettered)
CLOCK_TOPIC = REGISTRY.get("clock.ticked").topic

SortKey = tuple[int, int, str, int, int]


@dataclass(frozen=True)
class AlignmentPolicy:
    max_idle_s: float = 5.0  # how long an empty partition with unfetched records may hold the rest
    max_buffered: int = 1000  # records buffered per partition before it is paused
    fetch_size: int = 500  # records asked of the transport per fetch


def event_time_us(record: Record) -> int:
    """The record's event time in microseconds since the epoch, from ``ce_time`` (binary mode), the
    document's ``time`` (structured mode) or, failing both, the broker timestamp."""
    raw: bytes | None = None
    for name, value in record.headers:
        if name == "ce_time":
            raw = value
            break
    if raw is None and record.value is not None and record.value[:1] == b"{":
        raw = _structured_time(record.value)
    if raw is not None:
        try:
            moment = datetime.fromisoformat(raw.decode())
        except (UnicodeDecodeError, ValueError):
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return (moment - _EPOCH) // _MICROSECOND
    if record.timestamp_ms is not None:
        return record.timestamp_ms * 1000
    return _UNKNOWN_TIME


def _structured_time(value: bytes) -> bytes | None:
    import json

    try:
        document = json.loads(value)
    except ValueError:
        return None
    moment = document.get("time") if isinstance(document, dict) else None
    return moment.encode() if isinstance(moment, str) else None


def sort_key(record: Record) -> SortKey:
    """Event time first; at the same instant facts before a clock tick (a tick at T says that T
    has come, so what happened at T belongs before it), then a fixed order of partitions."""
    is_clock = 1 if record.topic == CLOCK_TOPIC else 0
    return (event_time_us(record), is_clock, record.topic, record.partition, record.offset)


@dataclass
class _Buffered:
    key: SortKey
    record: Record


class EventTimeAligner:
    """A ``ConsumerPort`` over another one that releases records in event-time order."""

    def __init__(
        self,
        inner: ConsumerPort,
        policy: AlignmentPolicy,
        metrics: RuntimeMetrics | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.policy = policy
        self.metrics = metrics
        self._monotonic = monotonic
        self._buffers: dict[TopicPartition, deque[_Buffered]] = {}
        self._paused: set[TopicPartition] = set()
        self._waiting_since: dict[TopicPartition, float] = {}
        self._enforced: set[TopicPartition] = set()  # waited for past max_idle_s, still no records
        self._returned_at: float | None = None  # when fetch last handed records back to the service

    async def start(self) -> None:
        await self.inner.start()

    async def stop(self) -> None:
        await self.inner.stop()

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        await self.inner.commit(offsets)

    async def seek(self, partition: TopicPartition, offset: int) -> None:
        """Read ``partition`` again from ``offset``: what is buffered from there on is dropped."""
        buffer = self._buffers.get(partition)
        if buffer:
            kept = [b for b in buffer if b.record.offset < offset]
            buffer.clear()
            buffer.extend(kept)
        await self.inner.seek(partition, offset)
        self._update_pause(partition)

    def assignment(self) -> set[TopicPartition]:
        return self.inner.assignment()

    async def unfetched(self, partitions: set[TopicPartition]) -> dict[TopicPartition, int | None]:
        """What is left to read, counting what is buffered here as not yet read."""
        inner = await self.inner.unfetched(partitions)
        return {tp: None if n is None else n + len(self._buffers.get(tp, ())) for tp, n in inner.items()}

    async def lag(self) -> dict[TopicPartition, int]:
        return await self.inner.lag()  # committed offsets: what is buffered here is not processed

    def pause(self, partitions: set[TopicPartition]) -> None:
        self.inner.pause(partitions)

    def resume(self, partitions: set[TopicPartition]) -> None:
        self.inner.resume(partitions - self._paused)

    @property
    def held(self) -> int:
        """Records fetched but not yet released."""
        return sum(len(b) for b in self._buffers.values())

    async def fetch(self, max_records: int, timeout_s: float) -> list[Record]:
        self._stop_idle_clocks_while_away()
        try:
            return await self._fetch(max_records, timeout_s)
        finally:
            self._returned_at = self._monotonic()

    def _stop_idle_clocks_while_away(self) -> None:
        """Time the service spent handling the last batch is not time spent waiting for a partition.

        Only a fetch can bring a partition's records; counting a long batch (a month-end tick on a
        loaded machine) as waiting would give up on a partition that was never asked, and the order
        across partitions would then depend on how fast the handlers ran.
        """
        if self._returned_at is None:
            return
        away = self._monotonic() - self._returned_at
        self._returned_at = None
        if away > 0:
            for tp in self._waiting_since:
                self._waiting_since[tp] += away

    async def _fetch(self, max_records: int, timeout_s: float) -> list[Record]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            self._follow_assignment()
            released = await self._release(max_records)
            if self.metrics is not None:
                self.metrics.alignment_held.set(self.held)
            if released:
                return released
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            wait = min(remaining, self._next_idle_expiry() - self._monotonic())
            fetched = await self.inner.fetch(self.policy.fetch_size, max(wait, 0.0))
            self._buffer(fetched)

    # -- buffering ------------------------------------------------------------------------------
    def _buffer(self, records: list[Record]) -> None:
        touched: set[TopicPartition] = set()
        for record in records:
            tp = (record.topic, record.partition)
            buffer = self._buffers.setdefault(tp, deque())
            if buffer and record.offset <= buffer[-1].record.offset:
                # Read again from an earlier offset (a rebalance reset the position): keep one copy.
                kept = [b for b in buffer if b.record.offset < record.offset]
                buffer.clear()
                buffer.extend(kept)
            buffer.append(_Buffered(sort_key(record), record))
            touched.add(tp)
            self._waiting_since.pop(tp, None)
            self._enforced.discard(tp)
        for tp in touched:
            self._update_pause(tp)

    def _update_pause(self, tp: TopicPartition) -> None:
        size = len(self._buffers.get(tp, ()))
        if tp not in self._paused and size >= self.policy.max_buffered:
            self.inner.pause({tp})
            self._paused.add(tp)
        elif tp in self._paused and size < self.policy.max_buffered // 2:
            self.inner.resume({tp})
            self._paused.discard(tp)

    def _follow_assignment(self) -> None:
        assigned = self.inner.assignment()
        for tp in [tp for tp in self._buffers if tp not in assigned]:
            del self._buffers[tp]  # revoked: its new owner reads it from the committed offset
            self._paused.discard(tp)
        for tp in [tp for tp in self._waiting_since if tp not in assigned]:
            del self._waiting_since[tp]
        self._enforced &= assigned

    # -- releasing ------------------------------------------------------------------------------
    async def _release(self, max_records: int) -> list[Record]:
        heads: list[tuple[SortKey, TopicPartition]] = [
            (buffer[0].key, tp) for tp, buffer in self._buffers.items() if buffer
        ]
        if not heads:
            return []
        assigned = self.inner.assignment()
        empty = {tp for tp in assigned if not self._buffers.get(tp)}
        unfetched = await self.inner.unfetched(assigned)
        blocking = {tp for tp in empty if self._holds_back(tp, unfetched.get(tp))}
        released: list[Record] = []
        heapq.heapify(heads)
        while heads and not blocking and len(released) < max_records:
            _, tp = heapq.heappop(heads)
            buffer = self._buffers[tp]
            released.append(buffer.popleft().record)
            if buffer:
                heapq.heappush(heads, (buffer[0].key, tp))
            elif self._holds_back(tp, unfetched.get(tp)):
                blocking.add(tp)
        for tp in {(r.topic, r.partition) for r in released}:
            self._update_pause(tp)
        return released

    def _holds_back(self, tp: TopicPartition, unfetched: int | None) -> bool:
        """Whether an empty partition must hold the others back: it has records on the broker (or
        we do not know yet) and has not been waited for longer than ``max_idle_s``."""
        if unfetched is not None and unfetched <= 0:
            self._waiting_since.pop(tp, None)
            self._enforced.discard(tp)
            return False
        if tp in self._enforced:
            return False  # waited for once already: it holds nothing back until its records come
        now = self._monotonic()
        since = self._waiting_since.setdefault(tp, now)
        if now - since < self.policy.max_idle_s:
            return True
        self._enforced.add(tp)
        if self.metrics is not None:
            self.metrics.alignment_enforced.inc()
        log.warning(
            "%s[%d] has had records to fetch for %.1fs without delivering any; releasing the other "
            "partitions without it (order across partitions is not guaranteed until it delivers)",
            tp[0],
            tp[1],
            now - since,
        )
        return False

    def _next_idle_expiry(self) -> float:
        waits = [since for tp, since in self._waiting_since.items() if tp not in self._enforced]
        return min(waits) + self.policy.max_idle_s if waits else float("inf")
