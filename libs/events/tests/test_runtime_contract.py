"""The runtime's contract, run on both transports.

Every test here runs twice: on the in-process transport with SQLite (the embedded default) and on
real Apache Kafka with real PostgreSQL (marked ``integration``). The services under test are tiny
routers written here; what is tested is the runtime: inbox, outbox, relay, retries, dead letters,
ordering and offsets.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select

from msp_events import Envelope, Money
from msp_events.codec.kafka import encode_binary
from msp_events.runtime.errors import PermanentError
from msp_events.runtime.inprocess import InProcessBus
from msp_events.runtime.kafka import KafkaTransport
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.service import Service
from msp_events.runtime.settings import KafkaSettings, ServiceSettings
from msp_events.runtime.store import outbox
from msp_events.runtime.transport import Outgoing, Record, Transport
from msp_events.runtime.uow import UnitOfWork
from msp_events.testing.kafka import eventually, produce, read_topic
from msp_events.types.agents import ClientProfitabilityChanged
from msp_events.types.psa import ClientUpserted

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
INPUT = "psa.client.upserted"
OUTPUT = "client.profitability.changed"

# -- the services under test ----------------------------------------------------------------------

seen_metadata = MetaData()
seen = Table(
    "seen",
    seen_metadata,
    Column("n", Integer, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False),
    Column("label", String(255), nullable=False),
    Column("event_id", String(64), nullable=False),
)


@dataclass
class Faults:
    """Scripted failures, keyed by the client name in the event."""

    attempts: Counter[str] = field(default_factory=Counter)


def profitability_router(faults: Faults) -> HandlerRouter:
    router = HandlerRouter()

    @router.handles(ClientUpserted)
    def on_client(uow: UnitOfWork, event: Envelope[ClientUpserted]) -> None:
        name = event.data.name
        faults.attempts[name] += 1
        uow.session.execute(seen.insert().values(key=event.data.client_id, label=name, event_id=event.id))
        uow.emit(
            ClientProfitabilityChanged(
                client_id=event.data.client_id,
                period="2026-05",
                gross_margin_pct=Decimal("18.5"),
                band="critical",
                direction="down",
                revenue=Money(amount=Decimal("1000"), currency="USD"),
                cost=Money(amount=Decimal("815"), currency="USD"),
                labour_hours=Decimal("9.5"),
                summary=f"margin of {name} fell",
            )
        )
        if name.startswith("flaky") and faults.attempts[name] < 3:
            raise ConnectionResetError("PSA lookup timed out")  # after writing: proves the rollback
        if name.startswith("reject"):
            raise PermanentError(f"client {event.data.client_id} is archived in the PSA")
        if name.startswith("broken"):
            raise ValueError("handler bug")

    return router


def downstream_router() -> HandlerRouter:
    router = HandlerRouter()

    @router.handles(ClientProfitabilityChanged)
    def on_margin(uow: UnitOfWork, event: Envelope[ClientProfitabilityChanged]) -> None:
        uow.session.execute(
            seen.insert().values(key=event.data.client_id, label=event.data.summary, event_id=event.id)
        )

    return router


def client(client_id: str, name: str, minute: int = 0) -> Envelope[ClientUpserted]:
    data = ClientUpserted(client_id=client_id, name=name, status="active", created_on=date(2024, 1, 1))
    return Envelope.build(data, source="psa.connectwise", time=T0 + timedelta(minutes=minute))


def as_message(envelope: Envelope[Any]) -> Outgoing:
    m = encode_binary(envelope)
    return Outgoing(m.topic, m.key, m.value, m.headers)


# -- the two harnesses ----------------------------------------------------------------------------


class Harness:
    kind: str

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.services: list[Service] = []

    def transport(self) -> Transport:
        raise NotImplementedError

    def database(self, service: str) -> str:
        raise NotImplementedError

    async def publish(self, messages: list[Outgoing]) -> None:
        raise NotImplementedError

    async def topic(self, topic: str) -> list[Record]:
        raise NotImplementedError

    def settings(self, service: str, database_url: str | None = None, **overrides: Any) -> ServiceSettings:
        return ServiceSettings(
            service_name=service,
            MSP_TRANSPORT=self.kind,
            DATABASE_URL=database_url or self.database(service),
            HANDLER_RETRY_BACKOFF_S=0.01,
            MAX_MESSAGE_BYTES=4096,
            RELAY_POLL_S=0.1,
            kafka=self.kafka_settings(),
            **overrides,
        )

    def kafka_settings(self) -> KafkaSettings:
        return KafkaSettings()

    async def start(
        self, service: str, router: HandlerRouter, database_url: str | None = None, **overrides: Any
    ) -> Service:
        svc = Service(
            settings=self.settings(service, database_url, **overrides),
            router=router,
            transport=self.transport(),
            migrations=self.tmp_path,
            metadata=seen_metadata,
        )
        seen_metadata.create_all(svc.engine)
        await svc.start()
        self.services.append(svc)
        return svc

    async def stop(self, svc: Service) -> None:
        await svc.stop()
        self.services.remove(svc)


class InProcessHarness(Harness):
    kind = "inprocess"

    def __init__(self, tmp_path: Path) -> None:
        super().__init__(tmp_path)
        self.bus = InProcessBus()

    def transport(self) -> Transport:
        return self.bus

    def database(self, service: str) -> str:
        return f"sqlite:///{self.tmp_path}/{service}-{uuid.uuid4().hex[:6]}.db"

    async def publish(self, messages: list[Outgoing]) -> None:
        await self.bus.append(messages)

    async def topic(self, topic: str) -> list[Record]:
        return self.bus.records(topic)


class KafkaHarness(Harness):
    kind = "kafka"

    def __init__(self, tmp_path: Path, bootstrap: str, databases: Callable[[], str]) -> None:
        super().__init__(tmp_path)
        self.bootstrap = bootstrap
        self.databases = databases
        self.prefix = f"t{uuid.uuid4().hex[:8]}."

    def kafka_settings(self) -> KafkaSettings:
        return KafkaSettings(
            bootstrap_servers=self.bootstrap,
            topic_prefix=self.prefix,
            session_timeout_ms=6000,
            heartbeat_interval_ms=500,
        )

    def transport(self) -> Transport:
        return KafkaTransport(self.kafka_settings(), client_id="contract-test")

    def database(self, service: str) -> str:
        return self.databases()

    async def publish(self, messages: list[Outgoing]) -> None:
        await produce(
            self.bootstrap, [Outgoing(self.prefix + m.topic, m.key, m.value, m.headers) for m in messages]
        )

    async def topic(self, topic: str) -> list[Record]:
        return await read_topic(self.bootstrap, self.prefix + topic)


@pytest.fixture(params=["inprocess", pytest.param("kafka", marks=pytest.mark.integration)])
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    if request.param == "inprocess":
        h: Harness = InProcessHarness(tmp_path)
    else:
        h = KafkaHarness(
            tmp_path,
            request.getfixturevalue("kafka_bootstrap"),
            request.getfixturevalue("postgres_databases"),
        )
    try:
        yield h
    finally:
        for svc in list(h.services):
            await h.stop(svc)


def rows(svc: Service) -> list[tuple[str, str, str]]:
    with svc.engine.connect() as c:
        return [(r.key, r.label, r.event_id) for r in c.execute(select(seen).order_by(seen.c.n))]


def outbox_counts(svc: Service) -> tuple[int, int]:
    with svc.engine.connect() as c:
        total = c.execute(select(func.count()).select_from(outbox)).scalar_one()
        pending = c.execute(select(func.count()).where(outbox.c.published_at.is_(None))).scalar_one()
    return total, pending


def headers_of(record: Record) -> dict[str, str]:
    return {k: v.decode(errors="replace") for k, v in record.headers}


# -- the contract ---------------------------------------------------------------------------------


async def test_event_is_handled_relayed_and_consumed_downstream(harness: Harness) -> None:
    cpi = await harness.start("cpi", profitability_router(Faults()))
    ram = await harness.start("ram", downstream_router())
    cause = client("C-1", "Harbor Dental")
    await harness.publish([as_message(cause)])

    async def downstream_has_it() -> bool:
        return len(rows(ram)) == 1

    await eventually(downstream_has_it, what="ram to receive cpi's event")
    assert rows(cpi) == [("C-1", "Harbor Dental", cause.id)]
    assert outbox_counts(cpi) == (1, 0)
    [published] = await harness.topic(OUTPUT)
    h = headers_of(published)
    assert h["ce_causationid"] == cause.id and h["ce_source"] == "msp.cpi"
    assert published.key == b"C-1"
    assert rows(ram) == [("C-1", "margin of Harbor Dental fell", h["ce_id"])]


async def test_duplicate_delivery_changes_state_once_and_publishes_once(harness: Harness) -> None:
    cpi = await harness.start("cpi", profitability_router(Faults()))
    event = client("C-2", "Blue Fern Law")
    await harness.publish([as_message(event), as_message(event)])

    async def both_seen() -> bool:
        return cpi.metrics.duplicates.labels(INPUT)._value.get() == 1

    await eventually(both_seen, what="the duplicate to be recognised")
    await harness.publish([as_message(event)])  # a later redelivery, e.g. a replay

    async def three_seen() -> bool:
        return cpi.metrics.duplicates.labels(INPUT)._value.get() == 2

    await eventually(three_seen, what="the replayed copy to be recognised")
    await eventually(lambda: _async(outbox_counts(cpi) == (1, 0)), what="relay")
    assert len(rows(cpi)) == 1
    assert len(await harness.topic(OUTPUT)) == 1


async def test_transient_failure_is_retried_and_its_partial_writes_rolled_back(harness: Harness) -> None:
    faults = Faults()
    cpi = await harness.start("cpi", profitability_router(faults))
    await harness.publish([as_message(client("C-3", "flaky Clinic"))])
    await eventually(lambda: _async(outbox_counts(cpi) == (1, 0)), what="the third attempt to succeed")
    assert faults.attempts["flaky Clinic"] == 3
    assert len(rows(cpi)) == 1  # two failed attempts left nothing behind
    assert cpi.metrics.failed.labels(INPUT, "handler-failed")._value.get() == 2
    assert await harness.topic(f"dlt.cpi.{INPUT}") == []


async def test_permanent_failure_is_dead_lettered_and_the_partition_moves_on(harness: Harness) -> None:
    faults = Faults()
    cpi = await harness.start("cpi", profitability_router(faults))
    rejected, broken = client("C-4", "reject Co", 0), client("C-4", "broken Co", 1)
    later = client("C-4", "Acme after fix", 2)  # same key, so the same partition, behind the poison
    await harness.publish([as_message(rejected), as_message(broken), as_message(later)])

    async def later_handled() -> bool:
        return [r[1] for r in rows(cpi)] == ["Acme after fix"]

    await eventually(later_handled, what="the message behind the poison ones to be handled")
    dead = await harness.topic(f"dlt.cpi.{INPUT}")
    assert [headers_of(d)["ce_id"] for d in dead] == [rejected.id, broken.id]
    first, second = (headers_of(d) for d in dead)
    assert first["x-dlt-reason"] == "handler-rejected"
    assert first["x-dlt-detail"] == "client C-4 is archived in the PSA"
    assert first["x-dlt-attempts"] == "1" and faults.attempts["reject Co"] == 1
    assert second["x-dlt-reason"] == "handler-failed"
    assert second["x-dlt-detail"] == "failed 3 times; last error ValueError: handler bug"
    assert second["x-dlt-original-topic"] == INPUT
    assert int(second["x-dlt-original-offset"]) == int(first["x-dlt-original-offset"]) + 1
    assert dead[0].value == as_message(rejected).value  # the original bytes, for a redrive
    assert outbox_counts(cpi)[0] == 1  # only the good message produced output


async def test_bad_input_is_dead_lettered_with_a_reason_and_nothing_is_lost(harness: Harness) -> None:
    cpi = await harness.start("cpi", profitability_router(Faults()))
    good = as_message(client("C-5", "Good Co"))
    ce = [
        ("ce_specversion", b"1.0"),
        ("ce_id", b"bad-1"),
        ("ce_source", b"psa.test"),
        ("ce_time", b"2026-05-01T08:00:00Z"),
    ]
    bad = [
        Outgoing(INPUT, b"C-5", b"\x00\xfe\xff not json", [*ce, ("ce_type", b"psa.client.upserted")]),
        Outgoing(
            INPUT,
            b"C-5",
            json.dumps({"ticket_id": "T-9"}).encode(),
            [*ce, ("ce_type", b"psa.client.upserted")],
        ),
        Outgoing(INPUT, b"C-5", b"{}", [*ce, ("ce_type", b"psa.client.renamed")]),
        Outgoing(INPUT, b"C-5", good.value, []),
        Outgoing(INPUT, b"C-5", b"{" + b" " * 8000 + b"}", [*ce, ("ce_type", b"psa.client.upserted")]),
    ]
    await harness.publish([*bad, good])

    async def good_handled() -> bool:
        return [r[1] for r in rows(cpi)] == ["Good Co"]

    await eventually(good_handled, what="the valid message after five bad ones")
    dead = await harness.topic(f"dlt.cpi.{INPUT}")
    reasons = [headers_of(d)["x-dlt-reason"] for d in dead]
    assert reasons == ["not-json", "schema-invalid", "unknown-type", "missing-ce-headers", "too-large"]
    details = [headers_of(d)["x-dlt-detail"] for d in dead]
    assert "data.client_id: Field required" in details[1]
    assert "unknown event type 'psa.client.renamed'" in details[2]
    assert "8002 bytes; the limit is 4096" in details[4]
    assert cpi.metrics.dead_lettered.labels("psa.client.upserted", "not-json")._value.get() == 1


async def test_order_is_kept_per_key(harness: Harness) -> None:
    cpi = await harness.start("cpi", profitability_router(Faults()), CONSUMER_BATCH_SIZE=7)
    events = [client(f"C-{k}", f"v{i} of {k}", i) for i in range(15) for k in (6, 7, 8)]
    await harness.publish([as_message(e) for e in events])
    await eventually(lambda: _async(outbox_counts(cpi) == (45, 0)), what="45 outputs relayed")
    for k in (6, 7, 8):
        assert [r[1] for r in rows(cpi) if r[0] == f"C-{k}"] == [f"v{i} of {k}" for i in range(15)]
        out = [r for r in await harness.topic(OUTPUT) if r.key == f"C-{k}".encode()]
        assert [json.loads(r.value or b"")["summary"] for r in out] == [
            f"margin of v{i} of {k} fell" for i in range(15)
        ]


async def test_a_restarted_consumer_resumes_after_its_committed_offsets(harness: Harness) -> None:
    database = harness.database("cpi")
    first = await harness.start("cpi", profitability_router(Faults()), database)
    await harness.publish([as_message(client("C-9", f"before {i}", i)) for i in range(3)])
    await eventually(lambda: _async(len(rows(first)) == 3), what="the first three")
    await harness.stop(first)
    await harness.publish([as_message(client("C-9", f"after {i}", 10 + i)) for i in range(2)])
    second = await harness.start("cpi", profitability_router(Faults()), database)
    await eventually(lambda: _async(len(rows(second)) == 5), what="the two new ones")
    await eventually(lambda: _async(outbox_counts(second) == (5, 0)), what="relay")
    assert second.metrics.duplicates.labels(INPUT)._value.get() == 0  # nothing was redelivered
    assert len(await harness.topic(OUTPUT)) == 5


async def _async(value: bool) -> bool:
    return value


class FlakyDeadLetterBus(InProcessBus):
    """An in-process broker whose dead-letter topics refuse the first publish (broker outage)."""

    def __init__(self) -> None:
        super().__init__()
        self.refusals = 1

    async def append(self, messages: list[Outgoing]) -> None:
        if self.refusals and any(m.topic.startswith("dlt.") for m in messages):
            self.refusals -= 1
            raise ConnectionError("dead-letter topic unavailable")
        await super().append(messages)


async def test_offsets_are_not_committed_while_the_dead_letter_publish_fails(tmp_path: Path) -> None:
    harness = InProcessHarness(tmp_path)
    harness.bus = FlakyDeadLetterBus()
    cpi = await harness.start("cpi", profitability_router(Faults()), INFRASTRUCTURE_BACKOFF_S=0.05)
    try:
        poison = Outgoing(INPUT, b"C-11", b"not json", [("ce_specversion", b"1.0")])
        await harness.publish([poison, as_message(client("C-11", "After poison", 1))])
        partition = harness.bus.partition_for(INPUT, b"C-11")

        async def dead_lettered() -> bool:
            return len(harness.bus.records(f"dlt.cpi.{INPUT}")) == 1

        await eventually(dead_lettered, what="the dead letter after the outage")
        assert harness.bus.refusals == 0  # the first attempt really failed
        await eventually(lambda: _async(harness.bus.committed("cpi", (INPUT, partition)) == 2), what="commit")
        assert [r[1] for r in rows(cpi)] == ["After poison"]  # handled once despite the rewind
        assert cpi.metrics.duplicates.labels(INPUT)._value.get() == 1
    finally:
        await harness.stop(cpi)


async def test_replaying_the_same_log_yields_byte_identical_outputs(tmp_path: Path) -> None:
    log = [as_message(client(f"C-{i % 4}", f"version {i}", i)) for i in range(12)]
    outputs = []
    for run in ("first", "second"):
        harness = InProcessHarness(tmp_path / run)
        (tmp_path / run).mkdir()
        cpi = await harness.start("cpi", profitability_router(Faults()))
        try:
            await harness.publish(log)
            await eventually(lambda: _async(outbox_counts(cpi) == (12, 0)), what="12 outputs")  # noqa: B023
            outputs.append([(r.key, r.value, r.headers) for r in await harness.topic(OUTPUT)])
        finally:
            await harness.stop(cpi)
    assert len(outputs[0]) == 12
    assert outputs[0] == outputs[1]


async def test_a_failure_mid_batch_keeps_the_others_once_and_in_order(harness: Harness) -> None:
    cpi = await harness.start("cpi", profitability_router(Faults()))
    batch = [client("C-12", "first", 0), client("C-13", "flaky middle", 1), client("C-12", "last", 2)]
    await harness.publish([as_message(e) for e in batch])
    await eventually(lambda: _async(outbox_counts(cpi) == (3, 0)), what="three outputs")
    assert sorted(r[1] for r in rows(cpi)) == ["first", "flaky middle", "last"]
    assert [r[1] for r in rows(cpi) if r[0] == "C-12"] == ["first", "last"]
    out = [json.loads(r.value or b"")["summary"] for r in await harness.topic(OUTPUT) if r.key == b"C-12"]
    assert out == ["margin of first fell", "margin of last fell"]
    assert cpi.metrics.consumed.labels(INPUT)._value.get() == 3


def test_a_clean_batch_costs_a_fixed_number_of_statements(tmp_path: Path) -> None:
    """The fast path: statements per batch do not grow with the number of messages."""
    from sqlalchemy import event as sa_event

    from msp_events.runtime.batch import BatchApplier, BatchPolicy
    from msp_events.runtime.metrics import RuntimeMetrics
    from msp_events.runtime.migrations import upgrade
    from msp_events.runtime.store import make_engine

    url = f"sqlite:///{tmp_path}/cpi.db"
    upgrade(url, tmp_path)
    engine = make_engine(url)
    seen_metadata.create_all(engine)
    applier = BatchApplier(
        service="cpi",
        router=downstream_router(),
        engine=engine,
        metrics=RuntimeMetrics("cpi"),
        policy=BatchPolicy(),
    )
    statements: list[str] = []
    sa_event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    def records(n: int, start: int) -> list[Record]:
        out = []
        for i in range(start, start + n):
            cause = client(f"C-{i}", f"c{i}", i)
            changed = cause.caused(
                ClientProfitabilityChanged(
                    client_id=f"C-{i}",
                    period="2026-05",
                    gross_margin_pct=Decimal(10),
                    band="critical",
                    direction="down",
                    revenue=Money(amount=Decimal(1), currency="USD"),
                    cost=Money(amount=Decimal(1), currency="USD"),
                    labour_hours=Decimal(1),
                    summary="s",
                ),
                source="msp.cpi",
                producer="cpi",
                seq=0,
            )
            m = encode_binary(changed)
            out.append(Record(m.topic, 0, i, m.key, m.value, m.headers))
        return out

    counts = []
    for n, start in ((10, 0), (100, 10)):
        statements.clear()
        outcome = applier.apply(records(n, start))
        assert len(outcome.handled) == n
        counts.append(len(statements))
    per_message = (counts[1] - counts[0]) / 90
    assert per_message == 1.0  # only the handler's own insert into `seen`; inbox and outbox are bulk
