"""The data lake: every event as Parquet, for Athena, Glue, QuickSight or a notebook.

Layout (Hive-style, so Athena and Glue see ``date`` as a partition column)::

    raw/<type>/date=YYYY-MM-DD/<topic>+<partition>+<first offset>.parquet        facts (source, platform)
    processed/<type>/date=YYYY-MM-DD/<topic>+<partition>+<first offset>.parquet  the agents' outputs
    analytics/agent.daily_summary/date=YYYY-MM-DD/<agent>.parquet                per agent and day

``date`` is the event's own time (UTC), not when it was exported. A row is the envelope's attributes,
the payload as canonical JSON (``data``; Athena reads it with ``json_extract``) and where it was on
Kafka. The store is a local folder by default (``LAKE_DIR``) and S3 when ``LAKE_S3_BUCKET`` is set.

**Idempotent per batch.** ``msp-events lake export`` is a job (a CronJob, hourly or daily): for each
partition it reads from the committed offset of the ``lake`` group up to the end offset it saw at
the start, in chunks of ``LAKE_CHUNK_RECORDS`` records, writes the chunk's files and then commits.
A file is named by its topic, partition and the chunk's first offset, so a run cut off between the
write and the commit writes the same names again on the next run, over the old ones, and never adds
a second copy: the next run's chunk starts at the same offset and holds at least the same records
(the end offset only grows), so every file of the cut-off chunk is overwritten. The daily summary is
recomputed from the ``processed/`` files of the days a run touched, so it is idempotent too.
"""

from __future__ import annotations

import io
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from msp_events.codec.errors import DecodeError
from msp_events.codec.kafka import decode
from msp_events.envelope import Envelope
from msp_events.registry import REGISTRY, SERVICES, Registry
from msp_events.runtime.transport import Record, TopicPartition

log = logging.getLogger(__name__)

GROUP = "lake"
READ_TIMEOUT_S = 60.0
SUMMARY_TYPE = "agent.daily_summary"

ROW_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("type", pa.string(), nullable=False),
        pa.field("subject", pa.string()),
        pa.field("time", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("dataschema", pa.string()),
        pa.field("partitionkey", pa.string()),
        pa.field("correlationid", pa.string()),
        pa.field("causationid", pa.string()),
        pa.field("data", pa.string(), nullable=False),
        pa.field("kafka_topic", pa.string(), nullable=False),
        pa.field("kafka_partition", pa.int32(), nullable=False),
        pa.field("kafka_offset", pa.int64(), nullable=False),
    ]
)
SUMMARY_SCHEMA = pa.schema(
    [
        pa.field("agent", pa.string(), nullable=False),
        pa.field("date", pa.date32(), nullable=False),
        pa.field("type", pa.string(), nullable=False),
        pa.field("events", pa.int64(), nullable=False),
        pa.field("subjects", pa.int64(), nullable=False),
        pa.field("first_time", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("last_time", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)


class LakeSettings(BaseSettings):
    """``LAKE_*``: a local folder unless ``LAKE_S3_BUCKET`` names a bucket."""

    model_config = SettingsConfigDict(env_prefix="LAKE_", extra="ignore")

    dir: Path = Field(default=Path(".data/lake"), description="local folder (when no bucket is set)")
    s3_bucket: str | None = Field(default=None, description="write to this S3 bucket instead")
    s3_prefix: str = Field(default="", description="key prefix in the bucket, e.g. 'prod/'")
    region: str | None = None
    endpoint_url: str | None = None
    chunk_records: int = Field(default=10_000, ge=1, description="records per partition per file")


# -- stores --------------------------------------------------------------------------------------------


class Store(Protocol):
    def put(self, key: str, body: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def keys(self, prefix: str) -> list[str]: ...


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, key: str, body: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(body)
        tmp.replace(path)  # a reader never sees half a file

    def get(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def keys(self, prefix: str) -> list[str]:
        base = self.root / prefix
        if not base.exists():
            return []
        return sorted(
            str(p.relative_to(self.root)) for p in base.rglob("*") if p.is_file() and p.suffix == ".parquet"
        )


class S3Store:
    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def put(self, key: str, body: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=body)

    def get(self, key: str) -> bytes:
        body: bytes = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)["Body"].read()
        return body

    def keys(self, prefix: str) -> list[str]:
        out: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        ):
            out.extend(o["Key"].removeprefix(self.prefix) for o in page.get("Contents", []))
        return sorted(out)


def store_from(settings: LakeSettings) -> Store:
    if settings.s3_bucket:
        import boto3

        client = boto3.client("s3", region_name=settings.region, endpoint_url=settings.endpoint_url)
        return S3Store(client, settings.s3_bucket, settings.s3_prefix)
    return LocalStore(settings.dir)


# -- rows and files ------------------------------------------------------------------------------------


def zone(type_name: str, registry: Registry = REGISTRY) -> str:
    """``processed`` for what the agents publish, ``raw`` for the facts (and the clock)."""
    owner = registry.get(type_name).owner
    return "processed" if owner in (*SERVICES, "agents") else "raw"


def row(envelope: Envelope[Any], record: Record) -> dict[str, Any]:
    attributes = envelope.attributes()
    return {
        "id": envelope.id,
        "source": envelope.source,
        "type": envelope.type,
        "subject": envelope.subject,
        "time": envelope.time.astimezone(UTC),
        "dataschema": attributes.get("dataschema"),
        "partitionkey": envelope.partitionkey,
        "correlationid": envelope.correlationid,
        "causationid": envelope.causationid,
        "data": json.dumps(envelope.data.model_dump(mode="json"), sort_keys=True, separators=(",", ":")),
        "kafka_topic": record.topic,
        "kafka_partition": record.partition,
        "kafka_offset": record.offset,
    }


def to_parquet(rows: list[dict[str, Any]], schema: pa.Schema) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), sink, compression="zstd")
    return sink.getvalue()


def read_rows(store: Store, key: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = pq.read_table(io.BytesIO(store.get(key))).to_pylist()
    return rows


@dataclass
class ChunkResult:
    files: list[str]
    rows: int
    undecodable: int
    days: set[tuple[str, date]]
    """(type, date) written in ``processed/``: the summaries to recompute."""


def write_chunk(store: Store, records: list[Record], registry: Registry = REGISTRY) -> ChunkResult:
    """Write one chunk (records of one partition, in offset order) as one file per type and day."""
    if not records:
        return ChunkResult([], 0, 0, set())
    first = records[0]
    groups: dict[tuple[str, date], list[dict[str, Any]]] = defaultdict(list)
    undecodable = 0
    for record in records:
        try:
            envelope = decode(record.value, record.headers)
        except DecodeError as exc:
            undecodable += 1  # the consuming services dead-letter it; the lake keeps events only
            log.warning("lake: %s[%d]@%d skipped: %s", record.topic, record.partition, record.offset, exc)
            continue
        groups[(envelope.type, envelope.time.astimezone(UTC).date())].append(row(envelope, record))
    files = []
    for (type_name, day), rows in sorted(groups.items()):
        key = (
            f"{zone(type_name, registry)}/{type_name}/date={day.isoformat()}/"
            f"{first.topic}+{first.partition}+{first.offset:020d}.parquet"
        )
        store.put(key, to_parquet(rows, ROW_SCHEMA))
        files.append(key)
    days = {(t, d) for t, d in groups if zone(t, registry) == "processed"}
    return ChunkResult(files, sum(len(r) for r in groups.values()), undecodable, days)


def summarise(store: Store, agent: str, day: date, registry: Registry = REGISTRY) -> str | None:
    """Recompute ``analytics/agent.daily_summary/date=D/<agent>.parquet`` from ``processed/``: per
    type the events, distinct subjects and first/last event time. Duplicates (the same event id in
    two files, should anyone copy files by hand) count once."""
    out = []
    for spec in registry:
        if spec.owner != agent:
            continue
        seen: dict[str, dict[str, Any]] = {}
        for key in store.keys(f"processed/{spec.type}/date={day.isoformat()}/"):
            for r in read_rows(store, key):
                seen[r["id"]] = r
        if not seen:
            continue
        times = [r["time"] for r in seen.values()]
        out.append(
            {
                "agent": agent,
                "date": day,
                "type": spec.type,
                "events": len(seen),
                "subjects": len({r["subject"] for r in seen.values()}),
                "first_time": min(times),
                "last_time": max(times),
            }
        )
    if not out:
        return None
    key = f"analytics/{SUMMARY_TYPE}/date={day.isoformat()}/{agent}.parquet"
    store.put(key, to_parquet(out, SUMMARY_SCHEMA))
    return key


# -- the export job ------------------------------------------------------------------------------------


class PartitionSource(Protocol):
    """Partitions read by offset range with a committed position (Kafka, or the in-process log)."""

    async def partitions(self, topics: list[str]) -> list[TopicPartition]: ...
    async def committed(self, tp: TopicPartition) -> int: ...
    async def end(self, tp: TopicPartition) -> int: ...
    async def read(self, tp: TopicPartition, start: int, stop: int) -> list[Record]: ...
    async def commit(self, tp: TopicPartition, offset: int) -> None: ...


@dataclass
class ExportReport:
    files: int = 0
    rows: int = 0
    undecodable: int = 0
    chunks: int = 0
    summaries: int = 0


async def export(
    source: PartitionSource,
    store: Store,
    *,
    chunk_records: int,
    topics: Iterable[str] | None = None,
    registry: Registry = REGISTRY,
) -> ExportReport:
    """Export every partition from its committed offset to the end seen now, chunk by chunk,
    committing after each chunk's files are written; then the daily summaries of the days touched."""
    wanted = sorted(set(topics) if topics is not None else {spec.topic for spec in registry})
    report = ExportReport()
    days: set[tuple[str, date]] = set()
    for tp in await source.partitions(wanted):
        start, end = await source.committed(tp), await source.end(tp)
        while start < end:
            stop = min(start + chunk_records, end)
            records = await source.read(tp, start, stop)
            result = write_chunk(store, records, registry)
            await source.commit(tp, stop)
            report.files += len(result.files)
            report.rows += result.rows
            report.undecodable += result.undecodable
            report.chunks += 1
            days |= result.days
            start = stop
    for agent, day in sorted({(registry.get(t).owner, d) for t, d in days}):
        if agent in SERVICES and summarise(store, agent, day, registry):
            report.summaries += 1
    return report


class InProcessSource:
    """The in-process log as a partition source (tests, the embedded default)."""

    def __init__(self, bus: Any, group: str = GROUP) -> None:
        self.bus = bus
        self.group = group

    async def partitions(self, topics: list[str]) -> list[TopicPartition]:
        return [(t, p) for t in topics if t in self.bus.topics() for p in range(len(self.bus._log(t)))]

    async def committed(self, tp: TopicPartition) -> int:
        return int(self.bus.committed(self.group, tp))

    async def end(self, tp: TopicPartition) -> int:
        return len(self.bus._log(tp[0])[tp[1]])

    async def read(self, tp: TopicPartition, start: int, stop: int) -> list[Record]:
        return list(self.bus._log(tp[0])[tp[1]][start:stop])

    async def commit(self, tp: TopicPartition, offset: int) -> None:
        committed = self.bus._committed[self.group]
        committed[tp] = max(committed.get(tp, 0), offset)


class KafkaSource:
    """Kafka partitions by offset range: a manually assigned consumer that commits to the ``lake``
    group (one export job at a time, as a CronJob with ``concurrencyPolicy: Forbid`` runs it)."""

    def __init__(self, settings: Any, group: str = GROUP) -> None:
        from aiokafka import AIOKafkaConsumer

        from msp_events.runtime.kafka import MAX_REQUEST_BYTES, connection_options

        self.prefix: str = settings.topic_prefix
        self._consumer = AIOKafkaConsumer(
            group_id=self.prefix + group,
            client_id="msp-lake",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=MAX_REQUEST_BYTES,
            **connection_options(settings),
        )

    async def __aenter__(self) -> KafkaSource:
        await self._consumer.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._consumer.stop()

    def _tp(self, tp: TopicPartition) -> Any:
        from aiokafka import TopicPartition as KafkaTP

        return KafkaTP(self.prefix + tp[0], tp[1])

    async def partitions(self, topics: list[str]) -> list[TopicPartition]:
        out: list[TopicPartition] = []
        metadata = await self._consumer._client.fetch_all_metadata()  # not only subscribed topics
        for topic in topics:
            found = metadata.partitions_for_topic(self.prefix + topic) or set()
            out.extend((topic, p) for p in sorted(found))
        self._consumer.assign([self._tp(tp) for tp in out])
        return out

    async def committed(self, tp: TopicPartition) -> int:
        committed = await self._consumer.committed(self._tp(tp))
        if committed is not None:
            return int(committed)
        return int((await self._consumer.beginning_offsets([self._tp(tp)]))[self._tp(tp)])

    async def end(self, tp: TopicPartition) -> int:
        return int((await self._consumer.end_offsets([self._tp(tp)]))[self._tp(tp)])

    async def read(self, tp: TopicPartition, start: int, stop: int) -> list[Record]:
        import asyncio

        ktp = self._tp(tp)
        self._consumer.seek(ktp, start)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READ_TIMEOUT_S
        out: list[Record] = []
        while await self._consumer.position(ktp) < stop:
            batches = await self._consumer.getmany(ktp, timeout_ms=1000, max_records=stop - start)
            got = [r for r in batches.get(ktp, []) if start <= r.offset < stop]
            out.extend(
                Record(tp[0], r.partition, r.offset, r.key, r.value, list(r.headers or ()), r.timestamp)
                for r in got
            )
            if got:
                deadline = loop.time() + READ_TIMEOUT_S
            elif loop.time() > deadline:
                raise TimeoutError(f"{tp}: no records between {start} and {stop} for {READ_TIMEOUT_S}s")
        return out

    async def commit(self, tp: TopicPartition, offset: int) -> None:
        await self._consumer.commit({self._tp(tp): offset})
