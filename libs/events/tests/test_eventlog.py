"""The event-log file format and the paced publisher every data-in tool shares."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from msp_events import Envelope, Money, eventlog
from msp_events.codec.kafka import decode
from msp_events.runtime.inprocess import InProcessBus
from msp_events.types.finance import ExpenseRecorded

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def expense(n: int, at: datetime) -> Envelope[Any]:
    data = ExpenseRecorded(
        expense_id=f"E-{n}",
        expense_date=date(2026, 3, 2),
        department="Service Delivery",
        vendor="CDW",
        category="Hardware",
        amount=Money(amount=Decimal("1234.50"), currency="USD"),
    )
    return Envelope.build(data, source="finance.test", time=at)


class FakeClock:
    """Wall time that only moves when the publisher sleeps, so pacing is checked exactly."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


async def batches(
    envelopes: list[Envelope[Any]], pacing: eventlog.Pacing, clock: FakeClock
) -> list[list[str]]:
    return [
        [e.data.expense_id for e in batch]
        async for batch in eventlog.paced(envelopes, pacing, clock=clock, sleep=clock.sleep)
    ]


def test_a_line_is_canonical_json_that_reads_back_to_the_same_event(tmp_path: Path) -> None:
    event = expense(1, T0)
    line = eventlog.dumps(event)
    document = json.loads(line)
    assert list(document) == sorted(document)
    assert document["data"]["amount"] == {"amount": "1234.50", "currency": "USD"}  # never a float
    assert "causationid" not in document  # None attributes are left out
    assert eventlog.dumps(eventlog.loads(line)) == line

    path = tmp_path / "log.jsonl"
    assert eventlog.write([event, expense(2, T0 + timedelta(seconds=1))], path) == 2
    assert path.read_bytes().count(b"\n") == 2
    assert [e.id for e in eventlog.read(path)] == [event.id, expense(2, T0 + timedelta(seconds=1)).id]
    assert eventlog.count(path) == 2


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "one JSON object"),
        ('{"specversion": "1.0", "type": "no.such.type", "id": "x", "source": "s"}', "unknown-type"),
    ],
)
def test_a_bad_line_names_its_file_line_and_reason(tmp_path: Path, line: str, reason: str) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(eventlog.dumps(expense(1, T0)) + "\n\n" + line + "\n")
    events = eventlog.read(path)
    next(events)
    with pytest.raises(eventlog.LogError) as error:
        next(events)
    assert error.value.line == 3
    assert reason in error.value.reason
    assert str(error.value).startswith(f"{path}:3: ")


def test_a_line_that_breaks_the_schema_says_which_field() -> None:
    document = json.loads(eventlog.dumps(expense(1, T0)))
    document["data"]["amount"]["currency"] = "USX"
    with pytest.raises(eventlog.LogError, match=r"schema-invalid.*amount\.currency"):
        eventlog.loads(json.dumps(document), number=7)


async def test_speed_replays_event_time_gaps_scaled() -> None:
    # events 0 s, 60 s and 120 s apart in event time, played at 60x: one wall second apart
    log = [expense(i, T0 + timedelta(seconds=60 * i)) for i in range(3)]
    clock = FakeClock()
    assert await batches(log, eventlog.Pacing(speed=60), clock) == [["E-0"], ["E-1"], ["E-2"]]
    assert clock.sleeps == [1.0, 1.0]


async def test_rate_caps_events_per_second_in_small_batches() -> None:
    log = [expense(i, T0) for i in range(20)]
    clock = FakeClock()
    got = await batches(log, eventlog.Pacing(rate=10), clock)
    assert got == [[f"E-{i}"] for i in range(20)]  # rate/10 = 1 per batch
    assert sum(clock.sleeps) == pytest.approx(1.9)  # the 20th event is due at 19/10 s


async def test_without_pacing_events_go_in_full_batches_without_waiting() -> None:
    log = [expense(i, T0) for i in range(5)]
    clock = FakeClock()
    assert await batches(log, eventlog.Pacing(batch_size=2), clock) == [
        ["E-0", "E-1"],
        ["E-2", "E-3"],
        ["E-4"],
    ]
    assert clock.sleeps == []


@pytest.mark.parametrize("kwargs", [{"speed": 0}, {"rate": -1}, {"batch_size": 0}])
def test_pacing_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        eventlog.Pacing(**kwargs)  # type: ignore[arg-type]


async def test_publish_keeps_ids_and_reports_progress() -> None:
    bus = InProcessBus()
    log = [expense(i, T0 + timedelta(seconds=i)) for i in range(7)]
    acknowledged: list[int] = []
    producer = bus.producer()
    await producer.start()
    assert (
        await eventlog.publish(log, producer, eventlog.Pacing(batch_size=3), progress=acknowledged.append)
        == 7
    )
    await producer.stop()
    assert acknowledged == [3, 3, 1]
    published = [decode(r.value, r.headers) for r in bus.records("finance.expense.recorded")]
    assert sorted(e.id for e in published) == sorted(e.id for e in log)
    assert {r.key for r in bus.records("finance.expense.recorded")} == {f"E-{i}".encode() for i in range(7)}
