"""One message never blocks a partition, and a partition that stops anyway is visible.

* A message that fits the broker but not the service is dead-lettered; its dead-letter copy (the
  same bytes plus ``x-dlt-*`` headers) may not fit the broker: it is then published truncated, with
  the original size and SHA-256 in headers, and the partition moves on (in-process and on Kafka).
* A partition with lag and no commit for ``STALL_AFTER_S`` makes ``/readyz`` answer 503 with
  ``"consumer": false`` and shows in ``msp_consumer_stalled_partitions``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select

from msp_events import Envelope
from msp_events.codec.kafka import encode_binary
from msp_events.runtime.deadletter import TRUNCATED_KEEP_BYTES, fit, publish_dead_letters, record_size
from msp_events.runtime.http import build_http_app, build_metrics_app
from msp_events.runtime.inprocess import InProcessBus
from msp_events.runtime.kafka import KafkaTransport
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.service import Service
from msp_events.runtime.settings import KafkaSettings, ServiceSettings
from msp_events.runtime.transport import MessageTooLargeError, Outgoing, Transport
from msp_events.runtime.uow import UnitOfWork
from msp_events.testing import auth as test_auth
from msp_events.testing.kafka import eventually, read_topic
from msp_events.types.psa import ClientUpserted

INPUT = "psa.client.upserted"
DLT = f"dlt.cpi.{INPUT}"
T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
BIG = 1_048_100  # fits the broker's default message.max.bytes (1048588), not MAX_MESSAGE_BYTES

metadata = MetaData()
applied = Table(
    "applied",
    metadata,
    Column("n", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False),
)


def router() -> HandlerRouter:
    r = HandlerRouter()

    @r.handles(ClientUpserted)
    def on_client(uow: UnitOfWork, event: Envelope[ClientUpserted]) -> None:
        uow.session.execute(applied.insert().values(name=event.data.name))

    return r


def message(name: str, minute: int = 0, client_id: str = "C-1") -> Outgoing:
    data = ClientUpserted(client_id=client_id, name=name, status="active", created_on=date(2024, 1, 1))
    m = encode_binary(Envelope.build(data, source="psa.test", time=T0 + timedelta(minutes=minute)))
    return Outgoing(m.topic, m.key, m.value, m.headers)


def oversized(size: int = BIG) -> Outgoing:
    """A valid-looking event padded to ``size`` bytes: too large for the service, fine for Kafka."""
    m = message("huge")
    value = m.value or b""
    padded = value[:-1] + b"," + b'"pad":"' + b"x" * (size - len(value) - 9) + b'"}'
    assert len(padded) == size
    return Outgoing(m.topic, m.key, padded, m.headers)


def count_applied(svc: Service) -> int:
    with svc.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(applied)).scalar_one())


def headers(record_headers: list[tuple[str, bytes]]) -> dict[str, str]:
    return {k: v.decode(errors="replace") for k, v in record_headers}


def settings(transport: str, database_url: str, **overrides: Any) -> ServiceSettings:
    return ServiceSettings(
        service_name="cpi",
        MSP_TRANSPORT=transport,
        DATABASE_URL=database_url,
        HANDLER_RETRY_BACKOFF_S=0.01,
        INFRASTRUCTURE_BACKOFF_S=0.05,
        RELAY_POLL_S=0.1,
        **overrides,
    )


async def started(s: ServiceSettings, transport: Transport, tmp_path: Path) -> Service:
    svc = Service(settings=s, router=router(), transport=transport, migrations=tmp_path, metadata=metadata)
    metadata.create_all(svc.engine)
    await svc.start()
    return svc


async def _is(value: bool) -> bool:
    return value


# -- the dead-letter copy -------------------------------------------------------------------------


def test_a_dead_letter_over_the_limit_is_truncated_with_its_size_and_digest() -> None:
    big = oversized()
    fitted = fit(big, 1_000_000)
    h = headers(fitted.headers)
    assert h["x-dlt-truncated"] == str(BIG)
    assert h["x-dlt-original-sha256"] == hashlib.sha256(big.value or b"").hexdigest()
    assert fitted.value == (big.value or b"")[:TRUNCATED_KEEP_BYTES]
    assert record_size(fitted) < 1_000_000
    small = message("small")
    assert fit(small, 1_000_000) is small


async def test_a_size_refusal_is_answered_with_a_truncated_copy_not_a_retry() -> None:
    bus = InProcessBus(max_message_bytes=100_000)
    big = Outgoing(DLT, b"k", b"x" * 200_000, [("x-dlt-reason", b"too-large")])
    with pytest.raises(MessageTooLargeError):
        await bus.append([big])
    [published] = await publish_dead_letters(bus.producer(), [big], max_bytes=10_000_000)
    assert headers(published.headers)["x-dlt-truncated"] == "200000"
    assert [len(r.value or b"") for r in bus.records(DLT)] == [TRUNCATED_KEEP_BYTES]


async def test_an_oversized_message_is_dead_lettered_and_its_partition_moves_on(tmp_path: Path) -> None:
    big = oversized()
    # The broker takes the original but not its dead-letter copy (the x-dlt-* headers push it over);
    # the service's own dead-letter limit is set too high on purpose, so the broker's refusal is hit.
    bus = InProcessBus(max_message_bytes=record_size(big) - 512 + 16)
    svc = await started(
        settings("inprocess", f"sqlite:///{tmp_path}/cpi.db", DEAD_LETTER_MAX_BYTES=4_000_000),
        bus,
        tmp_path,
    )
    try:
        await bus.append([big, *(message(f"after {i}", i) for i in range(30))])
        await eventually(lambda: _is(count_applied(svc) == 30), what="the 30 events behind the big one")
        [dead] = bus.records(DLT)
        h = headers(dead.headers)
        assert h["x-dlt-reason"] == "too-large" and h["x-dlt-truncated"] == str(BIG)
        partition = bus.partition_for(INPUT, b"C-1")
        assert bus.committed("cpi", (INPUT, partition)) == 31
        assert svc.metrics.dead_letters_truncated.labels(INPUT)._value.get() == 1
    finally:
        await svc.stop()


# -- stalled partitions ---------------------------------------------------------------------------


class DeadLetterOutage(InProcessBus):
    """A broker whose dead-letter topics refuse every publish until ``healed``."""

    def __init__(self) -> None:
        super().__init__()
        self.healed = False

    async def append(self, messages: list[Outgoing]) -> None:
        if not self.healed and any(m.topic.startswith("dlt.") for m in messages):
            raise ConnectionError("dead-letter topic unavailable")
        await super().append(messages)


async def test_a_stalled_partition_flips_readiness_and_the_metrics(tmp_path: Path) -> None:
    bus = DeadLetterOutage()
    svc = await started(
        settings("inprocess", f"sqlite:///{tmp_path}/cpi.db", STALL_AFTER_S=0.5, PROGRESS_INTERVAL_S=0.05),
        bus,
        tmp_path,
    )
    app = build_http_app(svc, auth=test_auth.settings())  # no lifespan: the service is already started
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc")
    scraper = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=build_metrics_app(svc)), base_url="http://m"
    )
    gauge = svc.metrics.consumer_stalled_partitions
    try:
        await bus.append([message("ok 0", 0, "C-2")])
        await eventually(lambda: _is(count_applied(svc) == 1), what="a first event")
        assert (await client.get("/readyz")).status_code == 200
        poison = Outgoing(INPUT, b"C-1", b"not json", [("ce_specversion", b"1.0")])
        await bus.append([poison, message("behind the poison", 1)])

        async def stalled() -> bool:
            return gauge._value.get() == 1

        await eventually(stalled, timeout_s=10, what="the partition to be reported stalled")
        response = await client.get("/readyz")
        body = response.json()
        assert response.status_code == 503 and body["checks"]["consumer"] is False
        assert "lag 2" in body["reasons"]["consumer"] and INPUT in body["reasons"]["consumer"]
        assert svc.metrics.consumer_seconds_since_progress._value.get() > 0.5
        metrics = (await scraper.get("/metrics")).text
        assert "msp_consumer_stalled_partitions 1.0" in metrics
        assert (
            f'msp_consumer_lag{{partition="{bus.partition_for(INPUT, b"C-1")}",topic="{INPUT}"}} 2.0'
            in metrics
        )

        bus.healed = True
        await eventually(lambda: _is(gauge._value.get() == 0), timeout_s=10, what="the stall to clear")
        response = await client.get("/readyz")
        assert response.status_code == 200 and response.json()["checks"]["consumer"] is True
        assert count_applied(svc) == 2
    finally:
        await client.aclose()
        await scraper.aclose()
        await svc.stop()


async def test_an_idle_partition_is_never_stalled(tmp_path: Path) -> None:
    bus = InProcessBus()
    svc = await started(
        settings("inprocess", f"sqlite:///{tmp_path}/cpi.db", STALL_AFTER_S=0.2, PROGRESS_INTERVAL_S=0.05),
        bus,
        tmp_path,
    )
    try:
        await bus.append([message("one")])
        await eventually(lambda: _is(count_applied(svc) == 1), what="the event")
        await eventually(lambda: _true_after(0.5), what="longer than STALL_AFTER_S")
        assert svc.progress is not None and svc.progress.check() == (True, "")
        assert svc.metrics.consumer_stalled_partitions._value.get() == 0
    finally:
        await svc.stop()


_started: dict[str, float] = {}


async def _true_after(seconds: float) -> bool:
    import time

    start = _started.setdefault(f"{seconds}", time.monotonic())
    if time.monotonic() - start >= seconds:
        _started.pop(f"{seconds}")
        return True
    return False


# -- on Kafka -------------------------------------------------------------------------------------


@pytest.fixture(
    # 1,000,000: the service truncates before sending; 4,000,000: the broker refuses the copy
    # (MESSAGE_TOO_LARGE) and the refusal is answered with the truncated copy instead of a retry.
    params=[1_000_000, 4_000_000],
    ids=["truncated-before-send", "after-broker-refusal"],
)
async def kafka_service(
    request: pytest.FixtureRequest,
    kafka_bootstrap: str,
    postgres_databases: Callable[[], str],
    tmp_path: Path,
) -> AsyncIterator[tuple[Service, str]]:
    prefix = f"big{uuid.uuid4().hex[:8]}."
    s = settings(
        "kafka",
        postgres_databases(),
        DEAD_LETTER_MAX_BYTES=request.param,
        STALL_AFTER_S=60,
        PROGRESS_INTERVAL_S=0.5,
        kafka=KafkaSettings(
            bootstrap_servers=kafka_bootstrap,
            topic_prefix=prefix,
            session_timeout_ms=6000,
            heartbeat_interval_ms=500,
        ),
    )
    svc = await started(s, KafkaTransport(s.kafka, client_id="big-test"), tmp_path)
    try:
        yield svc, prefix
    finally:
        await svc.stop()


@pytest.mark.integration
async def test_on_kafka_a_message_too_large_for_its_dead_letter_copy_does_not_block_300_behind_it(
    kafka_service: tuple[Service, str], kafka_bootstrap: str
) -> None:
    svc, prefix = kafka_service
    big = oversized()
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap,
        acks="all",
        enable_idempotence=True,
        max_request_size=2 * 1024 * 1024,
    )
    await producer.start()
    try:
        sent = await producer.send_and_wait(prefix + INPUT, big.value, key=big.key, headers=list(big.headers))
        for i in range(300):  # same key: the same partition, behind the big one
            m = message(f"valid {i}", i)
            await producer.send(prefix + INPUT, m.value, key=m.key, headers=list(m.headers))
        await producer.flush()
    finally:
        await producer.stop()

    await eventually(
        lambda: _is(count_applied(svc) == 300), timeout_s=90, what="the 300 events to be applied"
    )
    [dead] = await read_topic(kafka_bootstrap, prefix + DLT)
    h = headers(dead.headers)
    assert h["x-dlt-reason"] == "too-large"
    assert h["x-dlt-truncated"] == str(BIG)
    assert h["x-dlt-original-sha256"] == hashlib.sha256(big.value or b"").hexdigest()
    assert (h["x-dlt-original-partition"], h["x-dlt-original-offset"]) == (
        str(sent.partition),
        str(sent.offset),
    )
    assert json.loads(h["x-dlt-original-offset"]) == sent.offset

    async def committed() -> bool:
        assert svc.progress is not None
        await svc.progress.refresh()
        return svc.progress.lag.get((INPUT, sent.partition)) == 0

    await eventually(committed, timeout_s=30, what="the offsets to be committed (lag 0)")
    assert svc.metrics.dead_letters_truncated.labels(INPUT)._value.get() == 1
    assert svc.progress is not None and svc.progress.check() == (True, "")
