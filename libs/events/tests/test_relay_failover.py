"""Two replicas of a service, one database, PostgreSQL restarted mid-stream: exactly one publisher.

Issue 9: a relay cached the session holding its advisory lock; a PostgreSQL restart ended that
session and the lock, the other replica took the lock, and both published the outbox (duplicate
output ids). Here two real processes share a private PostgreSQL (``private_postgres``, so the
restart never disturbs the shared one) and the real Kafka, input keeps arriving, the database is
restarted twice mid-stream, and the output topic must hold every outbox row exactly once, each
key's rows in outbox ``seq`` order. The control runs the same stream without a restart.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import Engine, create_engine, func, select, text

from msp_events import Envelope
from msp_events.codec.kafka import encode_binary
from msp_events.runtime.inprocess import InProcessBus
from msp_events.runtime.metrics import RuntimeMetrics
from msp_events.runtime.migrations import upgrade
from msp_events.runtime.relay import OutboxRelay, RelayPolicy
from msp_events.runtime.store import make_engine, outbox
from msp_events.testing.faults import PrivatePostgres, ServiceProcess
from msp_events.testing.kafka import eventually, read_topic
from msp_events.types.psa import ClientUpserted

pytestmark = [pytest.mark.integration, pytest.mark.faults]
SERVICE = Path(__file__).with_name("relay_service.py")
OUTPUT = "client.profitability.changed"
CLIENTS = 12
VERSIONS = 25  # per client: 300 inputs, 300 outbox rows
FEED_S = 8.0
RESTART_AT_S = (2.5, 5.5)  # into the feed


class Replica(ServiceProcess):
    """One replica of the relay service; it logs at info, where leadership changes are logged."""

    def __init__(self, name: str, env: dict[str, str], logs: Path) -> None:
        super().__init__(SERVICE, env, logs / f"{name}.log", name=name, log_level="info")

    def leader_gauge(self) -> float:
        metrics = httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=2).text
        for line in metrics.splitlines():
            if line.startswith("msp_outbox_relay_leader "):
                return float(line.split()[1])
        raise AssertionError(f"{self.name}: no msp_outbox_relay_leader in /metrics")

    def took_the_lead(self) -> int:
        return self.log.read_text(errors="replace").count("outbox relay took the lead")


@pytest.fixture
def replicas(service_processes: list[ServiceProcess]) -> list[ServiceProcess]:
    return service_processes


def inputs() -> list[Envelope[ClientUpserted]]:
    """Versions of each client, interleaved: version v of every client, then v + 1 (distinct ids)."""
    start = datetime(2026, 5, 1, tzinfo=UTC)
    return [
        Envelope.build(
            ClientUpserted(
                client_id=f"C-{c:02d}", name=f"client {c} v{v}", status="active", created_on=date(2022, 1, 3)
            ),
            source="psa.connectwise",
            time=start + timedelta(minutes=v),
        )
        for v in range(VERSIONS)
        for c in range(CLIENTS)
    ]


async def feed(
    bootstrap: str,
    prefix: str,
    events: list[Envelope[ClientUpserted]],
    server: PrivatePostgres,
    restarts: int,
) -> None:
    """Produce the stream at an even rate and restart PostgreSQL at the chosen moments."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        started = time.monotonic()
        due = list(RESTART_AT_S[:restarts])
        for i, envelope in enumerate(events):
            if due and time.monotonic() - started >= due[0]:
                due.pop(0)
                await asyncio.to_thread(server.restart)
            await asyncio.sleep(max(0.0, started + i * FEED_S / len(events) - time.monotonic()))
            m = encode_binary(envelope)
            await producer.send_and_wait(prefix + m.topic, value=m.value, key=m.key, headers=list(m.headers))
        for _ in due:
            await asyncio.to_thread(server.restart)
    finally:
        await producer.stop()


@pytest.mark.parametrize("restarts", [0, 2], ids=["control", "restart-twice"])
async def test_two_replicas_publish_each_outbox_row_once_in_order_across_postgres_restarts(
    restarts: int,
    kafka_bootstrap: str,
    private_postgres: PrivatePostgres,
    tmp_path: Path,
    replicas: list[Replica],
) -> None:
    prefix = f"failover{uuid.uuid4().hex[:6]}."
    env = {
        "MSP_TRANSPORT": "kafka",
        "DATABASE_URL": private_postgres.url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_TOPIC_PREFIX": prefix,
        "KAFKA_SESSION_TIMEOUT_MS": "6000",
        "KAFKA_HEARTBEAT_INTERVAL_MS": "500",
        "RELAY_POLL_S": "0.1",  # both relays look often: a second publisher would show quickly
        "INFRASTRUCTURE_BACKOFF_S": "0.5",
    }
    for name in ("replica-a", "replica-b"):  # one after the other: the first one migrates
        replicas.append(Replica(name, env, tmp_path))
        replicas[-1].wait_ready()

    events = inputs()
    await feed(kafka_bootstrap, prefix, events, private_postgres, restarts)

    engine = create_engine(private_postgres.url)
    try:

        async def all_relayed() -> bool:
            with engine.connect() as c:
                total = c.execute(select(func.count()).select_from(outbox)).scalar_one()
                pending = c.execute(select(func.count()).where(outbox.c.published_at.is_(None))).scalar_one()
            return bool(total == len(events) and pending == 0)

        await eventually(all_relayed, timeout_s=45, what="every input handled and its output relayed")
        await asyncio.sleep(1.5)  # a second publisher, if any, gets the time to show
        with engine.connect() as c:
            seq_of = {r.event_id: r.seq for r in c.execute(select(outbox.c.event_id, outbox.c.seq))}
    finally:
        engine.dispose()

    records = await read_topic(kafka_bootstrap, prefix + OUTPUT)
    ids = [dict(r.headers)["ce_id"].decode() for r in records]
    copies = Counter(ids)
    duplicated = {i: n for i, n in copies.items() if n > 1}
    measured = (
        f"{len(seq_of)} outbox rows, {len(records)} records, {len(duplicated)} ids published twice or more;"
        f" leadership taken: {', '.join(f'{r.name} {r.took_the_lead()}x' for r in replicas)}"
    )
    print(f"\n[{restarts} restarts] {measured}")
    assert set(ids) == set(seq_of), f"not every output id was published: {measured}"
    assert not duplicated, f"duplicates: {measured}"

    first_seen: dict[bytes | None, list[int]] = defaultdict(list)
    seen: set[str] = set()
    for record, event_id in zip(records, ids, strict=True):  # partition order; a key has one partition
        if event_id not in seen:
            seen.add(event_id)
            first_seen[record.key].append(seq_of[event_id])
    out_of_order = {k: s for k, s in first_seen.items() if s != sorted(s)}
    assert not out_of_order, f"per-key order broken for {sorted(map(str, out_of_order))}"
    assert len(first_seen) == CLIENTS

    async def one_leader() -> bool:
        return sum(await asyncio.to_thread(lambda: [r.leader_gauge() for r in replicas])) == 1

    await eventually(one_leader, timeout_s=10, what="exactly one replica reporting msp_outbox_relay_leader 1")


async def test_a_relay_whose_lock_session_died_steps_down_and_stays_quiet_while_another_leads(
    private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    """The zombie, step by step: A leads; its session is killed (what a restart does to it); B takes
    the lock and publishes; A, whose database is reachable again, must not publish a single row."""
    url = private_postgres.url
    upgrade(url, tmp_path)
    bus = InProcessBus()
    engines = [make_engine(url) for _ in range(3)]
    writer, engine_a, engine_b = engines
    seq = iter(range(1_000))

    def append(n: int) -> None:
        with writer.begin() as c:
            c.execute(
                outbox.insert(),
                [
                    {
                        "event_id": f"e{i}",
                        "type": "t",
                        "topic": "out",
                        "key": b"k",
                        "value": f"e{i}".encode(),
                        "headers": "[]",
                    }
                    for i in (next(seq) for _ in range(n))
                ],
            )

    def relay(engine: Engine) -> OutboxRelay:
        return OutboxRelay(
            service="cpi",
            engine=engine,
            producer=bus.producer(),
            metrics=RuntimeMetrics("cpi"),
            policy=RelayPolicy(takeover_grace_s=0),
        )

    def leader(r: OutboxRelay) -> float | None:
        return r.metrics.registry.get_sample_value("msp_outbox_relay_leader")

    a, b = relay(engine_a), relay(engine_b)
    try:
        append(3)
        assert (await a.drain(), await b.drain()) == (3, 0)
        assert (leader(a), leader(b)) == (1, 0)

        append(2)
        with writer.connect() as c:  # end A's lock session, as a restart or failover would
            killed = c.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted")
            ).all()
        assert len(killed) == 1
        assert await b.drain() == 2  # B takes the free lock and publishes
        append(1)
        assert await a.drain() == 0  # A finds its session dead, cannot retake the lock: quiet
        assert not a.is_leader and leader(a) == 0
        assert await b.drain() == 1
        assert leader(b) == 1

        b._release_leadership()  # ends B's session (its engine stays open): the lock is free at once
        append(1)
        assert await a.drain() == 1
        assert [r.value for r in bus.records("out")] == [f"e{i}".encode() for i in range(7)]
    finally:
        for r in (a, b):
            r._release_leadership()
        for e in engines:
            e.dispose()
