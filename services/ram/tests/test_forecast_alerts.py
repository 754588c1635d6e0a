"""Forecast utilisation alerts: booked work projects a technician or team into a band before it closes."""

from __future__ import annotations

import random
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from msp_events import Envelope
from msp_events.testing.replay import replay

from ram.app import create_service
from ram.domain.utilisation import Bands, Booked, Entry, forecast_band, period_of, projected, spread
from ram.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from ram_facts import MON, at, entry, tech, tick, ticket, visit

THU = MON + timedelta(days=3)
FRI = MON + timedelta(days=4)


def test_a_hand_worked_projection() -> None:
    week = period_of("week", MON)
    logged = [Entry(MON, Decimal(4), absence=False, client_work=True, client_id="C1")]
    booked = [Booked(FRI, Decimal(1), "C1"), Booked(MON + timedelta(days=7), Decimal(8), "C1")]
    m = projected(Decimal(8), logged, booked, week)
    # 4 h logged + 1 h booked on Friday (next Monday's 8 h is another week) over 5 x 8 = 40 h
    assert (m.billable_hours, m.available_hours, m.utilisation_pct) == (
        Decimal(5),
        Decimal(40),
        Decimal("12.5"),
    )
    # under is only foreseen in the last two working days, over at any time
    assert forecast_band(m, Bands(), MON, week, 2) is None
    assert forecast_band(m, Bands(), THU, week, 2) == "under"
    busy = projected(Decimal(8), [], [Booked(THU, Decimal(36))], week)
    assert forecast_band(busy, Bands(), MON, week, 2) == "over"


def booked_week() -> tuple[list[Envelope[Any]], list[Envelope[Any]]]:
    """Facts before Monday's tick, then before Thursday's (hand-worked in the test)."""
    before_monday = [
        tech("T1", 60),
        tech("T2", 40),
        ticket("TK1", "T1", "30"),  # fix-by Thursday
        ticket("TK2", "T1", "6"),
        ticket("TK3", "T2", None),  # no estimate: its visit books the hours
        entry("T2", MON, "4"),
    ]
    before_thursday = [visit("V1", FRI, 9, 12, 51.5, -0.1, sent=entry("T2", MON, "4").time, ticket_id="TK3")]
    return before_monday, before_thursday


def forecasts(outputs: list[Envelope[Any]]) -> list[tuple[str, str, str, str, Decimal]]:
    return sorted(
        (
            a.data.technician_id,
            a.data.granularity,
            str(a.data.period_start),
            a.data.kind,
            a.data.utilisation_pct,
        )
        for a in outputs
        if a.type == "resource.utilization.alert" and a.data.basis == "forecast"
    )


async def run(tmp_path: Path, name: str, log: list[Envelope[Any]]) -> list[Envelope[Any]]:
    result = await replay(
        create_service,
        Settings(MSP_TRANSPORT="inprocess"),
        log,
        database_url=f"sqlite:///{tmp_path}/{name}.db",
    )
    assert result.dead_letters == []
    return result.outputs


async def test_booked_work_raises_forecast_alerts_once_before_the_week_closes(tmp_path: Path) -> None:
    first, second = booked_week()
    log = [*first, tick(MON), tick(MON + timedelta(days=1)), *second, tick(THU), tick(FRI)]
    outputs = await run(tmp_path, "a", log)
    # Monday: T1 books 30 + 6 = 36 of 40 h = 90 % (over). T2 logged 4 of 40 h = 10 %, the team
    # (36 + 4) / 80 = 50 %: both under, but five working days are left, so not yet foreseen.
    # Thursday (two working days left): T2 4 h + the 1 h visit of its ticket = 12.5 %; the team
    # 41 / 80 = 51.25 -> 51.3 %. The month (21 working days, 168 h each) is never close enough.
    # T1 stays over on Tuesday, Thursday and Friday: not warned again.
    assert sorted(forecasts(outputs)) == [
        ("T1", "week", "2026-11-02", "over", Decimal("90.0")),
        ("T2", "week", "2026-11-02", "under", Decimal("12.5")),
        ("team:Engineer", "week", "2026-11-02", "under", Decimal("51.3")),
    ]
    over = next(a.data for a in outputs if a.data.technician_id == "T1")
    assert over.change == "entered" and over.threshold_pct == Decimal(85)
    assert over.billable_hours == Decimal(36) and over.client_hours[0].hours == Decimal(36)
    assert "projected to enter the burnout-risk band in 2026-W45" in over.summary
    assert "36.00 h of booked work still ahead" in over.summary
    assert all(a.time.date() in (MON, THU) for a in outputs if a.data.basis == "forecast")


async def test_forecast_alerts_do_not_depend_on_the_order_facts_arrive_in(tmp_path: Path) -> None:
    first, second = booked_week()
    expected = forecasts(await run(tmp_path, "a", [*first, tick(MON), *second, tick(THU)]))
    rng = random.Random(7)
    for n in range(2):
        a, b = first[2:], list(second)
        rng.shuffle(a)
        log = [*first[:2], *a, tick(MON), *b, tick(THU)]
        assert forecasts(await run(tmp_path, f"s{n}", log)) == expected


def test_remaining_work_is_spread_over_the_working_days_until_fix_by() -> None:
    # Monday to Thursday: four working days
    assert spread(Decimal(10), MON, THU) == [(MON + timedelta(days=d), Decimal("2.5")) for d in range(4)]
    # Monday to the next Monday: six working days (the weekend books nothing); the last takes the rest
    shares = spread(Decimal(10), MON, MON + timedelta(days=7))
    assert [d.weekday() for d, _ in shares] == [0, 1, 2, 3, 4, 0]
    assert [h for _, h in shares] == [Decimal("1.66")] * 5 + [Decimal("1.70")]
    assert sum(h for _, h in shares) == Decimal(10)
    # overdue or no fix-by: today; due on a weekend seen from the weekend: that day
    assert spread(Decimal(3), THU, MON) == spread(Decimal(3), THU, None) == [(THU, Decimal(3))]
    sat = MON + timedelta(days=5)
    assert spread(Decimal(3), sat, sat + timedelta(days=1)) == [(sat + timedelta(days=1), Decimal(3))]


def later(original: Envelope[Any], day: date, **changes: Any) -> Envelope[Any]:
    """The PSA re-sends a ticket on ``day`` with some fields changed."""
    data = original.data.model_copy(update={**changes, "updated_at": at(day, 6)})
    return Envelope.build(data, source="psa.connectwise", time=at(day, 6))


def week_forecasts(outputs: list[Envelope[Any]]) -> list[tuple[str, str, str, str, str, Decimal]]:
    """(day, technician, kind, change, status, utilisation) of the week's forecast alerts, in order."""
    return [
        (
            str(a.time.date()),
            a.data.technician_id,
            a.data.kind,
            a.data.change,
            a.data.status,
            a.data.utilisation_pct,
        )
        for a in outputs
        if a.type == "resource.utilization.alert"
        and a.data.basis == "forecast"
        and a.data.granularity == "week"
    ]


async def test_a_forecast_is_withdrawn_when_the_booking_changes_and_raised_again(tmp_path: Path) -> None:
    first, _ = booked_week()
    tk1 = first[2]
    tue, wed = MON + timedelta(days=1), MON + timedelta(days=2)
    log = [
        *first,
        tick(MON),  # T1: 30 h + 6 h of 40 = 90 %: over
        later(tk1, tue, estimated_hours=Decimal(10)),
        tick(tue),  # T1: 10 h (spread Tuesday to Thursday) + 6 h = 16 of 40 = 40 %: withdrawn
        later(tk1, wed, estimated_hours=Decimal(30)),
        tick(wed),  # 36 h again: raised again
    ]
    outputs = await run(tmp_path, "w", log)
    assert [f for f in week_forecasts(outputs) if f[1] == "T1"] == [
        ("2026-11-02", "T1", "over", "entered", "open", Decimal("90.0")),
        ("2026-11-03", "T1", "over", "left", "withdrawn", Decimal("40.0")),
        ("2026-11-04", "T1", "over", "entered", "open", Decimal("90.0")),
    ]
    withdrawn = next(a.data for a in outputs if a.data.status == "withdrawn")
    assert withdrawn.billable_hours == Decimal(16) and withdrawn.client_hours[0].hours == Decimal(16)
    assert withdrawn.summary.startswith(
        "Tech T1 is no longer projected to enter the burnout-risk band in 2026-W45"
    )
    assert "16 h of booked work still ahead" in withdrawn.summary or "16.00 h" in withdrawn.summary


async def test_work_due_next_week_and_rams_own_assignments_are_booked(tmp_path: Path) -> None:
    next_friday = at(MON + timedelta(days=11))
    log = [
        tech("T1", 60),
        tech("T2", 40),
        # PSA-assigned, due next Friday: 70 h over ten working days, 35 h of them this week
        later(ticket("TK5", "T1", "70"), MON - timedelta(days=3), fix_by=next_friday),
        # nobody holds it: RAM assigns it (T2 is the only one with room) and books it
        ticket("TK6", None, "35"),
        tick(MON),
    ]
    outputs = await run(tmp_path, "b", log)
    [assigned] = [e.data for e in outputs if e.type == "resource.assignment.made"]
    assert (assigned.work_id, assigned.technician_id) == ("TK6", "T2")
    # T1 35 of 40 h and T2 35 of 40 h: 87.5 %, both over, and the team (70 of 80 h)
    assert sorted(week_forecasts(outputs)) == [
        ("2026-11-02", "T1", "over", "entered", "open", Decimal("87.5")),
        ("2026-11-02", "T2", "over", "entered", "open", Decimal("87.5")),
        ("2026-11-02", "team:Engineer", "over", "entered", "open", Decimal("87.5")),
    ]
