"""CPI's ledger: update throughput on Kafka + PostgreSQL, and a full set-wise recompute at scale.

(1) throughput: CPI (``cpi.app.create_service``, Kafka transport, a fresh PostgreSQL database)
    gets its master data (clients, technicians with effective-dated cost rates, agreements), then
    N ``psa.time_entry.logged`` events (binary CloudEvents, as a PSA connector publishes them; a
    fact for an open month leaves its ledger keys to one recompute per batch, a late one settles alone);
    events/s = N / (first send → the service has handled all N). Each event is stored, its ledger
    keys recomputed set-wise and the closed months judged, in the runtime's batch transaction. The
    ledger is then checked up to date (no dirty keys; equal to a full recompute). Baseline in the
    same run: the same messages through the same runtime with a no-op handler (inbox + commit).
(2) full recompute: 1,000 clients x 24 months of facts (~5M time entries, 200 technicians with 2-3
    cost-rate periods, agreements with additions, subscriptions, invoices) bulk-loaded with
    ``INSERT … SELECT generate_series`` into a fresh database (not measured), then
    ``recompute_ledger(session)`` timed, beside a bare ``GROUP BY client, month`` over the same
    table (the least a set-wise aggregation costs). ``EXPLAIN (ANALYZE, BUFFERS)`` of the
    recompute's statements (the time entries' sums, the keys, delete, the insert) goes to
    ``.bench/``; peak RSS of this process during the recompute. ``--baseline-ref REF``: the ledger
    code of a git ref (``store/ledger.py``, on the schema it had: without the key statistics) and
    this code run alternately on the same database, best of ``--runs``, with the load average
    before each run (the machine may be shared: the ratio in one run is what to compare).

A measurement, not a test: nothing asserts a time.

    .venv/bin/python bench/cpi_ledger.py [--entries 20000 --batch-sizes 200,1000]
        [--clients 1000 --months 24 --per-month 210] [--only throughput|recompute] [--keep]
        [--database NAME] [--baseline-ref REF --runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import re
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlmodel import Session

from msp_events import Envelope, eventlog
from msp_events.money import Money
from msp_events.runtime.kafka import KafkaTransport, connection_options
from msp_events.runtime.migrations import upgrade
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.service import Service
from msp_events.runtime.settings import KafkaSettings
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.psa import (
    Addition,
    AgreementUpserted,
    ClientUpserted,
    CostRate,
    TechnicianUpserted,
    TimeEntryLogged,
)

from cpi.app import create_service
from cpi.settings import Settings
from cpi.store import MIGRATIONS
from cpi.store.ledger import (
    FAR,
    FULL_KEYS,
    FULL_RECOMPUTE_SETTINGS,
    TIME_SUMS,
    full_recompute_sql,
    recompute_ledger,
)
from cpi.store.tables import METADATA

BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
ADMIN_URL = os.environ.get("DATABASE_URL", "postgresql+psycopg://msp:msp@127.0.0.1:5432/msp")
OUT = Path(__file__).resolve().parent.parent / ".bench"
console = Console(width=170)


# -- databases and memory ------------------------------------------------------------------------


def fresh_database(prefix: str = "cpi_bench") -> tuple[str, str]:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_database(name: str) -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _status_kb(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    return int(match.group(1)) if match else 0


def reset_peak_rss() -> int:
    """Reset this process's peak RSS (Linux: ``clear_refs`` 5); returns the current RSS in kB."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_kb("VmRSS")


def peak_rss_kb() -> int:
    return _status_kb("VmHWM")


# -- (1) throughput on Kafka + PostgreSQL ----------------------------------------------------------

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def usd(amount: str | int | Decimal) -> Money:
    return Money(amount=Decimal(str(amount)), currency="USD")


def master_data(clients: int, technicians: int) -> list[Envelope[Any]]:
    out: list[Envelope[Any]] = []
    at = T0 - timedelta(days=1)
    for c in range(clients):
        out.append(
            Envelope.build(
                ClientUpserted(
                    client_id=f"C-{c}",
                    name=f"Client {c}",
                    status="active",
                    currency="USD",
                    created_on=date(2024, 1, 1),
                ),
                source="bench.psa",
                time=at,
            )
        )
    for t in range(technicians):
        starts = [date(2025, 1, 1), date(2025, 12, 1 + t % 28), date(2026, 2, 1 + t % 28)][: 2 + t % 2]
        rates = [
            CostRate(effective_from=s, hourly_cost=usd(40 + 5 * i + t % 7)) for i, s in enumerate(starts)
        ]
        out.append(
            Envelope.build(
                TechnicianUpserted(
                    technician_id=f"T-{t}",
                    name=f"Tech {t}",
                    work_role="Engineer L2",
                    daily_capacity_hours=Decimal(8),
                    cost_rates=rates,
                ),
                source="bench.psa",
                time=at,
            )
        )
    for c in range(clients):
        additions = [
            Addition(
                product_id="M365-BP",
                description="Microsoft 365 Business Premium",
                quantity=Decimal(10 + c % 20),
                unit_price=usd(20),
                unit_cost=usd(12),
                vendor_sku="SKU-M365",
            )
        ]
        out.append(
            Envelope.build(
                AgreementUpserted(
                    agreement_id=f"A-{c}",
                    client_id=f"C-{c}",
                    name="Managed Services",
                    agreement_type="managed_services",
                    start_date=date(2025, 1, 1),
                    billing_cycle="monthly",
                    bill_amount=usd(1000 + 50 * (c % 10)),
                    included_hours=Decimal(20),
                    covers_labour=True,
                    additions=additions,
                ),
                source="bench.psa",
                time=at,
            )
        )
    return out


def time_entries(
    n: int, clients: int, technicians: int, months: int, prefix: str = "TE"
) -> list[Envelope[Any]]:
    """``n`` entries spread evenly over ``clients`` x ``months`` (from 2026-01), in work-date order."""
    days = sum((date(2026 + (m + 1) // 12, (m + 1) % 12 + 1, 1) - date(2026 + m // 12, m % 12 + 1, 1)).days
               for m in range(months))  # fmt: skip
    out = []
    for i in range(n):
        day = T0.date() + timedelta(days=i * days // n)
        out.append(
            Envelope.build(
                TimeEntryLogged(
                    time_entry_id=f"{prefix}-{i}",
                    client_id=f"C-{i % clients}",
                    technician_id=f"T-{(i * 7) % technicians}",
                    agreement_id=None if i % 7 == 0 else f"A-{i % clients}",
                    work_date=day,
                    hours=Decimal(25 + 25 * (i % 12)) / 100,
                    work_type="Remote Support",
                    billable_option="no_charge",
                    hours_billed=Decimal(0),
                    hourly_rate=usd(150),
                ),
                source="bench.psa",
                time=datetime(day.year, day.month, day.day, 17, tzinfo=UTC) + timedelta(seconds=i % 3600),
            )
        )
    return out


def consumed(service: Service) -> int:
    total = 0.0
    for metric in service.metrics.registry.collect():
        if metric.name == "msp_events_consumed":
            total += sum(s.value for s in metric.samples if s.name.endswith("_total"))
    return int(total)


async def publish(prefix: str, envelopes: list[Envelope[Any]]) -> None:
    messages = [eventlog.to_outgoing(e) for e in envelopes]
    producer = AIOKafkaProducer(
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        **connection_options(KafkaSettings(bootstrap_servers=BOOTSTRAP)),
    )
    await producer.start()
    try:
        pending = []
        for m in messages:
            pending.append(await producer.send(prefix + m.topic, m.value, key=m.key, headers=m.headers))
            if len(pending) >= 1000:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def wait_consumed(service: Service, expected: int, timeout_s: float = 900) -> None:
    deadline = time.perf_counter() + timeout_s
    while consumed(service) < expected:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{service.name}: {consumed(service)} of {expected} handled")
        await asyncio.sleep(0.02)


noop_router = HandlerRouter()


@noop_router.handles(TimeEntryLogged)
def noop(uow: UnitOfWork, event: Envelope[TimeEntryLogged]) -> None:
    """The bare runtime: decode, inbox claim, commit, offsets."""


def ledger_check(url: str, hours: Decimal) -> tuple[int, bool]:
    """Ledger rows, and whether the ledger is up to date: no dirty keys, every hour counted, and a
    full recompute (rolled back) gives the same rows."""
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            snapshot = "SELECT * FROM ledger ORDER BY client_id, agreement_id, month"
            before = session.execute(text(snapshot)).all()
            dirty = session.execute(text("SELECT count(*) FROM ledger_dirty")).scalar_one()
            counted = session.execute(text("SELECT coalesce(sum(labour_hours), 0) FROM ledger")).scalar_one()
            recompute_ledger(session)
            after = session.execute(text(snapshot)).all()
            session.rollback()
        return len(before), dirty == 0 and counted == hours and before == after
    finally:
        engine.dispose()


async def run_service(
    kind: str, batch_size: int, master: list[Envelope[Any]], entries: list[Envelope[Any]]
) -> tuple[float, int, bool]:
    """(events/s, ledger rows, ledger up to date) for one path."""
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    kafka = KafkaSettings(bootstrap_servers=BOOTSTRAP, topic_prefix=prefix)
    name, url = fresh_database()
    settings = Settings(MSP_TRANSPORT="kafka", DATABASE_URL=url, CONSUMER_BATCH_SIZE=batch_size, kafka=kafka)
    if kind == "cpi":
        service = create_service(settings)
        warmup = master
    else:
        service = Service(
            settings=settings,
            router=noop_router,
            transport=KafkaTransport(kafka, "bench"),
            migrations=Path(tempfile.mkdtemp()),
        )
        warmup = time_entries(1, 1, 1, 1, prefix="warm-up")  # another event id than entries[0]
    await service.start()
    try:
        await publish(prefix, warmup)  # also: the consumer group has joined before the clock starts
        await wait_consumed(service, len(warmup))
        started = time.perf_counter()
        await publish(prefix, entries)
        await wait_consumed(service, len(warmup) + len(entries))
        elapsed = time.perf_counter() - started
    finally:
        await service.stop()
    rows, up_to_date = (0, True)
    if kind == "cpi":
        rows, up_to_date = ledger_check(url, sum((e.data.hours for e in entries), Decimal(0)))
    drop_database(name)
    return len(entries) / elapsed, rows, up_to_date


async def bench_throughput(args: argparse.Namespace) -> None:
    master = master_data(args.tp_clients, args.tp_technicians)
    entries = time_entries(args.entries, args.tp_clients, args.tp_technicians, args.tp_months)
    table = Table(
        title=f"ledger updates: {args.entries:,} time entries, {args.tp_clients} clients x {args.tp_months} "
        f"months, broker {BOOTSTRAP}"
    )
    for column in ("path", "batch size", "events/s", "vs bare runtime", "ledger rows", "up to date"):
        table.add_column(column, justify="right")
    for batch_size in args.batch_sizes:
        console.print(f"batch size {batch_size}: bare runtime (no-op handler) …")
        bare, _, _ = await run_service("noop", batch_size, master, entries)
        console.print(f"batch size {batch_size}: CPI ledger …")
        eps, rows, ok = await run_service("cpi", batch_size, master, entries)
        table.add_row("runtime, no-op handler", str(batch_size), f"{bare:,.0f}", "1.00", "-", "-")
        table.add_row("CPI ledger", str(batch_size), f"{eps:,.0f}", f"{eps / bare:.2f}", f"{rows:,}", str(ok))
        console.print(table)


# -- (2) full recompute at scale --------------------------------------------------------------------


def load_sql(clients: int, months: int, per_month: int, technicians: int) -> Iterator[tuple[str, str]]:
    """(what, statement) to fill the fact tables set-wise; months start at 2024-01."""
    month = "to_char(date '2024-01-01' + make_interval(months => m), 'YYYY-MM')"
    first = "(date '2024-01-01' + make_interval(months => m))::date"
    now = "timestamptz '2026-01-01 00:00+00'"
    yield (
        "clients",
        f"""INSERT INTO clients (client_id, name, status, tier, currency, as_of, digest)
SELECT 'C-' || c, 'Client ' || c, 'active', NULL, 'USD', {now}, 'x'
FROM generate_series(0, {clients - 1}) c""",
    )
    yield (
        "technicians",
        f"""INSERT INTO technicians (technician_id, name, as_of, digest)
SELECT 'T-' || t, 'Tech ' || t, {now}, 'x' FROM generate_series(0, {technicians - 1}) t""",
    )
    # 2 or 3 effective-dated periods each, starting on different days: the join is by date range
    yield (
        "technician_rates",
        f"""INSERT INTO technician_rates (technician_id, valid_from, valid_to, hourly_cost, currency)
SELECT 'T-' || t, p.valid_from, p.valid_to, 40 + 5 * p.i + t % 7, 'USD'
FROM generate_series(0, {technicians - 1}) t
CROSS JOIN LATERAL (VALUES
    (0, date '2020-01-01', date '2024-08-31' + t % 28),
    (1, date '2024-09-01' + t % 28, CASE WHEN t % 3 = 0 THEN NULL ELSE date '2025-04-30' + t % 28 END),
    (2, date '2025-05-01' + t % 28, NULL)) AS p(i, valid_from, valid_to)
WHERE p.i < 2 OR t % 3 <> 0""",
    )
    yield (
        "ledger_months",
        f"""INSERT INTO ledger_months (month, first_day, last_day)
SELECT {month}, {first}, ({first} + interval '1 month - 1 day')::date
FROM generate_series(0, {months - 1}) m""",
    )
    yield (
        "agreements",
        f"""INSERT INTO agreements (agreement_id, client_id, name, agreement_type, currency,
    bill_amount, billing_cycle, monthly_fee, included_hours, monthly_included_hours, fixed_fee, start_date,
    end_date, start_month, end_month, as_of, digest)
SELECT 'A-' || c, 'C-' || c, 'Managed Services', 'managed_services', 'USD', 1000 + 50 * (c % 10),
    'monthly', 1000 + 50 * (c % 10), 20, 20, true, date '2023-06-01', NULL, '2023-06', NULL, {now}, 'x'
FROM generate_series(0, {clients - 1}) c""",
    )
    yield (
        "agreement_additions",
        f"""INSERT INTO agreement_additions (agreement_id, line_no, product_id,
    vendor_sku, quantity, monthly_price, monthly_cost, currency, from_month, to_month)
SELECT 'A-' || c, l, CASE l WHEN 0 THEN 'M365-BP' ELSE 'AV' END,
    CASE l WHEN 0 THEN 'SKU-M365' ELSE 'SKU-AV' END,
    10 + c % 20, (10 + c % 20) * 20, (10 + c % 20) * 12, 'USD', '2023-06', NULL
FROM generate_series(0, {clients - 1}) c CROSS JOIN generate_series(0, 1) l""",
    )
    # the AV seats come from a distributor subscription (two states): it costs them, not the addition
    half = max(1, months // 2)
    yield (
        "subscriptions",
        f"""INSERT INTO subscriptions (subscription_id, observed_month, client_id, sku_id,
    quantity, monthly_cost, monthly_price, currency, costed, from_month, to_month, as_of, digest)
SELECT 'S-' || c, v.observed, 'C-' || c, 'SKU-AV', 10 + v.i, (10 + v.i) * 3, (10 + v.i) * 5, 'USD', true,
    v.observed, v.until, {now}, 'x'
FROM generate_series(0, {clients - 1}) c CROSS JOIN LATERAL (VALUES
    (0, '2024-01', to_char(date '2024-01-01' + make_interval(months => {half - 1}), 'YYYY-MM')),
    (1, to_char(date '2024-01-01' + make_interval(months => {half}), 'YYYY-MM'), NULL))
    AS v(i, observed, until)""",
    )
    # rows in work-date order, clients interleaved (as a PSA logs them), not clustered by key;
    # about 1/7 of the time on no agreement, 1 in 50 entries overtime (x1.5), 1 in 100 absence
    yield (
        "time_entries",
        f"""INSERT INTO time_entries (time_entry_id, client_id, technician_id, agreement_id,
    work_date, month, hours, hours_deducted, multiplier, time_value, value_currency, absence, as_of, digest)
SELECT 'TE-' || c || '-' || m || '-' || k, 'C-' || c, 'T-' || ((c * 7 + k) % {technicians}),
    CASE WHEN k % 7 = 0 THEN '' ELSE 'A-' || c END, {first} + (k % 28), {month},
    0.25 * (1 + (c + k) % 12), 0.25 * (1 + (c + k) % 12), CASE WHEN k % 50 = 0 THEN 1.5 ELSE 1 END,
    37.5 * (1 + (c + k) % 12), 'USD', k % 100 = 99, {now}, 'x'
FROM generate_series(0, {clients - 1}) c CROSS JOIN generate_series(0, {months - 1}) m
CROSS JOIN generate_series(0, {per_month - 1}) k
ORDER BY m, k % 28, c, k""",
    )
    yield (
        "invoices",
        f"""INSERT INTO invoices (invoice_id, client_id, currency, invoice_date, as_of, digest)
SELECT 'I-' || c || '-' || m, 'C-' || c, 'USD', {first}, {now}, 'x'
FROM generate_series(0, {clients - 1}) c CROSS JOIN generate_series(0, {months - 1}) m""",
    )
    yield (
        "invoice_lines",
        f"""INSERT INTO invoice_lines (invoice_id, line_no, month, client_id, agreement_id,
    line_type, vendor_sku, amount, cost, currency)
SELECT 'I-' || c || '-' || m, l.n, {month}, 'C-' || c, l.agreement, l.kind, l.sku, l.amount, l.cost, 'USD'
FROM generate_series(0, {clients - 1}) c CROSS JOIN generate_series(0, {months - 1}) m
CROSS JOIN LATERAL (VALUES
    (0, 'A-' || c, 'agreement_fee', NULL, 1000 + 50 * (c % 10), NULL),
    (1, '', 'labour', NULL, 450 + 10 * (m % 5), NULL),
    (2, 'A-' || c, 'licence', 'SKU-M365', (10 + c % 20) * 20, (10 + c % 20) * 12),
    (3, 'A-' || c, 'licence', 'SKU-AV', 50, 30),
    (4, '', 'product', 'HW-' || (m % 3), 300, CASE WHEN m % 4 = 0 THEN NULL ELSE 210 END))
    AS l(n, agreement, kind, sku, amount, cost)""",
    )
    yield (
        "licence_leakage",
        f"""INSERT INTO licence_leakage (violation_id, month, client_id, agreement_id, kind,
    sku_id, seats_affected, exposure, currency, summary, as_of, digest)
SELECT 'V-' || c, to_char(date '2024-01-01' + make_interval(months => c % {months}), 'YYYY-MM'), 'C-' || c,
    'A-' || c, 'unbilled_seats', 'SKU-M365', 2, 40, 'USD', 'two seats not billed', {now}, 'x'
FROM generate_series(0, {clients - 1}) c""",
    )


def bulk_load(url: str, args: argparse.Namespace) -> dict[str, int]:
    upgrade(url, MIGRATIONS, METADATA)
    engine = create_engine(url)
    counts: dict[str, int] = {}
    try:
        for what, sql in load_sql(args.clients, args.months, args.per_month, args.technicians):
            started = time.perf_counter()
            with engine.begin() as c:
                counts[what] = c.execute(text(sql)).rowcount
            console.print(f"  loaded {what}: {counts[what]:,} rows in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE"))
        console.print(f"  VACUUM ANALYZE in {time.perf_counter() - started:.1f} s")
    finally:
        engine.dispose()
    return counts


BASELINE = """SELECT count(*), sum(n) FROM (SELECT client_id, month, count(*) AS n, sum(hours) AS h
FROM time_entries GROUP BY client_id, month) g"""
COSTED = """SELECT count(*), sum(n) FROM (SELECT t.client_id, t.agreement_id, t.month, count(*) AS n,
    sum(t.hours) AS h, sum(ROUND(t.hours * r.hourly_cost * t.multiplier, 4)) AS cost
FROM time_entries t LEFT JOIN technician_rates r ON r.technician_id = t.technician_id
    AND r.valid_from <= t.work_date AND (r.valid_to IS NULL OR r.valid_to >= t.work_date)
WHERE NOT t.absence GROUP BY t.client_id, t.agreement_id, t.month) g"""


def timed_query(url: str, sql: str, runs: int = 2) -> float:
    """Best of ``runs`` (the first also warms the cache)."""
    engine = create_engine(url)
    try:
        best = float("inf")
        for _ in range(runs):
            with engine.connect() as c:
                started = time.perf_counter()
                c.execute(text(sql)).all()
                best = min(best, time.perf_counter() - started)
        return best
    finally:
        engine.dispose()


LEDGER_MD5 = "SELECT md5(string_agg(l::text, '|' ORDER BY client_id, agreement_id, month)) FROM ledger l"
STATISTICS = "time_entries_ledger_key"  # migration cpi_0007


def timed_recompute(
    url: str, recompute: Callable[[Session], int] = recompute_ledger
) -> tuple[float, int, int, int, int, str]:
    """(seconds, client months, ledger rows, RSS before kB, peak RSS during kB, md5 of the rows)."""
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            session.execute(text("SELECT 1"))  # connected before the peak is reset
            rss = reset_peak_rss()
            started = time.perf_counter()
            pairs = recompute(session)
            session.commit()
            seconds = time.perf_counter() - started
            peak = peak_rss_kb()
            rows = session.execute(text("SELECT count(*) FROM ledger")).scalar_one()
            md5 = session.execute(text(LEDGER_MD5)).scalar_one()
        return seconds, pairs, rows, rss, peak, md5
    finally:
        engine.dispose()


def baseline_ledger(ref: str) -> Callable[[Session], int]:
    """``recompute_ledger`` of ``store/ledger.py`` as it was at git ``ref`` (the code to compare
    with, run in this process against the same database)."""
    source = subprocess.run(
        ["git", "show", f"{ref}:services/cpi/src/cpi/store/ledger.py"],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "baseline_ledger.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("baseline_ledger", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    recompute: Callable[[Session], int] = module.recompute_ledger
    return recompute


def set_statistics(url: str, present: bool) -> None:
    """The baseline ran without the key statistics (migration cpi_0007): drop them for it, build
    them again (``ANALYZE``) for this code. Not timed."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as c:
            if present:
                c.execute(
                    text(
                        f"CREATE STATISTICS IF NOT EXISTS {STATISTICS} (ndistinct) "
                        "ON client_id, agreement_id, month FROM time_entries"
                    )
                )
            else:
                c.execute(text(f"DROP STATISTICS IF EXISTS {STATISTICS}"))
            c.execute(text("ANALYZE time_entries"))
    finally:
        engine.dispose()


def compare(url: str, ref: str, runs: int) -> list[tuple[str, int, float, str, str]]:
    """The baseline's and this code's full recompute alternately, ``runs`` times each, on one
    database: (code, run, seconds, load average before the run, md5 of the ledger rows)."""
    baseline = baseline_ledger(ref)
    out = []
    for run in range(1, runs + 1):
        for code, recompute, statistics in ((ref, baseline, False), ("this code", recompute_ledger, True)):
            set_statistics(url, statistics)
            load = "/".join(f"{x:.1f}" for x in os.getloadavg())
            seconds, *_, md5 = timed_recompute(url, recompute)
            console.print(f"  {code} run {run}: {seconds:.2f} s (load {load}) md5 {md5[:8]}")
            out.append((code, run, seconds, load, md5))
    return out


def explain(url: str, path: Path) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) the full recompute's statements, with its settings, in a
    transaction rolled back; writes the plans to ``path`` and returns the execution times."""
    params = {"far": FAR}
    sql = full_recompute_sql("postgresql")
    steps: tuple[tuple[str, str, dict[str, str]], ...] = (
        ("sum every time entry (create table as)", sql["sums"], FULL_RECOMPUTE_SETTINGS["sums"]),
        ("every key (create table as)", sql["keys"], FULL_RECOMPUTE_SETTINGS["insert"]),
        ("delete every ledger row", "DELETE FROM ledger", {}),
        ("insert … select … group by", sql["insert"], {}),
    )
    engine = create_engine(url)
    out: list[str] = []
    try:
        with engine.connect() as c:
            text_out = []
            for what, statement, settings in steps:
                for name, value in settings.items():  # as recompute_ledger sets them
                    c.execute(text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})
                if what.startswith("delete"):
                    c.execute(text(f"ANALYZE {TIME_SUMS}, {FULL_KEYS}"))  # as recompute_ledger does
                plan = [r[0] for r in c.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + statement), params)]
                text_out += [f"-- {what}", *plan, ""]
                out += [f"{what}: {line.strip()}" for line in plan if line.startswith("Execution Time")]
            c.rollback()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(text_out))
    finally:
        engine.dispose()
    return out


def bench_recompute(args: argparse.Namespace) -> None:
    if args.database:  # a database kept by an earlier run (--keep): not loaded again
        name, url = args.database, ADMIN_URL.rsplit("/", 1)[0] + "/" + args.database
        upgrade(url, MIGRATIONS, METADATA)
    else:
        name, url = fresh_database()
    try:
        if not args.database:
            console.print(
                f"loading {args.clients:,} clients x {args.months} months x {args.per_month} entries "
                f"({args.clients * args.months * args.per_month:,} time entries) into {name} …"
            )
            bulk_load(url, args)
        engine = create_engine(url)
        with engine.connect() as c:
            tables = (
                "time_entries",
                "invoice_lines",
                "agreement_additions",
                "subscriptions",
                "licence_leakage",
            )
            counts = {t: c.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}
        engine.dispose()
        facts = sum(counts.values())
        entries = counts["time_entries"]
        console.print("baselines …")
        base = timed_query(url, BASELINE)
        costed = timed_query(url, COSTED)
        compared = []
        if args.baseline_ref:
            console.print(f"full recompute, {args.baseline_ref} and this code alternately …")
            compared = compare(url, args.baseline_ref, args.runs)
        console.print("full recompute (empty ledger) …")
        with create_engine(url).begin() as c:
            c.execute(text("DELETE FROM ledger"))
        first = timed_recompute(url)
        console.print("full recompute again (over the rows it made) …")
        second = timed_recompute(url)
        console.print("EXPLAIN (ANALYZE, BUFFERS) …")
        plan_path = OUT / f"cpi_ledger_explain_{args.clients}x{args.months}.txt"
        notes = explain(url, plan_path)
    finally:
        if not args.keep:
            drop_database(name)
    table = Table(
        title=f"full recompute: {entries:,} time entries, {facts:,} fact rows, load average "
        + "/".join(f"{x:.1f}" for x in os.getloadavg())
    )
    for column in (
        "step",
        "wall s",
        "time entries/s",
        "vs bare GROUP BY",
        "ledger rows",
        "RSS MB before → peak",
    ):
        table.add_column(column, justify="right")
    table.add_row(
        "bare GROUP BY client, month (baseline)", f"{base:.2f}", f"{entries / base:,.0f}", "1.00", "-", "-"
    )
    table.add_row(
        "GROUP BY + cost-rate join",
        f"{costed:.2f}",
        f"{entries / costed:,.0f}",
        f"{costed / base:.2f}",
        "-",
        "-",
    )
    for label, (seconds, pairs, rows, rss, peak, _) in (
        ("recompute_ledger (empty ledger)", first),
        ("recompute_ledger (ledger full)", second),
    ):
        table.add_row(
            label,
            f"{seconds:.2f}",
            f"{entries / seconds:,.0f}",
            f"{seconds / base:.2f}",
            f"{rows:,} ({pairs:,} client months)",
            f"{rss / 1024:.0f} → {peak / 1024:.0f}",
        )
    console.print(table)
    if compared:
        versus = Table(title=f"full recompute + commit, {args.baseline_ref} vs this code, alternately")
        for column in ("code", "runs s (load average 1/5/15 min before each)", "best s", "best vs this code"):
            versus.add_column(column, justify="right")
        best = {code: min(s for c, _, s, _, _ in compared if c == code) for code, *_ in compared}
        for code in best:
            runs = ", ".join(f"{s:.2f} ({load})" for c, _, s, load, _ in compared if c == code)
            versus.add_row(code, runs, f"{best[code]:.2f}", f"{best[code] / best['this code']:.2f}")
        console.print(versus)
        same = len({md5 for *_, md5 in compared} | {first[-1], second[-1]}) == 1
        console.print(f"every run's ledger rows equal (md5 {first[-1][:8]}…): {same}")
    console.print(f"plans: {plan_path}")
    for line in notes:
        console.print("  " + line, markup=False)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", choices=("throughput", "recompute"))
    parser.add_argument("--entries", type=int, default=20000, help="time entries published (throughput)")
    parser.add_argument("--batch-sizes", type=lambda s: [int(x) for x in s.split(",")], default=[200, 1000])
    parser.add_argument("--tp-clients", type=int, default=200)
    parser.add_argument("--tp-technicians", type=int, default=20)
    parser.add_argument("--tp-months", type=int, default=3)
    parser.add_argument("--clients", type=int, default=1000, help="full recompute: clients")
    parser.add_argument("--months", type=int, default=24, help="full recompute: months from 2024-01")
    parser.add_argument("--per-month", type=int, default=210, help="time entries per client month")
    parser.add_argument("--technicians", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the recompute database")
    parser.add_argument("--database", help="reuse a database kept by --keep (not loaded again)")
    parser.add_argument(
        "--baseline-ref", help="also time store/ledger.py as at this git ref, alternately with this code"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each code with --baseline-ref")
    args = parser.parse_args()
    if args.only != "recompute":
        asyncio.run(bench_throughput(args))
    if args.only != "throughput":
        bench_recompute(args)


if __name__ == "__main__":
    main()
