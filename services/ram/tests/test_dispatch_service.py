"""RAM end to end in process: utilisation alerts on ticks, the day's plan and re-plan, rule 1, API."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from msp_events import Envelope, Money
from msp_events.testing.replay import replay
from msp_events.testing.service import RunningService, running_service
from msp_events.types.agents import ClientProfitabilityChanged
from msp_events.types.dispatch import VisitRequested
from msp_events.types.platform import ClockTicked
from msp_events.types.psa import CostRate, Skill, TechnicianUpserted, TicketUpdated, TimeEntryLogged

from ram import api
from ram.app import create_service
from ram.settings import Settings

MON = date(2026, 11, 2)
T0 = datetime(2026, 10, 30, 9, 0, tzinfo=UTC)


def at(day: date, hour: int = 0) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=hour)


def usd(amount: str | int) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def tech(
    tid: str, cost: int, skills: tuple[str, ...] = (), lat: float = 51.5, lon: float = -0.1
) -> Envelope[Any]:
    data = TechnicianUpserted(
        technician_id=tid,
        name=f"Tech {tid}",
        work_role="Engineer",
        skills=[Skill(name=s) for s in skills],
        home_latitude=lat,
        home_longitude=lon,
        daily_capacity_hours=Decimal(8),
        cost_rates=[CostRate(effective_from=date(2025, 1, 1), hourly_cost=usd(cost))],
        updated_at=T0,
    )
    return Envelope.build(data, source="psa.connectwise", time=T0)


def entry(tid: str, day: date, hours: str, *, absence: bool = False, n: int = 0) -> Envelope[Any]:
    data = TimeEntryLogged(
        time_entry_id=f"TE-{tid}-{day}-{n}",
        client_id="C0000" if absence else "C1",
        technician_id=tid,
        work_date=day,
        hours=Decimal(hours),
        work_type="PTO" if absence else "Remote Support",
        absence=absence,
        billable_option="non_billable" if absence else "billable",
        hours_billed=Decimal(0) if absence else Decimal(hours),
    )
    return Envelope.build(data, source="psa.connectwise", time=at(day, 17))


def tick(day: date) -> Envelope[Any]:
    return Envelope.build(ClockTicked(now=at(day), granularity="day"), source="msp.clock", time=at(day))


def two_weeks() -> list[Envelope[Any]]:
    """T1 36/40 h then 30/40 h; T2 20 h + 16 h PTO then 10/40 h (hand-worked in the test)."""
    facts: list[Envelope[Any]] = [tech("T1", 60), tech("T2", 40)]
    week1 = [entry("T1", MON + timedelta(days=d), "7.2") for d in range(5)]
    week1 += [entry("T2", MON + timedelta(days=d), "8", absence=True) for d in range(2)]
    week1 += [entry("T2", MON + timedelta(days=d), "6.66") for d in range(2, 5)]
    week2 = [entry("T1", MON + timedelta(days=7 + d), "6") for d in range(5)]
    week2 += [entry("T2", MON + timedelta(days=7 + d), "2") for d in range(5)]
    return [*facts, tick(MON), *week1, tick(MON + timedelta(days=7)), *week2, tick(MON + timedelta(days=14))]


def alerts(outputs: list[Envelope[Any]]) -> list[tuple[str, str, str, str, Decimal]]:
    return [
        (a.data.technician_id, str(a.data.period_start), a.data.change, a.data.kind, a.data.utilisation_pct)
        for a in outputs
        if a.type == "resource.utilization.alert" and a.data.granularity == "week"
    ]


async def test_band_entries_and_exits_raise_alerts_on_the_week_ticks(tmp_path: Path) -> None:
    result = await replay(
        create_service,
        Settings(MSP_TRANSPORT="inprocess"),
        two_weeks(),
        database_url=f"sqlite:///{tmp_path}/r.db",
    )
    assert result.dead_letters == []
    # week 1: T1 36/40 = 90 % (over); T2 (3 x 6.66) 19.98 / (40 - 16) = 83.3 % (target);
    # team 55.98 / 64 = 87.5 % (over). Week 2: T1 30/40 = 75 %; T2 10/40 = 25 %; team 40/80 = 50 %.
    assert sorted(alerts(result.outputs), key=lambda a: (a[1], a[0])) == [
        ("T1", "2026-11-02", "entered", "over", Decimal("90.0")),
        ("team:Engineer", "2026-11-02", "entered", "over", Decimal("87.5")),
        ("T1", "2026-11-09", "left", "over", Decimal("75.0")),
        ("T2", "2026-11-09", "entered", "under", Decimal("25.0")),
        ("team:Engineer", "2026-11-09", "left", "over", Decimal("50.0")),
        ("team:Engineer", "2026-11-09", "entered", "under", Decimal("50.0")),
    ]
    t1 = next(a.data for a in result.outputs if a.data.technician_id == "T1" and a.data.change == "left")
    assert t1.previous_utilisation_pct == Decimal("90.0") and t1.scope == "technician"
    assert "T1" in t1.summary and "from 90.0 %" in t1.summary


async def test_alerts_do_not_depend_on_the_order_facts_arrive_in_before_a_tick(tmp_path: Path) -> None:
    log = two_weeks()
    shuffled: list[Envelope[Any]] = []
    run: list[Envelope[Any]] = []
    for e in log:
        if e.type == "clock.ticked":
            random.Random(len(shuffled)).shuffle(run)
            shuffled += [*run, e]
            run = []
        else:
            run.append(e)
    a = await replay(
        create_service, Settings(MSP_TRANSPORT="inprocess"), log, database_url=f"sqlite:///{tmp_path}/a.db"
    )
    b = await replay(
        create_service,
        Settings(MSP_TRANSPORT="inprocess"),
        shuffled,
        database_url=f"sqlite:///{tmp_path}/b.db",
    )
    assert [e.model_dump_json() for e in a.outputs] == [e.model_dump_json() for e in b.outputs]


def margin_fell(period: str = "2026-10") -> Envelope[Any]:
    data = ClientProfitabilityChanged(
        client_id="C1",
        period=period,
        gross_margin_pct=Decimal("18.0"),
        previous_gross_margin_pct=Decimal("31.0"),
        band="critical",
        previous_band="thin",
        direction="down",
        revenue=usd(10_000),
        cost=usd(8_200),
        labour_hours=Decimal(120),
        summary="C1's margin fell from 31 % to 18 %.",
    )
    return Envelope.build(data, source="msp.cpi", time=at(MON, 3))


def ticket(
    tid: str, assigned: str, hours: str, skill: str | None = None, client: str = "C1"
) -> Envelope[Any]:
    data = TicketUpdated(
        ticket_id=tid,
        client_id=client,
        board="Service Desk",
        priority="p3",
        status="in_progress",
        opened_at=T0,
        fix_by=at(MON + timedelta(days=3)),
        estimated_hours=Decimal(hours),
        required_skill=skill,
        assigned_technician_id=assigned,
        updated_at=T0,
    )
    return Envelope.build(data, source="psa.connectwise", time=T0)


async def test_a_margin_drop_recommends_moving_work_to_cheaper_qualified_technicians(tmp_path: Path) -> None:
    log = [
        tech("T1", 60, ("network",)),
        tech("T2", 40, ("network",)),
        tech("T3", 30),
        ticket("TK1", "T1", "4", "network"),  # T2 is the cheapest who holds network: saves 20 x 4
        ticket("TK2", "T1", "2"),  # T3 takes it: saves 30 x 2
        ticket("TK3", "T3", "1"),  # already the cheapest: stays
        ticket("TK9", "T1", "5", client="C2"),  # another client's work: not moved
        margin_fell(),
    ]
    result = await replay(
        create_service, Settings(MSP_TRANSPORT="inprocess"), log, database_url=f"sqlite:///{tmp_path}/r.db"
    )
    [rec] = [e.data for e in result.outputs if e.type == "resource.allocation.recommended"]
    assert rec.monthly_saving == usd("140.00")
    assert [
        (m.work_id, m.from_technician_id, m.to_technician_id, m.monthly_saving.amount) for m in rec.moves
    ] == [
        ("TK1", "T1", "T2", Decimal("80.00")),
        ("TK2", "T1", "T3", Decimal("60.00")),
    ]
    assert rec.moves[0].reason.startswith("TK1 -> T2: holds the required skills")
    rising = margin_fell().data.model_copy(update={"direction": "up", "gross_margin_pct": Decimal(40)})
    again = await replay(
        create_service,
        Settings(MSP_TRANSPORT="inprocess"),
        [*log[:-1], Envelope.build(rising, source="msp.cpi", time=at(MON, 3))],
        database_url=f"sqlite:///{tmp_path}/up.db",
    )
    assert not [e for e in again.outputs if e.type == "resource.allocation.recommended"]


class Running(RunningService):
    event_type = "dispatch.visit.requested"


@pytest.fixture
async def ram(tmp_path: Path) -> AsyncIterator[Running]:
    settings = Settings(
        MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{tmp_path / 'ram.db'}", route_iterations=100
    )
    async with running_service(Running, create_service, settings, [api.router]) as running:
        yield running


def visit(
    vid: str, day: date, start: int, end: int, lat: float, lon: float, *, sent: datetime, **kw: Any
) -> Envelope[Any]:
    data = VisitRequested(
        visit_id=vid,
        client_id="C1",
        site_name="Head office",
        latitude=lat,
        longitude=lon,
        window_start=at(day, start),
        window_end=at(day, end),
        duration_minutes=60,
        priority="p1",
        **kw,
    )
    return Envelope.build(data, source="psa.connectwise", time=sent)


async def test_the_day_is_planned_on_its_tick_and_replanned_keeping_started_stops(ram: Running) -> None:
    day = MON + timedelta(days=1)
    await ram.deliver(
        tech("T1", 50, lat=51.50, lon=-0.12),
        tech("T2", 45, lat=51.55, lon=-0.05),
        *[
            visit(f"V{i}", day, 8 + i, 12 + i, 51.5 + 0.01 * i, -0.1 + 0.01 * i, sent=at(MON, 9))
            for i in range(5)
        ],
        tick(day),
    )
    async with ram.http() as http:
        first = (await http.get(f"/plans/{day}")).json()
        assert first["check"] == {"feasible": True, "violations": []}
        assert sum(len(r["stops"]) for r in first["routes"]) == 5
        started = {
            r["technician_id"]: [s for s in r["stops"] if s["start"] <= "10:30:00"] for r in first["routes"]
        }
        await ram.deliver(
            visit("URGENT", day, 11, 16, 51.52, -0.08, sent=at(day, 10) + timedelta(minutes=30)),
            visit(
                "V4", day, 12, 16, 51.54, -0.06, sent=at(day, 10) + timedelta(minutes=31), status="cancelled"
            ),
        )
        second = (await http.get(f"/plans/{day}")).json()
        assert (await http.get("/plans/2026-01-01")).status_code == 404
    assert second["check"] == {"feasible": True, "violations": []}
    assert second["solver"] == "ortools" and "locked stops" in second["solver_note"]
    ids = [s["visit_id"] for r in second["routes"] for s in r["stops"]]
    assert "URGENT" in ids and "V4" not in ids
    routes = {r["technician_id"]: r["stops"] for r in second["routes"]}
    for tid, stops in started.items():
        assert routes.get(tid, [])[: len(stops)] == stops


async def test_post_plans_solve_returns_a_checked_plan_or_names_the_field(ram: Running) -> None:
    problem = {
        "date": "2026-12-03",
        "distance": {"model": "planar", "unit_m": 1000, "speed_kmh": 30},
        "technicians": [{"id": "T", "shift": {"start": "08:00", "end": "17:00"}, "start": {"x": 0, "y": 0}}],
        "visits": [{"id": "V", "location": {"x": 3, "y": 4}, "service_minutes": 30}],
    }
    async with ram.http() as http:
        ok = await http.post("/plans/solve", json=problem, params={"iterations": 50})
        bad = await http.post("/plans/solve", json={**problem, "visits": [{"id": "V", "location": {"x": 3}}]})
        cannot = await http.post(
            "/plans/solve",
            json={**problem, "fleet_limit": 0, "technicians": problem["technicians"] * 1},
            params={"solver": "pyvrp"},
        )
    assert ok.status_code == 200 and ok.json()["check"]["feasible"]
    assert ok.json()["routes"][0]["distance_m"] == 10_000
    assert bad.status_code == 422 and "visits.0.location" in bad.text
    assert cannot.status_code == 422 and "fleet limit" in cannot.text


async def test_utilisation_api_reports_technicians_and_teams(ram: Running) -> None:
    await ram.deliver(tech("T1", 60), *[entry("T1", MON + timedelta(days=d), "7.2") for d in range(5)])
    async with ram.http() as http:
        rows = (
            await http.get(
                "/technicians/utilization", params={"from": str(MON), "to": str(MON + timedelta(days=6))}
            )
        ).json()
        backwards = await http.get(
            "/technicians/utilization", params={"from": "2026-11-09", "to": "2026-11-02"}
        )
    assert [(r["subject"], r["utilisation_pct"], r["band"]) for r in rows] == [
        ("T1", "90.0", "over"),
        ("team:Engineer", "90.0", "over"),
    ]
    assert backwards.status_code == 422 and "before" in backwards.text
