"""Forecast utilisation alerts: booked work projects a technician or team into a band before it closes."""

from __future__ import annotations

import random
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from msp_events import Envelope
from msp_events.testing.replay import replay

from ram.app import create_service
from ram.domain.utilisation import Bands, Booked, Entry, forecast_band, period_of, projected
from ram.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from ram_facts import MON, entry, tech, tick, ticket, visit

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
