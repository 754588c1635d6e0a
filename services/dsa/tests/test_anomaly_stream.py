"""Daily detection in the service: each midnight tick judges only the days booked since the last
run, from the detector state it kept, and must find exactly what one run over the whole stored
history finds, and what ``msp-dsa anomalies`` finds on the same series.

One department, two vendors, 200 days from Monday 5 January 2026 (weekdays 130, weekends 100,
noise 5): a spike on day 100 (a Wednesday), a level shift of +60 a day on the second vendor from
day 140, a third vendor first seen on day 120 (a new series), and one late expense (day 90,
booked after the day-150 tick: the source is judged whole again).
"""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from msp_events import Envelope, Money
from msp_events.testing.replay import replay
from msp_events.types.finance import ExpenseRecorded
from msp_events.types.platform import ClockTicked

from dsa import cli
from dsa.app import create_service
from dsa.settings import Settings

START = date(2026, 1, 5)
DAYS = 200
SPIKE, SHIFT, NEW_VENDOR, LATE_DAY, LATE_AFTER = 100, 140, 120, 90, 150
DEPT = "Service Delivery"


def midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def expense(key: str, day: date, vendor: str, amount: float, booked: datetime) -> Envelope[Any]:
    data = ExpenseRecorded(
        expense_id=key,
        expense_date=day,
        department=DEPT,
        vendor=vendor,
        category="Software",
        amount=Money(amount=Decimal(f"{amount:.2f}"), currency="USD"),
    )
    return Envelope.build(data, source="finance.odoo", time=booked)


def facts() -> list[tuple[date, Envelope[Any]]]:
    """Every expense with its booking day, in booking order (the late one included)."""
    rng = np.random.default_rng(5)
    out = []
    for i in range(DAYS):
        day = START + timedelta(days=i)
        booked = midnight(day) + timedelta(hours=18)
        base = 100 + 30 * (day.weekday() < 5)
        microsoft = base + rng.normal(0, 5) + (400 if i == SPIKE else 0)
        contoso = 0.4 * base + rng.normal(0, 3) + (60 if i >= SHIFT else 0)
        out.append((day, expense(f"M{i}", day, "Microsoft", microsoft, booked)))
        out.append((day, expense(f"C{i}", day, "Contoso", contoso, booked)))
        if i >= NEW_VENDOR:
            out.append((day, expense(f"F{i}", day, "Fabrikam", 5 + rng.normal(0, 0.5), booked)))
        if i == LATE_AFTER:
            late_day = START + timedelta(days=LATE_DAY)
            out.append((day, expense("LATE", late_day, "Microsoft", 7.0, booked + timedelta(hours=7))))
    return out


def tick(day: date) -> Envelope[ClockTicked]:
    return Envelope.build(
        ClockTicked(now=midnight(day), granularity="day"), source="msp.clock", time=midnight(day)
    )


def daily_log() -> list[Envelope[Any]]:
    """A tick at every midnight after the day's expenses: the service judges day by day."""
    log: list[Envelope[Any]] = []
    booked = facts()
    for i in range(DAYS):
        day = START + timedelta(days=i)
        log += [e for d, e in booked if d == day]
        log.append(tick(day + timedelta(days=1)))
    return log


def at_once_log() -> list[Envelope[Any]]:
    """The same facts and a single tick at the end: one run over the whole stored history."""
    return [e for _, e in facts()] + [tick(START + timedelta(days=DAYS))]


def last_state(outputs: list[Envelope[Any]]) -> dict[str, dict[str, Any]]:
    """Each anomaly as last published (what the anomalies table holds)."""
    return {
        e.data.anomaly_id: e.data.model_dump(exclude={"summary"})
        for e in outputs
        if e.type == "spend.anomaly.detected"
    }


async def _run(log: list[Envelope[Any]], db: Path) -> list[Envelope[Any]]:
    result = await replay(
        create_service, Settings(MSP_TRANSPORT="inprocess"), log, database_url=f"sqlite:///{db}"
    )
    assert result.dead_letters == []
    return result.outputs


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Envelope[Any]], list[Envelope[Any]]]:
    tmp = tmp_path_factory.mktemp("stream")
    return asyncio.run(_run(daily_log(), tmp / "daily.db")), asyncio.run(_run(at_once_log(), tmp / "once.db"))


def test_daily_runs_find_what_one_run_over_the_whole_history_finds(
    runs: tuple[list[Envelope[Any]], list[Envelope[Any]]],
) -> None:
    daily, once = runs
    found = last_state(daily)
    assert found == last_state(once)
    shapes = {(a["dimension"], a["vendor"], a["shape"], a["period_start"]) for a in found.values()}
    assert ("vendor", "Microsoft", "spike", START + timedelta(days=SPIKE)) in shapes
    assert ("vendor", "Contoso", "level_shift", START + timedelta(days=SHIFT)) in shapes


def test_a_spike_is_published_on_the_tick_after_its_day(
    runs: tuple[list[Envelope[Any]], list[Envelope[Any]]],
) -> None:
    daily, _ = runs
    spike_day = START + timedelta(days=SPIKE)
    first = {}
    for e in daily:
        if e.type == "spend.anomaly.detected":
            first.setdefault((e.data.dimension, e.data.period_start), e)
    opened = first[("vendor", spike_day)]
    assert opened.time == midnight(spike_day + timedelta(days=1)) and opened.data.status == "open"
    shift = first[("vendor", START + timedelta(days=SHIFT))]
    assert shift.time == midnight(START + timedelta(days=SHIFT + 1))


def test_the_service_finds_what_the_cli_finds_on_the_same_series(
    runs: tuple[list[Envelope[Any]], list[Envelope[Any]]], tmp_path: Path
) -> None:
    daily, _ = runs
    spend: dict[tuple[str, date], Decimal] = {}
    for _, e in facts():
        key = (e.data.vendor, e.data.expense_date)
        spend[key] = spend.get(key, Decimal(0)) + e.data.amount.amount
    series = tmp_path / "spend.csv"
    with series.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["vendor", "day", "spend"])
        for vendor in ("Microsoft", "Contoso"):  # from the service's first day, zeros included
            for i in range(DAYS):
                day = START + timedelta(days=i)
                out.writerow([vendor, day.isoformat(), spend.get((vendor, day), Decimal(0))])
    found = tmp_path / "anomalies.csv"
    args = ["anomalies", "--csv", str(series), "--time-col", "day", "--value-col", "spend"]
    assert cli.main([*args, "--series-col", "vendor", "--out", str(found)]) == 0
    with found.open() as handle:
        by_cli = {
            (r["series"], r["start"][:10], r["end"][:10]): (Decimal(r["expected"]), Decimal(r["actual"]))
            for r in csv.DictReader(handle)
            if Decimal(r["actual"]) > Decimal(r["expected"])  # the service publishes increases
        }
    by_service = {
        (a["vendor"], a["period_start"].isoformat(), a["period_end"].isoformat()): (
            a["expected"]["amount"],
            a["actual"]["amount"],
        )
        for a in last_state(daily).values()
        if a["dimension"] == "vendor" and a["vendor"] in ("Microsoft", "Contoso")
    }
    assert by_service.keys() == by_cli.keys() and len(by_cli) >= 2
    for key, (expected, actual) in by_service.items():  # cents against the CLI's 4 places
        assert abs(expected - by_cli[key][0]) <= Decimal("0.005")
        assert abs(actual - by_cli[key][1]) <= Decimal("0.005")
