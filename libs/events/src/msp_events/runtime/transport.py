"""The transport seam: what the runtime needs from a message broker, and nothing more.

Two implementations exist: Apache Kafka (``kafka.py``) and an in-process log (``inprocess.py``)
with the same partitioning, consumer groups and offsets. The consumer pump and the outbox relay
only see these protocols, so services never know which transport they are on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from msp_events.codec.kafka import Headers


@dataclass(frozen=True)
class Record:
    """A consumed message with its position."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers
    timestamp_ms: int | None = None


@dataclass(frozen=True)
class Outgoing:
    """A message to publish."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers


TopicPartition = tuple[str, int]


class MessageTooLargeError(Exception):
    """The producer or the broker refused a message for its size. Permanent for that message:
    sending it again fails again, so the caller must publish something smaller (``deadletter.py``)."""


class ConsumerPort(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def fetch(self, max_records: int, timeout_s: float) -> list[Record]:
        """Next records of the assigned partitions, in offset order per partition."""
        ...

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        """Record ``offset`` (the next one to read) as processed for each partition."""
        ...

    async def seek(self, partition: TopicPartition, offset: int) -> None:
        """Read ``partition`` again from ``offset`` (after a batch could not be finished)."""
        ...

    def assignment(self) -> set[TopicPartition]:
        """The partitions this member reads now (they change on a rebalance)."""
        ...

    async def unfetched(self, partitions: set[TopicPartition]) -> dict[TopicPartition, int | None]:
        """Records on the broker beyond the fetch position, per partition (None: not known yet).
        Event-time alignment uses it to tell a partition that is behind from one caught up."""
        ...

    def pause(self, partitions: set[TopicPartition]) -> None:
        """Stop fetching these partitions (their records are buffered enough) until resumed."""
        ...

    def resume(self, partitions: set[TopicPartition]) -> None: ...

    async def lag(self) -> dict[TopicPartition, int]:
        """Records after the committed offset, for each partition assigned to this consumer: what
        ``progress.py`` watches to tell a stalled partition from an idle one."""
        ...


class ProducerPort(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def send_all(self, messages: list[Outgoing]) -> None:
        """Publish in order and return only when every message is acknowledged (acks=all)."""
        ...


class Transport(Protocol):
    name: str

    def consumer(self, group: str, topics: list[str]) -> ConsumerPort: ...
    def producer(self) -> ProducerPort: ...
    async def ensure_topics(self, partitions_by_topic: dict[str, int]) -> None: ...
    async def ping(self) -> bool: ...
