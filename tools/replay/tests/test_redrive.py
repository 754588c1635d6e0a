"""Redrive reaches only the consumer that failed: the runtime side in process, the tool on real Kafka.

Two tiny services, "cpi" and "spo", consume the same type. cpi rejects a client until it is
"fixed"; spo handles everything. After the fix, the redrive must bring the dead letter to cpi
through ``redrive.cpi.<topic>`` while spo, which shares the input topic, sees nothing new.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select
from typer.testing import CliRunner

from msp_events import Envelope, eventlog
from msp_events.runtime.deadletter import truncated
from msp_events.runtime.errors import PermanentError
from msp_events.runtime.inprocess import InProcessBus
from msp_events.runtime.kafka import KafkaTransport
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.service import Service
from msp_events.runtime.settings import KafkaSettings, ServiceSettings
from msp_events.runtime.transport import Outgoing, Record, Transport
from msp_events.runtime.uow import UnitOfWork
from msp_events.testing.kafka import eventually, read_topic
from msp_events.types.psa import ClientUpserted

from msp_replay.cli import app
from msp_replay.redrive import redriven, truncated_letter

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
INPUT = "psa.client.upserted"
runner = CliRunner()

metadata = MetaData()
seen = Table(
    "seen",
    metadata,
    Column("n", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(64), nullable=False),
    Column("event_id", String(64), nullable=False),
)


@dataclass
class Fix:
    deployed: bool = False
    calls: list[str] = field(default_factory=list)


def router_for(fix: Fix | None) -> HandlerRouter:
    router = HandlerRouter()

    @router.handles(ClientUpserted)
    def on_client(uow: UnitOfWork, event: Envelope[ClientUpserted]) -> None:
        if fix is not None:
            fix.calls.append(event.data.client_id)
            if event.data.name.startswith("bad") and not fix.deployed:
                raise PermanentError(f"cannot handle {event.data.client_id} yet")
        uow.session.execute(seen.insert().values(client_id=event.data.client_id, event_id=event.id))

    return router


def client(client_id: str, name: str, minute: int = 0) -> Envelope[ClientUpserted]:
    data = ClientUpserted(client_id=client_id, name=name, status="active", created_on=date(2024, 1, 1))
    return Envelope.build(data, source="psa.connectwise", time=T0 + timedelta(minutes=minute))


def rows(svc: Service) -> list[str]:
    with svc.engine.connect() as c:
        return [r.client_id for r in c.execute(select(seen).order_by(seen.c.n))]


def duplicates(svc: Service) -> float:
    return float(svc.metrics.duplicates.labels(INPUT)._value.get())


async def start(
    name: str, fix: Fix | None, transport: Transport, database_url: str, kafka: KafkaSettings, tmp: Path
) -> Service:
    (tmp / "migrations").mkdir(exist_ok=True)
    svc = Service(
        settings=ServiceSettings(
            service_name=name,
            MSP_TRANSPORT=transport.name,
            DATABASE_URL=database_url,
            HANDLER_RETRY_BACKOFF_S=0.01,
            RELAY_POLL_S=0.1,
            kafka=kafka,
        ),
        router=router_for(fix),
        transport=transport,
        migrations=tmp / "migrations",
        metadata=metadata,
    )
    metadata.create_all(svc.engine)
    await svc.start()
    return svc


# -- the runtime, in process ------------------------------------------------------------------------


def test_a_redrive_message_keeps_the_ids_and_drops_the_dead_letter_headers() -> None:
    event = client("C-1", "bad Co")
    message = eventlog.to_outgoing(event)
    dead = Record(
        topic=f"dlt.cpi.{INPUT}",
        partition=2,
        offset=7,
        key=message.key,
        value=message.value,
        headers=[*message.headers, ("x-dlt-reason", b"handler-rejected"), ("x-redrive-from", b"old")],
    )
    out = redriven("cpi", INPUT, dead)
    assert (out.topic, out.key, out.value) == (f"redrive.cpi.{INPUT}", message.key, message.value)
    assert out.headers == [*message.headers, ("x-redrive-from", f"dlt.cpi.{INPUT}/2/7".encode())]


async def test_the_redrive_topic_reaches_only_its_consumer_in_process(tmp_path: Path) -> None:
    bus = InProcessBus()
    fix = Fix()
    services: list[Service] = []
    try:
        for name, f in (("cpi", fix), ("spo", None)):
            url = f"sqlite:///{tmp_path}/{name}.db"
            services.append(await start(name, f, bus, url, KafkaSettings(), tmp_path))
        cpi, spo = services
        assert f"redrive.cpi.{INPUT}" in cpi.topics and f"redrive.cpi.{INPUT}" not in spo.topics
        bad = client("C-1", "bad Co")
        await bus.append([eventlog.to_outgoing(bad)])
        await eventually(lambda: _true(len(bus.records(f"dlt.cpi.{INPUT}")) == 1), 10, "the dead letter")
        await eventually(lambda: _true(rows(spo) == ["C-1"]), 10, "spo to handle it")
        # on the redrive topic, still failing: dead-lettered to the same DLT as the input topic
        [dead] = bus.records(f"dlt.cpi.{INPUT}")
        await bus.append([redriven("cpi", INPUT, dead)])
        await eventually(lambda: _true(len(bus.records(f"dlt.cpi.{INPUT}")) == 2), 10, "a second dead letter")
        assert not any(t.startswith("dlt.cpi.redrive") for t in bus.topics())
        fix.deployed = True
        await bus.append([redriven("cpi", INPUT, dead)])
        await eventually(lambda: _true(rows(cpi) == ["C-1"]), 10, "cpi to handle the redriven message")
        await bus.append([redriven("cpi", INPUT, dead)])  # twice: the inbox drops it
        await eventually(lambda: _true(duplicates(cpi) == 1), 10, "the duplicate")
        assert rows(cpi) == ["C-1"] and fix.calls == ["C-1", "C-1", "C-1"]
        assert rows(spo) == ["C-1"] and duplicates(spo) == 0
    finally:
        for svc in services:
            await svc.stop()


async def _true(value: bool) -> bool:
    return value


# -- the tool, on real Kafka --------------------------------------------------------------------------


@dataclass
class Cluster:
    bootstrap: str
    prefix: str
    kafka: KafkaSettings
    databases: Callable[[], str]
    tmp: Path
    services: list[Service] = field(default_factory=list)

    async def start(self, name: str, fix: Fix | None) -> Service:
        transport = KafkaTransport(self.kafka, client_id=f"redrive-test-{name}")
        svc = await start(name, fix, transport, self.databases(), self.kafka, self.tmp)
        self.services.append(svc)
        return svc

    async def cli(self, *args: str) -> Any:
        """The CLI in a thread (it runs its own event loop)."""
        argv = [*args, "--kafka", f"kafka://{self.bootstrap}", "--prefix", self.prefix]
        return await asyncio.to_thread(runner.invoke, app, argv)

    async def topic(self, topic: str) -> list[Record]:
        return await read_topic(self.bootstrap, self.prefix + topic)


@pytest.fixture
async def cluster(
    kafka_bootstrap: str, postgres_databases: Callable[[], str], tmp_path: Path
) -> AsyncIterator[Cluster]:
    prefix = f"t{uuid.uuid4().hex[:8]}."
    kafka = KafkaSettings(
        bootstrap_servers=kafka_bootstrap,
        topic_prefix=prefix,
        session_timeout_ms=6000,
        heartbeat_interval_ms=500,
    )
    c = Cluster(kafka_bootstrap, prefix, kafka, postgres_databases, tmp_path)
    try:
        yield c
    finally:
        for svc in c.services:
            await svc.stop()


@pytest.mark.integration
async def test_redrive_reaches_only_the_failing_consumer(cluster: Cluster) -> None:
    fix = Fix()
    cpi = await cluster.start("cpi", fix)
    spo = await cluster.start("spo", None)
    bad, good, bad2 = client("C-1", "bad Co", 0), client("C-2", "Good Co", 1), client("C-3", "bad Ltd", 2)
    producer = KafkaTransport(cluster.kafka).producer()
    await producer.start()
    await producer.send_all([eventlog.to_outgoing(e) for e in (bad, good, bad2)])
    await producer.stop()

    async def settled() -> bool:
        return (
            sorted(rows(spo)) == ["C-1", "C-2", "C-3"]
            and rows(cpi) == ["C-2"]
            and len(await cluster.topic(f"dlt.cpi.{INPUT}")) == 2
        )

    await eventually(settled, 60, "spo to handle all three and cpi to dead-letter two")

    dry = await cluster.cli("redrive", "cpi", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "2 dead letters of cpi would be redriven (dry run)" in dry.output
    assert "handler-rejected" in dry.output
    assert await cluster.topic(f"redrive.cpi.{INPUT}") == []

    fix.deployed = True
    only_one = await cluster.cli("redrive", "cpi", INPUT, "--where", "subject=client/C-1")
    assert only_one.exit_code == 0, only_one.output
    assert "1 dead letters of cpi redriven; 2 read, 1 not matching subject=client/C-1" in only_one.output
    assert "position not committed" in only_one.output
    await eventually(lambda: _true(sorted(rows(cpi)) == ["C-1", "C-2"]), 60, "cpi to handle C-1")

    rest = await cluster.cli("redrive", "cpi")
    assert rest.exit_code == 0, rest.output
    assert "2 dead letters of cpi redriven" in rest.output and "position committed" in rest.output
    await eventually(lambda: _true(sorted(rows(cpi)) == ["C-1", "C-2", "C-3"]), 60, "cpi to handle C-3")
    await eventually(lambda: _true(duplicates(cpi) == 1), 60, "the second copy of C-1 to be dropped")

    again = await cluster.cli("redrive", "cpi")  # nothing new since the committed position
    assert again.exit_code == 0 and "0 dead letters of cpi redriven; 0 read" in again.output
    replayed = await cluster.cli("redrive", "cpi", "--from-beginning")  # twice: the inbox makes it a no-op
    assert replayed.exit_code == 0 and "2 dead letters of cpi redriven" in replayed.output
    await eventually(lambda: _true(duplicates(cpi) == 3), 60, "the inbox to drop both copies")

    assert sorted(rows(cpi)) == ["C-1", "C-2", "C-3"]
    assert sorted(rows(spo)) == ["C-1", "C-2", "C-3"] and duplicates(spo) == 0  # spo saw nothing new
    redrive_topic = await cluster.topic(f"redrive.cpi.{INPUT}")
    assert len(redrive_topic) == 5
    assert all(not k.startswith("x-dlt-") for r in redrive_topic for k, _ in r.headers)
    assert {dict(r.headers)["ce_id"].decode() for r in redrive_topic} == {bad.id, bad2.id}
    assert await cluster.topic(f"redrive.spo.{INPUT}") == []
    assert len(await cluster.topic(f"dlt.cpi.{INPUT}")) == 2  # nothing failed again


# -- truncated dead letters are refused -----------------------------------------------------------------


def dead_letter(event: Envelope[ClientUpserted], offset: int) -> Outgoing:
    """A dead letter as the pump writes it (``x-dlt-*`` headers naming the original)."""
    message = eventlog.to_outgoing(event)
    return Outgoing(
        topic=f"dlt.cpi.{INPUT}",
        key=message.key,
        value=message.value,
        headers=[
            *message.headers,
            ("x-dlt-consumer", b"cpi"),
            ("x-dlt-reason", b"too-large"),
            ("x-dlt-original-topic", INPUT.encode()),
            ("x-dlt-original-partition", b"1"),
            ("x-dlt-original-offset", str(offset).encode()),
        ],
    )


def test_a_truncated_dead_letter_is_recognised_with_where_its_original_is() -> None:
    whole = dead_letter(client("C-9", "big Co " + "x" * 40_000), 4242)
    cut = truncated(whole)
    record = Record(
        topic=f"dlt.cpi.{INPUT}", partition=0, offset=3, key=cut.key, value=cut.value, headers=cut.headers
    )
    letter = truncated_letter(record)
    assert letter is not None
    assert (letter.original_topic, letter.original_partition, letter.original_offset) == (INPUT, "1", "4242")
    assert letter.original_bytes == str(len(whole.value or b""))
    assert letter.original_sha256 == hashlib.sha256(whole.value or b"").hexdigest()
    assert f"{INPUT}[1]@4242" in letter.describe() and f"dlt.cpi.{INPUT}/0/3" in letter.describe()
    plain = Record(f"dlt.cpi.{INPUT}", 0, 4, whole.key, whole.value, whole.headers)
    assert truncated_letter(plain) is None


@pytest.mark.integration
async def test_redrive_refuses_a_truncated_dead_letter_and_names_its_original(kafka_bootstrap: str) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}."
    kafka = KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=prefix)
    small = client("C-1", "bad Co")
    big = client("C-2", "big Co " + "x" * 40_000)
    await KafkaTransport(kafka).ensure_topics({f"dlt.cpi.{INPUT}": 1})
    producer = KafkaTransport(kafka).producer()
    await producer.start()
    await producer.send_all([dead_letter(small, 10), truncated(dead_letter(big, 11))])
    await producer.stop()
    argv = ["--kafka", f"kafka://{kafka_bootstrap}", "--prefix", prefix]

    dry = await asyncio.to_thread(runner.invoke, app, ["redrive", "cpi", "--dry-run", *argv])
    assert dry.exit_code == 1, dry.output
    assert "1 dead letters of cpi would be redriven (dry run); 2 read" in dry.output
    assert "1 truncated refused" in dry.output

    done = await asyncio.to_thread(runner.invoke, app, ["redrive", "cpi", *argv])
    assert done.exit_code == 1, done.output
    assert "1 dead letters of cpi redriven; 2 read" in done.output and "1 truncated refused" in done.output
    assert "position committed" in done.output
    assert f"{INPUT}[1]@11" in done.output  # where the original still is
    assert str(len(eventlog.to_outgoing(big).value or b"")) in done.output
    redriven_records = await read_topic(kafka_bootstrap, f"{prefix}redrive.cpi.{INPUT}")
    assert [dict(r.headers)["ce_id"].decode() for r in redriven_records] == [small.id]

    again = await asyncio.to_thread(runner.invoke, app, ["redrive", "cpi", *argv])
    assert again.exit_code == 0 and "0 dead letters of cpi redriven; 0 read" in again.output
