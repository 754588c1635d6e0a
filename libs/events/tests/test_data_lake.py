"""The data lake exporter: Parquet under raw/, processed/, analytics/ by type and day, to a local
folder and to S3 (moto), read back with pyarrow to the same rows; re-runs after a cut-off write the
same object names and never duplicate a row; once against the real Kafka broker."""

from __future__ import annotations

import io
import json
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from msp_events.aws.lake import (
    InProcessSource,
    LocalStore,
    S3Store,
    Store,
    export,
    read_rows,
)
from msp_events.envelope import Envelope
from msp_events.eventlog import to_outgoing
from msp_events.runtime.inprocess import InProcessBus
from msp_events.types.agents import ResourceUtilizationAlert
from msp_events.types.platform import ClockTicked

DAY1 = datetime(2026, 4, 1, tzinfo=UTC)


def alert(n: int, at: datetime) -> Envelope[ResourceUtilizationAlert]:
    data = ResourceUtilizationAlert(
        technician_id=f"T-{n % 3}",
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
        basis="actual",
        kind="over" if n % 2 else "under",
        utilisation_pct=Decimal("91.5") + n,
        target_pct=Decimal("75"),
        threshold_pct=Decimal("85"),
        billable_hours=Decimal("150.25"),
        available_hours=Decimal("164.5"),
        summary=f"alert {n}",
    )
    return Envelope.build(data, source="msp.agent.ram", time=at)


def tick(at: datetime) -> Envelope[ClockTicked]:
    return Envelope.build(ClockTicked(now=at, granularity="hour"), source="msp.platform.clock", time=at)


def flow() -> list[Envelope[Any]]:
    """Facts (ticks) and an agent's outputs over two days."""
    out: list[Envelope[Any]] = []
    for h in range(0, 48, 4):
        at = DAY1 + timedelta(hours=h)
        out.append(tick(at))
        out.append(alert(h, at + timedelta(minutes=5)))
    return out


def expected_row(e: Envelope[Any]) -> dict[str, Any]:
    return {
        "id": e.id,
        "type": e.type,
        "source": e.source,
        "subject": e.subject,
        "time": e.time,
        "data": json.loads(e.data.model_dump_json()),
    }


def lake_rows(store: Store, zone: str) -> list[dict[str, Any]]:
    rows = []
    for key in store.keys(f"{zone}/"):
        for r in read_rows(store, key):
            rows.append(
                {
                    "id": r["id"],
                    "type": r["type"],
                    "source": r["source"],
                    "subject": r["subject"],
                    "time": r["time"],
                    "data": json.loads(r["data"]),
                }
            )
    return sorted(rows, key=lambda r: r["id"])


async def published(envelopes: list[Envelope[Any]], partitions: int = 2) -> InProcessBus:
    bus = InProcessBus(default_partitions=partitions)
    await bus.append([to_outgoing(e) for e in envelopes])
    return bus


def check_lake(store: Store, envelopes: list[Envelope[Any]]) -> None:
    facts = sorted((expected_row(e) for e in envelopes if e.type == "clock.ticked"), key=lambda r: r["id"])
    outputs = sorted((expected_row(e) for e in envelopes if e.type != "clock.ticked"), key=lambda r: r["id"])
    assert lake_rows(store, "raw") == facts
    assert lake_rows(store, "processed") == outputs
    for key in store.keys(""):
        zone, type_name, day, _name = key.split("/")
        assert day in ("date=2026-04-01", "date=2026-04-02"), key
        if zone != "analytics":
            rows = read_rows(store, key)
            assert {r["type"] for r in rows} == {type_name}
            assert {r["time"].date().isoformat() for r in rows} == {day.removeprefix("date=")}


async def test_export_to_a_local_folder_reads_back_to_the_same_rows(tmp_path: Path) -> None:
    envelopes = flow()
    bus = await published(envelopes)
    store = LocalStore(tmp_path / "lake")
    report = await export(InProcessSource(bus), store, chunk_records=5)
    assert report.rows == len(envelopes) and report.undecodable == 0
    check_lake(store, envelopes)
    assert (tmp_path / "lake" / "processed" / "resource.utilization.alert" / "date=2026-04-01").is_dir()
    # the daily summary per agent: ram published 6 alerts on each day, about 3 technicians
    for day in ("2026-04-01", "2026-04-02"):
        [summary] = read_rows(store, f"analytics/agent.daily_summary/date={day}/ram.parquet")
        assert summary["agent"] == "ram" and summary["type"] == "resource.utilization.alert"
        assert (summary["events"], summary["subjects"]) == (6, 3)
        day_alerts = [
            e.time for e in envelopes if e.type != "clock.ticked" and e.time.date().isoformat() == day
        ]
        assert (summary["first_time"], summary["last_time"]) == (min(day_alerts), max(day_alerts))
    # nothing new: a second run exports nothing and changes nothing
    before = {k: store.get(k) for k in store.keys("")}
    again = await export(InProcessSource(bus), store, chunk_records=5)
    assert again.rows == 0 and {k: store.get(k) for k in store.keys("")} == before


class CutOff(Exception):
    pass


class CutAfterWrite(InProcessSource):
    """Dies at the n-th commit: that chunk's files are written, its offsets are not."""

    def __init__(self, bus: InProcessBus, at: int) -> None:
        super().__init__(bus)
        self.commits = 0
        self.at = at

    async def commit(self, tp: tuple[str, int], offset: int) -> None:
        self.commits += 1
        if self.commits == self.at:
            raise CutOff
        await super().commit(tp, offset)


@pytest.mark.parametrize("cut_at", [1, 2, 3, 5])
async def test_a_rerun_after_a_cut_off_overwrites_the_same_objects(tmp_path: Path, cut_at: int) -> None:
    envelopes = flow()
    bus = await published(envelopes)
    clean = LocalStore(tmp_path / "clean")
    await export(InProcessSource(await published(envelopes)), clean, chunk_records=4)

    store = LocalStore(tmp_path / "cut")
    with pytest.raises(CutOff):
        await export(CutAfterWrite(bus, cut_at), store, chunk_records=4)
    more = [alert(100 + n, DAY1 + timedelta(hours=30, minutes=n)) for n in range(3)]
    await bus.append([to_outgoing(e) for e in more])  # the log grew meanwhile
    await export(InProcessSource(bus), store, chunk_records=4)
    check_lake(store, envelopes + more)
    ids = Counter(r["id"] for zone in ("raw", "processed") for r in lake_rows(store, zone))
    assert set(ids.values()) == {1}  # no row twice
    assert clean.keys("raw/") == store.keys("raw/")  # the same names as a run without a cut-off


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-1")
        client.create_bucket(Bucket="msp-lake", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        yield client


async def test_export_to_s3_reads_back_with_pyarrow_to_the_same_rows(s3: Any, tmp_path: Path) -> None:
    envelopes = flow()
    store = S3Store(s3, "msp-lake", prefix="prod/")
    await export(InProcessSource(await published(envelopes)), store, chunk_records=5)
    check_lake(store, envelopes)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="msp-lake")["Contents"]]
    assert all(k.startswith(("prod/raw/", "prod/processed/", "prod/analytics/")) for k in keys)
    # the same names and rows as the local folder, byte for byte the same Parquet
    local = LocalStore(tmp_path / "lake")
    await export(InProcessSource(await published(envelopes)), local, chunk_records=5)
    assert store.keys("") == local.keys("")
    for key in local.keys(""):
        assert pq.read_table(io.BytesIO(store.get(key))).equals(pq.read_table(io.BytesIO(local.get(key))))


@pytest.mark.integration
async def test_export_from_kafka_commits_and_a_rerun_adds_nothing(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    from msp_events.aws.lake import KafkaSource
    from msp_events.runtime.kafka import KafkaTransport
    from msp_events.runtime.settings import KafkaSettings

    settings = KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=f"t{uuid.uuid4().hex[:8]}.")
    transport = KafkaTransport(settings)
    topics = {"clock.ticked": 1, "resource.utilization.alert": 3}
    await transport.ensure_topics(topics)
    envelopes = flow()
    producer = transport.producer()
    await producer.start()
    try:
        await producer.send_all([to_outgoing(e) for e in envelopes])
    finally:
        await producer.stop()
    store = LocalStore(tmp_path / "lake")
    async with KafkaSource(settings) as source:
        report = await export(source, store, chunk_records=5, topics=list(topics))
    assert report.rows == len(envelopes) and report.summaries == 2
    check_lake(store, envelopes)
    files = {k: store.get(k) for k in store.keys("")}
    async with KafkaSource(settings) as source:
        again = await export(source, store, chunk_records=5, topics=list(topics))
        assert again.rows == 0
        assert await source.committed(("resource.utilization.alert", 0)) == await source.end(
            ("resource.utilization.alert", 0)
        )
    assert {k: store.get(k) for k in store.keys("")} == files
