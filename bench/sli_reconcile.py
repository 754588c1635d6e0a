"""SLI's three-way reconciliation: a full reconciliation at scale, and event throughput on Kafka +
PostgreSQL against the bare runtime in the same run.

(1) full reconciliation: 500 clients x 40 SKUs (20,000 subscriptions and billing lines), 100,000
    tenant users holding two SKUs each (200,000 seats, a fifth of them idle), bulk-loaded with
    ``INSERT ... SELECT generate_series`` into a fresh PostgreSQL database (not measured), then the
    first tick of a day timed: every client marked dirty, ``licence_lines`` rebuilt set-wise in
    one statement, idle users listed, every line classified and its findings opened (the events
    are built, not sent). Beside it, a bare ``GROUP BY client, sku`` over the seats (the least a
    set-wise aggregation costs). Peak RSS of this process during the reconciliation.
(2) throughput: SLI (``sli.app.create_service``, Kafka transport, fresh PostgreSQL) gets N
    ``licensing.seat.activity`` snapshots (binary CloudEvents, as a Graph connector publishes
    them); each stores the user, its snapshot history and its seats' holding start, and marks the
    client dirty. events/s = N / (first send -> all N handled). Baseline in the same run: the same
    messages through the same runtime with a no-op handler (inbox + commit). Then one tick
    reconciles the dirty clients (timed separately).

A measurement, not a test: nothing asserts a time.

    .venv/bin/python bench/sli_reconcile.py [--clients 500 --skus 40 --users 100000]
        [--events 5000 --tp-clients 25] [--only full|throughput]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cpi_ledger import (  # the same harness as CPI's bench: databases, memory, publishing
    BOOTSTRAP,
    drop_database,
    fresh_database,
    peak_rss_kb,
    publish,
    reset_peak_rss,
    wait_consumed,
)

from msp_events import Envelope
from msp_events.runtime.inprocess import InProcessBus
from msp_events.runtime.kafka import KafkaTransport
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.service import Service
from msp_events.runtime.settings import KafkaSettings
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.licensing import AssignedLicence, SeatActivity, SubscriptionUpserted
from msp_events.types.platform import ClockTicked

from sli import services
from sli.app import create_service, desk_config
from sli.settings import Settings

console = Console(width=170)
NOW = datetime(2026, 6, 1, 6, tzinfo=UTC)


# -- (1) full reconciliation -------------------------------------------------------------------------


def load_sql(clients: int, skus: int, users: int) -> list[tuple[str, str]]:
    per_client = users // clients
    return [
        (
            "subscriptions",
            f"""
            INSERT INTO subscriptions (subscription_id, client_id, vendor, distributor, sku_id,
                sku_part_number, product_id, product_name, quantity, consumed_units, unit_cost_amount,
                unit_cost_currency, unit_price_amount, unit_price_currency, billing_term,
                commitment_term_months, commitment_end_date, auto_renew, status, as_of, digest)
            SELECT 'S-' || c || '-' || s, 'C-' || c, 'Microsoft', 'Pax8', 'SKU-' || s, 'P' || s, 'PX-' || s,
                   'Product ' || s,
                   (CASE WHEN s = 0 THEN {per_client} ELSE {per_client} / {skus - 1} + 1 END)
                     + (c + s) % 3 - 1,
                   NULL, 10 + s % 7, 'USD', 13 + s % 7, 'USD', 'monthly', 12,
                   DATE '2026-06-01' + ((c * 7 + s) % 365), TRUE, 'active',
                   TIMESTAMPTZ '2026-05-01 00:00+00', md5(c || '-' || s)
            FROM generate_series(0, {clients - 1}) c, generate_series(0, {skus - 1}) s
            """,
        ),
        (
            "seat_users",
            f"""
            INSERT INTO seat_users (user_id, client_id, user_principal_name, account_enabled, deleted,
                last_sign_in_at, idle_days, observed_at, digest)
            SELECT 'U-' || u, 'C-' || (u / {per_client}), 'u' || u || '@client.example', u % 50 <> 0, FALSE,
                   TIMESTAMPTZ '2026-05-31 00:00+00' - ((u % 97) || ' days')::interval, u % 97,
                   TIMESTAMPTZ '2026-05-31 02:00+00', md5(u::text)
            FROM generate_series(0, {clients * per_client - 1}) u
            """,
        ),
        (
            "seat_assignments",
            f"""
            INSERT INTO seat_assignments (user_id, sku_id, client_id, sku_part_number, held_since)
            SELECT 'U-' || u, 'SKU-' || k, 'C-' || (u / {per_client}), 'P' || k,
                   TIMESTAMPTZ '2025-12-01 00:00+00'
            FROM generate_series(0, {clients * per_client - 1}) u,
                 LATERAL (VALUES (0), (1 + u % {skus - 1})) v(k)
            """,
        ),
        (
            "tenant_baselines",
            f"""
            INSERT INTO tenant_baselines (client_id, first_observed_at)
            SELECT 'C-' || c, TIMESTAMPTZ '2025-12-01 00:00+00' FROM generate_series(0, {clients - 1}) c
            """,
        ),
        (
            "agreements",
            f"""
            INSERT INTO agreements (agreement_id, client_id, name, cancelled, as_of, digest)
            SELECT 'A-' || c, 'C-' || c, 'Managed Services', FALSE, TIMESTAMPTZ '2026-01-01 00:00+00',
                   md5(c::text)
            FROM generate_series(0, {clients - 1}) c
            """,
        ),
        (
            "billing_lines",
            f"""
            INSERT INTO billing_lines (agreement_id, line_no, client_id, vendor_sku, quantity,
                monthly_unit_price, currency, effective_date)
            SELECT 'A-' || c, s, 'C-' || c, 'SKU-' || s,
                   (CASE WHEN s = 0 THEN {per_client} ELSE {per_client} / {skus - 1} + 1 END)
                     - CASE WHEN (c * s) % 5 = 0 THEN 1 ELSE 0 END,
                   13 + s % 7, 'USD', DATE '2025-01-01'
            FROM generate_series(0, {clients - 1}) c, generate_series(0, {skus - 1}) s
            WHERE (c + s) % 11 <> 0
            """,
        ),
    ]


def bench_full(args: argparse.Namespace) -> None:
    name, url = fresh_database("sli_bench")
    try:
        migrated = create_service(
            Settings(DATABASE_URL=url, MSP_TRANSPORT="inprocess"), transport=InProcessBus()
        )
        migrated.migrate()
        migrated.engine.dispose()
        engine = create_engine(url)
        rows: dict[str, int] = {}
        started = time.perf_counter()
        with engine.begin() as c:
            for table, sql in load_sql(args.clients, args.skus, args.users):
                c.execute(text(sql))
                rows[table] = c.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            c.execute(text("ANALYZE"))
        console.print(f"loaded in {time.perf_counter() - started:.1f} s: {rows}")
        baseline_sql = "SELECT client_id, sku_id, count(*) FROM seat_assignments GROUP BY client_id, sku_id"
        with engine.connect() as c:
            c.execute(text(baseline_sql)).all()  # warm the cache as the reconciliation will find it
            t = time.perf_counter()
            groups = len(c.execute(text(baseline_sql)).all())
            baseline = time.perf_counter() - t
        config = desk_config(Settings())
        tick = Envelope.build(ClockTicked(now=NOW, granularity="day"), source="platform.clock", time=NOW)
        rss_before = reset_peak_rss()
        with Session(engine) as session:
            uow = UnitOfWork(session, tick, "sli")
            t = time.perf_counter()
            services.on_clock(uow, config)
            session.flush()
            elapsed = time.perf_counter() - t
            lines = session.execute(text("SELECT count(*) FROM licence_lines")).scalar_one()
            by_class = dict(
                session.execute(
                    text("SELECT line_class, count(*) FROM licence_lines GROUP BY 1 ORDER BY 1")
                ).all()
            )
            session.commit()
            peak = peak_rss_kb()
            # the next tick the same day: nothing dirty, nothing recomputed
            uow = UnitOfWork(session, tick, "sli")
            t = time.perf_counter()
            services.on_clock(uow, config)
            idle_tick = time.perf_counter() - t
            session.rollback()
            # the next day: every client reconciled again, the findings unchanged (the steady state)
            reset_peak_rss()
            later = NOW + timedelta(days=1)
            uow = UnitOfWork(
                session, Envelope.build(ClockTicked(now=later), source="platform.clock", time=later), "sli"
            )
            t = time.perf_counter()
            services.on_clock(uow, config)
            session.flush()
            next_day = time.perf_counter() - t
            changed = len(uow.emitted)
            session.commit()
            next_peak = peak_rss_kb()
        table = Table(
            title=f"full reconciliation on PostgreSQL: {args.clients} clients x {args.skus} SKUs, "
            f"{rows['seat_users']:,} users, {rows['seat_assignments']:,} seats"
        )
        for column in ("step", "seconds", "vs bare GROUP BY", "lines", "findings opened", "peak RSS MB"):
            table.add_column(column, justify="right")
        table.add_row(
            "bare GROUP BY client, sku over the seats", f"{baseline:.2f}", "1.0", f"{groups:,}", "-", "-"
        )
        table.add_row(
            "first tick of a day: every client reconciled",
            f"{elapsed:.2f}",
            f"{elapsed / baseline:.1f}",
            f"{lines:,}",
            f"{_opened(url):,}",
            f"{peak / 1024:.0f} (from {rss_before / 1024:.0f})",
        )
        table.add_row(
            "next day: every client reconciled, findings unchanged",
            f"{next_day:.2f}",
            f"{next_day / baseline:.1f}",
            f"{lines:,}",
            f"{changed:,} changed",
            f"{next_peak / 1024:.0f}",
        )
        table.add_row("another tick the same day (nothing dirty)", f"{idle_tick:.3f}", "-", "-", "0", "-")
        console.print(table)
        console.print(f"line classes: {by_class}")
        engine.dispose()
    finally:
        drop_database(name)


def _opened(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return int(c.execute(text("SELECT count(*) FROM findings WHERE status = 'open'")).scalar_one())
    finally:
        engine.dispose()


# -- (2) throughput on Kafka + PostgreSQL ------------------------------------------------------------


def seat_events(n: int, clients: int, prefix: str = "U") -> list[Envelope[Any]]:
    out = []
    for i in range(n):
        at = NOW - timedelta(days=1) + timedelta(seconds=i)
        data = SeatActivity(
            user_id=f"{prefix}-{i}",
            client_id=f"C-{i % clients}",
            user_principal_name=f"{prefix.lower()}{i}@client.example",
            account_enabled=True,
            assigned_licences=[AssignedLicence(sku_id="SKU-0"), AssignedLicence(sku_id=f"SKU-{1 + i % 39}")],
            last_sign_in_at=at - timedelta(days=i % 97),
            observed_at=at,
        )
        out.append(Envelope.build(data, source="licensing.msgraph", time=at))
    return out


def subscriptions(clients: int) -> list[Envelope[Any]]:
    out = []
    at = NOW - timedelta(days=2)
    for c in range(clients):
        for s in range(40):
            data = SubscriptionUpserted(
                subscription_id=f"S-{c}-{s}",
                client_id=f"C-{c}",
                vendor="Microsoft",
                sku_id=f"SKU-{s}",
                product_name=f"Product {s}",
                quantity=10,
                unit_cost={"amount": "10", "currency": "USD"},  # type: ignore[arg-type]
                unit_price={"amount": "13", "currency": "USD"},  # type: ignore[arg-type]
                billing_term="monthly",
                status="active",
                updated_at=at,
            )
            out.append(Envelope.build(data, source="licensing.pax8", time=at))
    return out


noop_router = HandlerRouter()


@noop_router.handles(SeatActivity)
def noop(uow: UnitOfWork, event: Envelope[SeatActivity]) -> None:
    """The bare runtime: decode, inbox claim, commit, offsets."""


async def run_service(
    kind: str, master: list[Envelope[Any]], events: list[Envelope[Any]]
) -> tuple[float, float]:
    """(events/s, seconds of the reconciling tick) for one path."""
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    kafka = KafkaSettings(bootstrap_servers=BOOTSTRAP, topic_prefix=prefix)
    name, url = fresh_database("sli_bench")
    settings = Settings(MSP_TRANSPORT="kafka", DATABASE_URL=url, kafka=kafka)
    if kind == "sli":
        service = create_service(settings)
        warmup = master
    else:
        service = Service(
            settings=settings,
            router=noop_router,
            transport=KafkaTransport(kafka, "bench"),
            migrations=Path(tempfile.mkdtemp()),
        )
        warmup = seat_events(1, 1, prefix="W")
    await service.start()
    tick_s = 0.0
    try:
        await publish(prefix, warmup)
        await wait_consumed(service, len(warmup))
        started = time.perf_counter()
        await publish(prefix, events)
        await wait_consumed(service, len(warmup) + len(events))
        elapsed = time.perf_counter() - started
        if kind == "sli":
            tick = Envelope.build(ClockTicked(now=NOW, granularity="day"), source="platform.clock", time=NOW)
            t = time.perf_counter()
            await publish(prefix, [tick])
            await wait_consumed(service, len(warmup) + len(events) + 1)
            tick_s = time.perf_counter() - t
    finally:
        await service.stop()
        drop_database(name)
    return len(events) / elapsed, tick_s


async def bench_throughput(args: argparse.Namespace) -> None:
    master = subscriptions(args.tp_clients)
    events = seat_events(args.events, args.tp_clients)
    console.print("bare runtime (no-op handler) …")
    bare, _ = await run_service("noop", master, events)
    console.print("SLI …")
    eps, tick_s = await run_service("sli", master, events)
    table = Table(
        title=f"seat activity: {args.events:,} snapshots, {args.tp_clients} clients x 40 SKUs, "
        f"broker {BOOTSTRAP}"
    )
    for column in ("path", "events/s", "vs bare runtime", "reconciling tick, s"):
        table.add_column(column, justify="right")
    table.add_row("runtime, no-op handler", f"{bare:,.0f}", "1.00", "-")
    table.add_row("SLI (store + mark dirty)", f"{eps:,.0f}", f"{eps / bare:.2f}", f"{tick_s:.2f}")
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--skus", type=int, default=40)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--tp-clients", type=int, default=25)
    parser.add_argument("--only", choices=("full", "throughput"))
    args = parser.parse_args()
    os.environ.setdefault("KAFKA_BOOTSTRAP_SERVERS", BOOTSTRAP)
    if args.only in (None, "full"):
        bench_full(args)
    if args.only in (None, "throughput"):
        asyncio.run(bench_throughput(args))


if __name__ == "__main__":
    main()
