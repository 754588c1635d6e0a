"""RAM's allocation advice in the running service: ``resource.allocation.recommended``, the
ticket updates that show a move acted on, the hours logged on the moved ticket and the
technicians' cost rates give the hand-worked ``GET /roi?agent=ram``, whatever order they arrive in."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from msp_events import Envelope, Money
from msp_events.testing.service import RunningService, running_service
from msp_events.types.agents import ResourceAllocationRecommended
from msp_events.types.platform import ClockTicked
from msp_events.types.psa import TicketUpdated

from dsa import api
from dsa.app import create_service
from dsa.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from dsa_facts import allocation_move as move
from dsa_facts import technician, time_entry


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def ticket(ticket_id: str, day: date, hour: int, technician: str) -> Envelope[TicketUpdated]:
    data = TicketUpdated(
        ticket_id=ticket_id,
        client_id="C-7",
        board="Service Desk",
        priority="p3",
        status="in_progress",
        opened_at=at(date(2026, 3, 1), 8),
        updated_at=at(day, hour),
        assigned_technician_id=technician,
    )
    return Envelope.build(data, source="psa.halo", time=at(day, hour))


def history() -> list[Envelope[Any]]:
    """C-7's margin fell in February; RAM advises on 10 March to move T-1 (310 a month), T-2 (270)
    and a visit (40) from TECH-A to TECH-B: 620 a month. T-1 is assigned to TECH-B on 17 March, T-2
    never is. TECH-A costs 60 an hour (70 from 1 April), TECH-B 40. Hours on T-1: TECH-A 2 on 12
    March (before the move), TECH-B 2 on 18 March (logged as 3, corrected to 2), TECH-B 3 on 2
    April; TECH-A 4 on T-2. The clock stops at 30 April."""
    advice = ResourceAllocationRecommended(
        client_id="C-7",
        period="2026-02",
        gross_margin_pct=Decimal("18.5"),
        monthly_saving=usd("620"),
        moves=[move("T-1", "ticket", "310"), move("T-2", "ticket", "270"), move("V-1", "visit", "40")],
        summary="move 3 pieces of C-7's work to cheaper qualified hands: 620 a month",
    )
    return [
        technician("TECH-A", (date(2026, 1, 1), "60"), (date(2026, 4, 1), "70"), at=at(date(2026, 1, 2), 8)),
        technician("TECH-B", (date(2026, 1, 1), "40"), at=at(date(2026, 1, 2), 8)),
        time_entry("E-1", "T-1", "TECH-A", date(2026, 3, 12), "2", at(date(2026, 3, 12), 17)),
        time_entry("E-2", "T-1", "TECH-B", date(2026, 3, 18), "3", at(date(2026, 3, 18), 17)),
        time_entry("E-2", "T-1", "TECH-B", date(2026, 3, 18), "2", at(date(2026, 3, 19), 9)),
        time_entry("E-3", "T-1", "TECH-B", date(2026, 4, 2), "3", at(date(2026, 4, 2), 17)),
        time_entry("E-4", "T-2", "TECH-A", date(2026, 3, 21), "4", at(date(2026, 3, 21), 17)),
        ticket("T-1", date(2026, 3, 2), 9, "TECH-A"),
        ticket("T-2", date(2026, 3, 2), 9, "TECH-A"),
        Envelope.build(advice, source="msp.ram", time=at(date(2026, 3, 10), 9)),
        ticket("T-1", date(2026, 3, 17), 11, "TECH-B"),
        ticket("T-2", date(2026, 3, 20), 11, "TECH-A"),
        Envelope.build(
            ClockTicked(now=at(date(2026, 4, 30), 0), granularity="day"),
            source="msp.clock",
            time=at(date(2026, 4, 30), 0),
        ),
    ]


@pytest.fixture
async def dsa(tmp_path: Path) -> AsyncIterator[RunningService]:
    settings = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{tmp_path / 'dsa.db'}")
    async with running_service(RunningService, create_service, settings, [api.router]) as running:
        yield running


async def ledger_after(dsa: RunningService, events: list[Envelope[Any]]) -> Any:
    await dsa.deliver(*events)
    async with dsa.http() as http:
        answer = await http.get("/roi", params={"agent": "ram"})
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_ram_advice_is_promised_from_its_day_and_realised_as_the_labour_cost_saved(
    dsa: RunningService,
) -> None:
    body = await ledger_after(dsa, history())
    # March: 22 of 31 days x 620 = 440 promised; T-1 with TECH-B from 17 March: 2 h x (60 - 40) = 40
    # April (to the clock's day, the 30th): 620 promised; 3 h x (70 - 40) = 90
    assert [(m["month"], m["expected"]["amount"], m["realised"]["amount"]) for m in body["months"]] == [
        ("2026-03-01", "440.00", "40.00"),
        ("2026-04-01", "620.00", "90.00"),
    ]
    assert body["months"][1]["realisation"] == "0.1452"
    [rec] = body["recommendations"]
    assert (rec["agent"], rec["kind"], rec["realisation"], rec["acted_on"], rec["counts_from"]) == (
        "ram",
        "allocation",
        "measured",
        "2026-03-17",
        "2026-03-10",
    )
    assert (rec["expected"]["amount"], rec["realised"]["amount"]) == ("1060.00", "130.00")


async def test_the_ram_ledger_does_not_depend_on_arrival_order(tmp_path: Path) -> None:
    bodies = []
    for k, events in enumerate((history(), history()[::-1])):
        settings = Settings(MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{tmp_path / f'{k}.db'}")
        async with running_service(RunningService, create_service, settings, [api.router]) as running:
            bodies.append(await ledger_after(running, events))
    assert bodies[0] == bodies[1]
