"""Runtime overhead: raw aiokafka consume→produce vs the same messages through the runtime.

(a) raw: a consumer group reads N messages and produces one output per message (acks=all,
    idempotent producer), committing offsets per batch;
(b) runtime: a trivial handler behind the inbox, the outbox and a PostgreSQL commit, relayed;
(c) the same without event-time alignment (``EVENT_TIME_ALIGNMENT=false``): what ordering costs.
Both on the same broker in one process. Prints events/s, the ratio, and p50/p99 end-to-end latency
at a fixed offered load. A measurement, not a test: nothing here asserts a time.

    .venv/bin/python bench/runtime.py [--messages 20000] [--rate 500] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text

from msp_events import Envelope, Money
from msp_events.codec.kafka import encode_binary
from msp_events.runtime.kafka import KafkaTransport, ensure_topics
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.service import Service
from msp_events.runtime.settings import KafkaSettings, ServiceSettings
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import ClientProfitabilityChanged
from msp_events.types.psa import ClientUpserted

BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
ADMIN_URL = os.environ.get("DATABASE_URL", "postgresql+psycopg://msp:msp@127.0.0.1:5432/msp")
console = Console()

router = HandlerRouter()


@router.handles(ClientUpserted)
def trivial(uow: UnitOfWork, event: Envelope[ClientUpserted]) -> None:
    uow.emit(
        ClientProfitabilityChanged(
            client_id=event.data.client_id,
            period="2026-05",
            gross_margin_pct=Decimal("30"),
            band="thin",
            direction="down",
            revenue=Money(amount=Decimal("100"), currency="USD"),
            cost=Money(amount=Decimal("70"), currency="USD"),
            labour_hours=Decimal("1"),
            summary="bench",
        )
    )


def inputs(n: int, start: int = 0) -> list[tuple[bytes | None, bytes | None, list[tuple[str, bytes]], str]]:
    t0 = datetime(2026, 5, 1, tzinfo=UTC)
    out = []
    for i in range(start, start + n):
        e = Envelope.build(
            ClientUpserted(
                client_id=f"C-{i % 500}", name=f"Client {i}", status="active", created_on=date(2024, 1, 1)
            ),
            source="bench",
            time=t0 + timedelta(seconds=i),
        )
        m = encode_binary(e)
        out.append((m.key, m.value, m.headers, e.id))
    return out


async def produce(topic: str, messages: list, rate: float | None = None) -> dict[str, float]:
    """Send messages (optionally at a fixed rate); returns send time by event id."""
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", enable_idempotence=True, linger_ms=2)
    await producer.start()
    sent: dict[str, float] = {}
    try:
        started = time.perf_counter()
        futures = []
        for i, (key, value, headers, event_id) in enumerate(messages):
            if rate:
                delay = started + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            sent[event_id] = time.perf_counter()
            futures.append(await producer.send(topic, value=value, key=key, headers=headers))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return sent


async def watch(topic: str, expected: int, arrivals: dict[str, float], header: str) -> None:
    """Record when each output arrives, keyed by the input id it answers."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=BOOTSTRAP,
        auto_offset_reset="earliest",
        group_id=f"watch-{uuid.uuid4().hex[:6]}",
    )
    await consumer.start()
    try:
        while len(arrivals) < expected:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                now = time.perf_counter()
                for r in records:
                    arrivals.setdefault(dict(r.headers)[header].decode(), now)
    finally:
        await consumer.stop()


async def raw_pipeline(prefix: str, stop: asyncio.Event) -> None:
    consumer = AIOKafkaConsumer(
        prefix + "raw.in",
        bootstrap_servers=BOOTSTRAP,
        group_id=prefix + "raw",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", enable_idempotence=True, linger_ms=5)
    await consumer.start()
    await producer.start()
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200, max_records=200)
            futures = []
            for records in batches.values():
                for r in records:
                    headers = [*r.headers, ("x-answers", dict(r.headers)["ce_id"])]
                    futures.append(
                        await producer.send(prefix + "raw.out", value=r.value, key=r.key, headers=headers)
                    )
            await asyncio.gather(*futures)
            if futures:
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


def fresh_database() -> str:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


async def run_path(kind: str, n: int, rate: float | None) -> tuple[float, list[float]]:
    """Returns (events/s over the whole run, end-to-end latencies in ms)."""
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    kafka = KafkaSettings(bootstrap_servers=BOOTSTRAP, topic_prefix=prefix)
    messages = inputs(n)
    if kind == "raw":
        await ensure_topics(
            KafkaSettings(bootstrap_servers=BOOTSTRAP), {prefix + "raw.in": 3, prefix + "raw.out": 3}
        )
        in_topic, out_topic, header = prefix + "raw.in", prefix + "raw.out", "x-answers"
    else:
        in_topic, out_topic, header = (
            prefix + "psa.client.upserted",
            prefix + "client.profitability.changed",
            "ce_causationid",
        )
    stop = asyncio.Event()
    arrivals: dict[str, float] = {}
    service = None
    if kind == "raw":
        worker = asyncio.create_task(raw_pipeline(prefix, stop))
    else:
        settings = ServiceSettings(
            service_name="cpi",
            MSP_TRANSPORT="kafka",
            DATABASE_URL=fresh_database(),
            EVENT_TIME_ALIGNMENT=kind == "runtime",
            kafka=kafka,
        )
        service = Service(
            settings=settings,
            router=router,
            transport=KafkaTransport(kafka, "bench"),
            migrations=Path(tempfile.mkdtemp()),
        )
        await service.start()
    watcher = asyncio.create_task(watch(out_topic, n, arrivals, header))
    await asyncio.sleep(3)  # consumer groups joined
    started = time.perf_counter()
    sent = await produce(in_topic, messages, rate)
    await watcher
    elapsed = time.perf_counter() - started
    stop.set()
    if service is not None:
        await service.stop()
    else:
        await worker
    latencies = [(arrivals[i] - sent[i]) * 1000 for i in sent]
    return n / elapsed, latencies


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--rate", type=float, default=500.0, help="offered load for the latency runs, msg/s")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each latency run")
    args = parser.parse_args()
    results = {}
    for kind in ("raw", "runtime", "runtime-unaligned"):
        console.print(f"[bold]{kind}[/bold]: throughput with {args.messages} messages …")
        throughput, _ = await run_path(kind, args.messages, None)
        console.print(f"[bold]{kind}[/bold]: latency at {args.rate:.0f} msg/s for {args.seconds:.0f} s …")
        _, latencies = await run_path(kind, int(args.rate * args.seconds), args.rate)
        results[kind] = (throughput, pct(latencies, 50), pct(latencies, 99))
    table = Table(title=f"consume → handle → produce, {args.messages} messages, broker {BOOTSTRAP}")
    for column in ("path", "events/s", "vs raw", f"p50 ms @{args.rate:.0f}/s", f"p99 ms @{args.rate:.0f}/s"):
        table.add_column(column, justify="right")
    raw = results["raw"][0]
    for kind, (eps, p50, p99) in results.items():
        table.add_row(kind, f"{eps:,.0f}", f"{eps / raw:.2f}", f"{p50:.1f}", f"{p99:.1f}")
    console.print(table)


if __name__ == "__main__":
    asyncio.run(main())
