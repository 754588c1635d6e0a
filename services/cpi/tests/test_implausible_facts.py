"""A time entry dated 0001-01-01 once grew CPI's month calendar from 6 rows to 24,294. The runtime's
plausibility window now dead-letters it, saying why, and CPI's state does not move."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import Session

from cpi.store.tables import LedgerMonth, LedgerRow

sys.path.insert(0, str(Path(__file__).parent))
from cpi_ledger_facts import T0, at, tick, time_entry
from test_ledger_service import Running, january, start

CLOCK = datetime(2026, 5, 31, 0, 0, tzinfo=UTC)
TOPIC = "dlt.cpi.psa.time_entry.logged"


def counts(cpi: Running) -> tuple[int, int]:
    with Session(cpi.service.engine) as session:
        months = session.execute(select(func.count()).select_from(LedgerMonth)).scalar_one()
        rows = session.execute(select(func.count()).select_from(LedgerRow)).scalar_one()
    return months, rows


def dead_letters(cpi: Running) -> list[dict[str, str]]:
    return [
        {k: v.decode() for k, v in record.headers if k.startswith("x-dlt-") or k == "ce_id"}
        for record in cpi.system.bus.records(TOPIC)
    ]


async def test_a_time_entry_dated_year_one_is_dead_lettered_and_the_calendar_does_not_grow(
    tmp_path: Path,
) -> None:
    async for cpi in start(tmp_path / "cpi.db"):
        await cpi.deliver(*january(), tick(CLOCK))
        before = counts(cpi)
        year_one = at(datetime(1, 1, 1, 9, tzinfo=UTC), time_entry("E-9", "3", date(1, 1, 1)))
        await cpi.deliver(year_one)
        [dead] = dead_letters(cpi)
        assert dead["ce_id"] == year_one.id
        assert dead["x-dlt-reason"] == "implausible-time"
        assert dead["x-dlt-detail"].startswith(
            "work_date 0001-01-01 is more than 10 years before the service clock 2026-05-31; "
            "check the source system's export"
        )
        assert counts(cpi) == before
        assert (
            cpi.count("msp_events_dead_lettered", type="psa.time_entry.logged", reason="implausible-time")
            == 1
        )


async def test_before_any_tick_the_event_time_is_the_reference(tmp_path: Path) -> None:
    async for cpi in start(tmp_path / "cpi.db"):
        await cpi.deliver(*january())
        before = counts(cpi)
        # an export that stamped today's time on a typo'd work date; no clock has ticked yet
        typo = at(T0 + timedelta(days=7), time_entry("E-9", "3", date(1026, 1, 12)))
        plausible = at(T0 + timedelta(days=8), time_entry("E-10", "1", date(2026, 1, 12)))
        await cpi.deliver(typo, plausible)
        [dead] = dead_letters(cpi)
        assert dead["x-dlt-detail"].startswith(
            "work_date 1026-01-12 is more than 10 years before the event's time 2026-01-12"
        )
        assert counts(cpi)[0] == before[0]  # the good entry went in, the calendar stayed
        assert cpi.row("A-1", "2026-01")["labour_hours"] == 5
