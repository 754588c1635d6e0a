"""Margin alerts an owner can rely on (issue 10), replayed end to end.

The hand-built MSP: Contoso (fee 2,500 a month, labour at 50/h) at 52.10 % in January falls to
17.46 % in February on a jump in labour (23.95 h -> 41.27 h), stays there in March, recovers to
31 % in April, and late time entries logged in May (7 h worked on 20 April) take April to 17 %.
Fabrikam (fee 2,000, 14 h: 65 %) never moves. Each month is invoiced on its last day; the clock
ticks on the 15th and on the 7th after each month (April's grace ends on 6 May).

Hand-worked, what CPI must publish:

* February (tick 7 March): 17.46 % critical from 52.10 % healthy, *down*, drivers labour cost
  -866.00 first: 22.54 points under the healthy/thin boundary it left (only 2.54 inside critical,
  which hid it before), with one month of history (no trailing mean yet);
* March (7 April): held at 17.46 %: not a crossing (settled critical) but the trailing mean holds
  (17.46 % over February + March against 52.10 %, 1,732 of profit lost) and it is a problem
  client (two months below 20 %); its bridge shows the unchanged lines (change 0);
* April (7 May): 31.00 % thin from 17.46 %, *up*, 11 points past the critical/thin boundary;
* the late entries (10 May): April re-judged at (2500 - 2075) / 2500 = 17.00 %, critical: a
  correction of the published 31 %, dated no earlier than it.

The same log, published as a backlog in many orders (ticks first, partitions interleaved by seed),
at batch sizes 1 and 500, gives the same events, ids included, and the same tables; so does Kafka
with several partitions per topic.
"""

from __future__ import annotations

import os
import random
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aiokafka.partitioner import murmur2

from msp_events import Envelope, eventlog
from msp_events.testing.replay import ReplayResult, assert_matches_golden, diff_events, replay

from cpi.app import create_service
from cpi.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from cpi_ledger_facts import agreement, at, client, invoice, line, technician, tick, time_entry

GOLDEN = Path(__file__).parent / "golden"
LOG = GOLDEN / "collapse_input.jsonl"
EXPECTED = GOLDEN / "collapse_profitability_changed.jsonl"
START = datetime(2026, 1, 2, 9, tzinfo=UTC)
D = Decimal
MONTHS = [date(2026, m, 1) for m in (1, 2, 3, 4)]
HOURS = {"C-1": [("12", "11.95"), ("20", "21.27"), ("20", "21.27"), ("17", "17.5")], "C-2": [("7", "7")] * 4}
FEES = {"C-1": "2500", "C-2": "2000"}


def _end(first: date) -> date:
    return (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)


def scenario() -> list[Envelope[Any]]:
    """The log above, in event-time order (as a recorder writes it)."""
    events: list[Envelope[Any]] = [
        at(START, client("C-1", "Contoso")),
        at(START, client("C-2", "Fabrikam")),
        at(START, technician("T-1")),
        at(START, agreement("A-1", "C-1", fee=FEES["C-1"])),
        at(START, agreement("A-2", "C-2", fee=FEES["C-2"])),
    ]
    for i, first in enumerate(MONTHS):
        end = _end(first)
        for client_id, agreement_id in (("C-1", "A-1"), ("C-2", "A-2")):
            for n, hours in enumerate(HOURS[client_id][i]):
                worked = first.replace(day=10 + n)
                logged = datetime(worked.year, worked.month, worked.day, 17, tzinfo=UTC)
                entry = time_entry(f"E-{client_id}-{i}-{n}", hours, worked, client_id, "T-1", agreement_id)
                events.append(at(logged, entry))
        events.append(tick(datetime(first.year, first.month, 15, tzinfo=UTC)))
        for client_id, agreement_id in (("C-1", "A-1"), ("C-2", "A-2")):
            fee_line = line("agreement_fee", FEES[client_id], agreement_id, period=(first, end))
            billed = datetime(end.year, end.month, end.day, 18, tzinfo=UTC)
            events.append(
                at(billed, invoice(f"I-{client_id}-{i}", end, [fee_line], client_id), source="test.billing")
            )
        events.append(tick(datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=7)))
    late = time_entry("E-C-1-late", "7", date(2026, 4, 20), "C-1", "T-1", "A-1")
    events.append(at(datetime(2026, 5, 10, 8, tzinfo=UTC), late))
    events.append(tick(datetime(2026, 5, 15, tzinfo=UTC)))
    return events


def settings(**more: Any) -> Settings:
    return Settings(MSP_TRANSPORT="inprocess", **more)


def margin_events(result: ReplayResult) -> list[Envelope[Any]]:
    return [e for e in result.outputs if e.type == "client.profitability.changed"]


@pytest.fixture(scope="module")
def log() -> Path:
    if os.environ.get("MSP_UPDATE_GOLDEN", "").lower() in ("1", "true", "yes") or not LOG.exists():
        eventlog.write(scenario(), LOG)
    return LOG


async def test_a_collapse_is_news_the_month_it_happens_and_a_late_fact_corrects_april(
    log: Path, tmp_path: Path
) -> None:
    result = await replay(create_service, settings(), log, database_url=f"sqlite:///{tmp_path}/cpi.db")
    assert result.dead_letters == []
    events = margin_events(result)
    assert_matches_golden(events, EXPECTED)
    got = [
        (
            *(e.data.client_id, e.data.period, e.data.gross_margin_pct, e.data.previous_band, e.data.band),
            *(e.data.settled_band, e.data.direction, e.data.problem_client, e.time),
        )
        for e in events
    ]
    may7 = datetime(2026, 5, 7, tzinfo=UTC)
    assert got == [
        (
            "C-1",
            "2026-02",
            D("17.46"),
            "healthy",
            "critical",
            "healthy",
            "down",
            False,
            datetime(2026, 3, 7, tzinfo=UTC),
        ),
        (
            "C-1",
            "2026-03",
            D("17.46"),
            "critical",
            "critical",
            "critical",
            "down",
            True,
            datetime(2026, 4, 7, tzinfo=UTC),
        ),
        ("C-1", "2026-04", D("31.00"), "critical", "thin", "critical", "up", False, may7),
        (
            "C-1",
            "2026-04",
            D("17.00"),
            "critical",
            "critical",
            "critical",
            "down",
            True,
            datetime(2026, 5, 10, 8, tzinfo=UTC),
        ),
    ]
    february, march, _, correction = (e.data for e in events)
    assert [(d.line, d.change.amount) for d in february.drivers] == [
        ("labour_cost", D("-866.00")),  # 1197.50 -> 2063.50
        ("agreement_fee", D("0.00")),
    ]
    assert february.summary == (
        "Contoso's gross margin for 2026-02 fell from 52.10% (healthy) to 17.46% (critical); biggest "
        "driver: labour cost 1197.50 -> 2063.50 (23.95 h -> 41.27 h) (-866.00)."
    )
    assert march.summary.startswith("Contoso's gross margin for 2026-03 held at 17.46% (critical)")
    assert [d.change.amount for d in march.drivers] == [D(0), D(0)]
    assert "correcting the 31.00% (thin) published before" in correction.summary
    assert correction.drivers[0].line == "labour_cost"  # 1725 -> 2075 vs March's 2063.50: -11.50


async def test_a_correction_is_never_dated_before_the_judgement_it_corrects(tmp_path: Path) -> None:
    # the late entries arrive after April was published (7 May) but carry an April event time
    # (a source that was offline): the correction takes the time of the event it corrects
    events = [e for e in scenario() if e.time <= datetime(2026, 5, 7, tzinfo=UTC)]
    late = time_entry("E-C-1-late", "7", date(2026, 4, 20), "C-1", "T-1", "A-1")
    events.append(at(datetime(2026, 4, 28, 8, tzinfo=UTC), late))
    result = await replay(create_service, settings(), events, database_url=f"sqlite:///{tmp_path}/cpi.db")
    april = {e.data.gross_margin_pct: e for e in margin_events(result) if e.data.period == "2026-04"}
    assert sorted(april) == [D("17.00"), D("31.00")]
    published, correction = april[D("31.00")], april[D("17.00")]
    assert correction.time == published.time == datetime(2026, 5, 7, tzinfo=UTC)
    assert correction.causationid == events[-1].id


# -- order independence ----------------------------------------------------------------------------


def _partition(event: Envelope[Any]) -> tuple[str, int]:
    key = (event.partitionkey or "").encode()
    return event.spec.topic, int(murmur2(key) & 0x7FFFFFFF) % event.spec.partitions


def interleaved(events: list[Envelope[Any]], seed: int) -> list[Envelope[Any]]:
    """The log's partitions (topic, murmur2(key) % partitions, as the broker assigns them) merged
    in a random order: every partition keeps its own order, topics and partitions are shuffled."""
    queues: dict[tuple[str, int], list[Envelope[Any]]] = {}
    for e in events:
        queues.setdefault(_partition(e), []).append(e)
    rng, out = random.Random(seed), []
    while queues:
        name = rng.choice(sorted(queues))
        out.append(queues[name].pop(0))
        if not queues[name]:
            del queues[name]
    return out


def ticks_first(events: list[Envelope[Any]]) -> list[Envelope[Any]]:
    return [e for e in events if e.type == "clock.ticked"] + [e for e in events if e.type != "clock.ticked"]


def assert_same(reference: ReplayResult, run: ReplayResult, label: str) -> None:
    assert run.dead_letters == reference.dead_letters == [], label
    diff = diff_events(reference.outputs, run.outputs, match="id")
    assert diff.is_equal, f"{label}: {diff.render()}"
    assert [eventlog.dumps(e) for e in run.outputs] == [eventlog.dumps(e) for e in reference.outputs], label
    for table, rows in reference.state.items():
        assert run.state[table] == rows, f"{label}: table {table} differs"


_REFERENCE: dict[str, ReplayResult] = {}


async def reference_run(log: Path, tmp: Path) -> ReplayResult:
    """The log handled in its own order (computed once per session)."""
    if "log" not in _REFERENCE:
        url = f"sqlite:///{tmp}/reference.db"
        _REFERENCE["log"] = await replay(create_service, settings(), log, database_url=url, snapshot=True)
    return _REFERENCE["log"]


ORDERS = ["ticks-first", "seed-1", "seed-2", "seed-3", "seed-4"]


@pytest.mark.parametrize("batch_size", [1, 500])
@pytest.mark.parametrize("order", ORDERS)
async def test_the_log_in_any_backlog_order_gives_the_same_events_and_ledger(
    order: str, batch_size: int, log: Path, tmp_path: Path
) -> None:
    reference = await reference_run(log, tmp_path)
    events = list(eventlog.read(log))
    fed = ticks_first(events) if order == "ticks-first" else interleaved(events, int(order.split("-")[1]))
    assert fed != events
    run = await replay(
        create_service,
        settings(CONSUMER_BATCH_SIZE=batch_size, CONSUMER_FETCH_SIZE=min(batch_size, 7)),
        fed,
        database_url=f"sqlite:///{tmp_path}/cpi.db",
        order="backlog",
        snapshot=True,
    )
    assert len(margin_events(run)) == 4
    assert_same(reference, run, f"{order} batch {batch_size}")


@pytest.mark.integration
async def test_on_kafka_with_several_partitions_a_shuffled_backlog_gives_the_same_events(
    log: Path, tmp_path: Path, kafka_bootstrap: str, postgres_url: str
) -> None:
    reference = await reference_run(log, tmp_path)
    run = await replay(
        create_service,
        Settings(CONSUMER_BATCH_SIZE=500),
        interleaved(list(eventlog.read(log)), 5),
        transport="kafka",
        kafka_bootstrap=kafka_bootstrap,
        database_url=postgres_url,
        order="backlog",
        snapshot=True,
        timeout_s=300,
    )
    assert_same(reference, run, "Kafka + PostgreSQL")


async def test_the_problem_client_flag_is_in_the_api(log: Path, tmp_path: Path) -> None:
    from test_ledger_service import start

    async for running in start(tmp_path / "cpi.db"):
        await running.deliver(*eventlog.read(log))
        async with running.http() as http:
            listed = {c["client_id"]: c for c in (await http.get("/clients")).json()}
            months = (await http.get("/clients/C-1/profitability")).json()["months"]
        # April (17.00 % after the late entries) after March (17.46 %): a problem client
        assert (listed["C-1"]["month"], listed["C-1"]["problem_client"]) == ("2026-04", True)
        assert listed["C-2"]["problem_client"] is False  # 65 % every month
        assert [(m["month"], m["problem_client"]) for m in months] == [
            ("2026-01", False),  # no previous month
            ("2026-02", False),  # 17.46 % after 52.10 %
            ("2026-03", True),
            ("2026-04", True),
        ]


async def test_the_owner_dashboard_gauges_count_clients_per_band_of_the_last_closed_month(
    log: Path, tmp_path: Path
) -> None:
    from test_ledger_service import start

    async for running in start(tmp_path / "cpi.db"):
        async with running.metrics_http() as http:
            before = (await http.get("/metrics")).text
        await running.deliver(*eventlog.read(log))
        async with running.metrics_http() as http:
            after = (await http.get("/metrics")).text
    gauge = 'msp_business_value{{gauge="clients_in_band",label="{}",service="cpi"}} {}'
    # nothing closed yet: every band reported, all zero
    assert all(gauge.format(band, "0.0") in before for band in ("strong", "healthy", "thin", "critical"))
    assert 'msp_business_read_ok{service="cpi"} 1.0' in after
    # April is the last closed month: Contoso at 17.00 % (critical), Fabrikam at 65 % (strong)
    for band, count in (("strong", 1), ("healthy", 0), ("thin", 0), ("critical", 1)):
        assert gauge.format(band, f"{count}.0") in after, band
    # the platform clock's progress, for the "clock stopped" alert: the latest tick read (15 May)
    assert "msp_clock_last_tick_timestamp_seconds 0.0" in before
    assert "msp_clock_last_tick_timestamp_seconds 1.7788032e+09" in after  # 2026-05-15T00:00Z
