"""Event-time alignment: records leave the aligner in event-time order across partitions and topics,
whatever the fetch size, as long as the log is on the broker; an empty partition that is behind
holds the others for a bounded time only; a caught-up one holds nothing."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from msp_events import Envelope
from msp_events.eventlog import to_outgoing
from msp_events.runtime.alignment import AlignmentPolicy, EventTimeAligner, event_time_us, sort_key
from msp_events.runtime.inprocess import InProcessBus, InProcessConsumer
from msp_events.runtime.metrics import RuntimeMetrics
from msp_events.runtime.transport import Record, TopicPartition
from msp_events.types.platform import ClockTicked
from msp_events.types.psa import ClientUpserted

T0 = datetime(2026, 4, 1, tzinfo=UTC)
CLIENTS = "psa.client.upserted"
CLOCK = "clock.ticked"


def client(n: int, at: datetime) -> Envelope[ClientUpserted]:
    return Envelope.build(
        ClientUpserted(
            client_id=f"C{n % 7}", name=f"Client {n}", status="active", created_on=date(2024, 1, 1)
        ),
        source="psa",
        time=at,
    )


def tick(at: datetime) -> Envelope[ClockTicked]:
    return Envelope.build(ClockTicked(now=at, granularity="day"), source="platform", time=at)


def log_of(days: int = 20) -> list[Envelope[ClientUpserted] | Envelope[ClockTicked]]:
    """Facts spread over the days (several per day, on several partitions) and one tick a day."""
    events: list[Envelope[ClientUpserted] | Envelope[ClockTicked]] = []
    n = 0
    for day in range(days):
        for hour in (9, 11, 15):
            events.append(client(n, T0 + timedelta(days=day, hours=hour)))
            n += 1
        events.append(tick(T0 + timedelta(days=day + 1)))
    return events


async def published(events: list[Envelope[ClientUpserted] | Envelope[ClockTicked]]) -> InProcessBus:
    bus = InProcessBus()
    await bus.ensure_topics({CLIENTS: 4, CLOCK: 1})
    await bus.append([to_outgoing(e) for e in events])
    return bus


async def drain(aligner: EventTimeAligner, batch: int) -> list[Record]:
    out: list[Record] = []
    while batch_records := await aligner.fetch(batch, 0.05):
        out.extend(batch_records)
    return out


def expected_order(records: list[Record]) -> list[tuple[str, int, int]]:
    return [(r.topic, r.partition, r.offset) for r in sorted(records, key=sort_key)]


@pytest.mark.parametrize(("fetch_size", "batch"), [(1, 1), (1, 7), (3, 200), (500, 5), (500, 500)])
async def test_ticks_published_first_still_come_after_the_facts_they_follow(
    fetch_size: int, batch: int
) -> None:
    events = log_of()
    ticks_first = [e for e in events if e.type == CLOCK] + [e for e in events if e.type != CLOCK]
    bus = await published(ticks_first)
    aligner = EventTimeAligner(
        bus.consumer("svc", [CLIENTS, CLOCK]), AlignmentPolicy(fetch_size=fetch_size, max_buffered=8)
    )
    await aligner.start()
    released = await drain(aligner, batch)
    assert len(released) == len(events)
    assert [(r.topic, r.partition, r.offset) for r in released] == expected_order(released)
    times = [event_time_us(r) for r in released]
    assert times == sorted(times)
    # Each tick comes right after the last fact of its day: the facts it closes are all in.
    order = [r.topic for r in released]
    assert order[:4] == [CLIENTS, CLIENTS, CLIENTS, CLOCK]


async def test_the_order_does_not_depend_on_how_the_publisher_interleaved_topics() -> None:
    events = log_of(10)
    facts = [e for e in events if e.type != CLOCK]
    ticks = [e for e in events if e.type == CLOCK]
    mixed = events[:]
    random.Random(7).shuffle(mixed)
    mixed.sort(key=lambda e: (e.type, e.time))  # each topic still in time order, topics blocked
    orders = []
    for publication in (events, ticks + facts, facts + ticks, mixed):
        bus = await published(publication)
        aligner = EventTimeAligner(bus.consumer("svc", [CLIENTS, CLOCK]), AlignmentPolicy(fetch_size=2))
        await aligner.start()
        orders.append([(r.topic, r.partition, event_time_us(r)) for r in await drain(aligner, 3)])
    assert all(order == orders[0] for order in orders)


async def test_a_caught_up_partition_holds_nothing_back() -> None:
    bus = await published([client(1, T0), client(2, T0 + timedelta(hours=1))])
    aligner = EventTimeAligner(bus.consumer("svc", [CLIENTS, CLOCK]), AlignmentPolicy(max_idle_s=60))
    await aligner.start()
    # The clock partition is empty and caught up: the facts go at once, no 60 s wait.
    assert len(await aligner.fetch(10, 0.2)) == 2


class OnePartitionUnreachable:
    """A transport consumer whose partition ``stuck`` has records it never delivers (a broker
    whose leader for it is down): the test double of a fetch that does not come back."""

    def __init__(
        self, inner: InProcessConsumer, stuck: TopicPartition, clock: list[float] | None = None
    ) -> None:
        self.inner, self.stuck, self.clock = inner, stuck, clock
        inner.pause({stuck})

    async def start(self) -> None:
        await self.inner.start()

    async def stop(self) -> None:
        await self.inner.stop()

    async def fetch(self, max_records: int, timeout_s: float) -> list[Record]:
        records = await self.inner.fetch(max_records, timeout_s)
        if self.clock is not None and not records:
            self.clock[0] += timeout_s  # nothing came: the fetch waited its whole timeout
        return records

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        await self.inner.commit(offsets)

    async def seek(self, partition: TopicPartition, offset: int) -> None:
        await self.inner.seek(partition, offset)

    def assignment(self) -> set[TopicPartition]:
        return self.inner.assignment()

    async def unfetched(self, partitions: set[TopicPartition]) -> dict[TopicPartition, int | None]:
        return await self.inner.unfetched(partitions)

    async def lag(self) -> dict[TopicPartition, int]:
        return await self.inner.lag()

    def pause(self, partitions: set[TopicPartition]) -> None:
        self.inner.pause(partitions)

    def resume(self, partitions: set[TopicPartition]) -> None:
        self.inner.resume(partitions - {self.stuck})


async def test_a_partition_that_is_behind_holds_the_others_for_max_idle_only() -> None:
    bus = await published([client(1, T0), tick(T0 + timedelta(days=1))])
    now = [0.0]
    metrics = RuntimeMetrics("svc")
    aligner = EventTimeAligner(
        OnePartitionUnreachable(bus.consumer("svc", [CLIENTS, CLOCK]), (CLOCK, 0), clock=now),
        AlignmentPolicy(max_idle_s=5.0),
        metrics,
        monotonic=lambda: now[0],
    )
    await aligner.start()
    fact_partition = bus.partition_for(CLIENTS, b"C1")
    # The clock partition has a tick it cannot deliver: the fact (whose tick might be earlier) waits.
    assert await aligner.fetch(10, 0.05) == []
    assert aligner.held == 1
    # The bounded wait runs out inside this fetch: progress wins over order, and it is counted.
    released = await aligner.fetch(10, 10.0)
    assert now[0] == pytest.approx(5.0)
    assert [(r.topic, r.partition) for r in released] == [(CLIENTS, fact_partition)]
    assert metrics.alignment_enforced._value.get() == 1


async def test_time_spent_handling_a_batch_is_not_time_spent_waiting_for_a_partition() -> None:
    bus = await published([client(1, T0), tick(T0 + timedelta(days=1))])
    now = [0.0]
    aligner = EventTimeAligner(
        OnePartitionUnreachable(bus.consumer("svc", [CLIENTS, CLOCK]), (CLOCK, 0), clock=now),
        AlignmentPolicy(max_idle_s=5.0),
        monotonic=lambda: now[0],
    )
    await aligner.start()
    assert await aligner.fetch(10, 1.0) == []  # 1 s of waiting
    now[0] += 60.0  # the service was busy elsewhere for a minute (a slow batch, a starved CPU)
    assert await aligner.fetch(10, 3.0) == []  # 4 s of waiting in all: still held for the tick
    assert aligner.held == 1
    assert len(await aligner.fetch(10, 3.0)) == 1  # the fifth second of waiting gives up


async def test_seek_drops_what_was_buffered_from_that_offset_and_reads_it_again() -> None:
    events = [client(n, T0 + timedelta(hours=n)) for n in range(12)]
    bus = await published(events)
    aligner = EventTimeAligner(bus.consumer("svc", [CLIENTS, CLOCK]), AlignmentPolicy())
    await aligner.start()
    first = await aligner.fetch(4, 0.05)
    for tp, offset in {(r.topic, r.partition): r.offset for r in reversed(first)}.items():
        await aligner.seek(tp, offset)  # what the pump does when a batch could not be finished
    again = await drain(aligner, 100)
    assert [r.offset for r in again[:4]] == [r.offset for r in first]
    assert sorted((r.topic, r.partition, r.offset) for r in again) == sorted(
        (r.topic, r.partition, r.offset) for r in bus.records(CLIENTS)
    )


def test_event_time_comes_from_ce_time_or_the_structured_document_or_the_broker() -> None:
    binary = Record(CLIENTS, 0, 0, None, b"{}", [("ce_time", b"2026-04-01T00:00:01+00:00")])
    structured = Record(CLIENTS, 0, 1, None, b'{"time": "2026-04-01T00:00:02Z"}', [])
    stamped = Record(CLIENTS, 0, 2, None, b"junk", [], timestamp_ms=1_775_001_603_000)
    bare = Record(CLIENTS, 0, 3, None, b"junk", [])
    assert event_time_us(binary) == int(T0.timestamp()) * 1_000_000 + 1_000_000
    assert event_time_us(structured) == int(T0.timestamp()) * 1_000_000 + 2_000_000
    assert event_time_us(stamped) == 1_775_001_603_000_000
    assert event_time_us(bare) < event_time_us(binary)  # undecodable: released first, dead-lettered
