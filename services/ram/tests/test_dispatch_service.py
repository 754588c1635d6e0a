"""RAM end to end in process: utilisation alerts on ticks, the day's plan and re-plan, rule 1, API."""

from __future__ import annotations

import math
import random
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from msp_events import Envelope
from msp_events.testing.replay import replay
from msp_events.testing.service import RunningService, running_service

from ram import api
from ram.app import create_service
from ram.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from ram_facts import MON, at, entry, margin_fell, rule1_log, tech, tick, two_weeks, usd, visit


def alerts(outputs: list[Envelope[Any]]) -> list[tuple[str, str, str, str, Decimal]]:
    return [
        (a.data.technician_id, str(a.data.period_start), a.data.change, a.data.kind, a.data.utilisation_pct)
        for a in outputs
        if a.type == "resource.utilization.alert"
        and a.data.granularity == "week"
        and a.data.basis == "actual"
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


async def test_a_margin_drop_recommends_moving_work_to_cheaper_qualified_technicians(tmp_path: Path) -> None:
    log = rule1_log()
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


async def test_a_technician_on_pto_that_day_is_not_sent_out(ram: Running) -> None:
    day = MON + timedelta(days=1)
    await ram.deliver(
        tech("T1", 50, lat=51.50, lon=-0.12),
        tech("T2", 20, lat=51.51, lon=-0.11),  # the cheaper one, but on PTO
        entry("T2", day, "8", absence=True),
        *[visit(f"V{i}", day, 8 + i, 14 + i, 51.5 + 0.01 * i, -0.1, sent=at(MON, 9)) for i in range(2)],
        tick(day),
    )
    async with ram.http() as http:
        plan = (await http.get(f"/plans/{day}")).json()
    assert [r["technician_id"] for r in plan["routes"]] == ["T1"]
    assert plan["check"]["feasible"]


def leg(a: tuple[float, float], b: tuple[float, float]) -> tuple[int, int]:
    """Whole metres (great circle) and seconds at 40 km/h, rounded up, as the plan's travel model."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    )
    metres = round(2 * 6_371_008.8 * math.asin(math.sqrt(h)))
    return metres, math.ceil(metres / (40 / 3.6))


def travel_cost(metres: int, seconds: int, hourly: int) -> Decimal:
    return (Decimal(hourly) * seconds / 3600 + Decimal("0.45") * metres / 1000).quantize(Decimal("0.01"))


async def test_a_margin_drop_moves_remotely_doable_visits_to_remote_slots(tmp_path: Path) -> None:
    home, north, east, far = (51.5, -0.1), (51.59, -0.1), (51.5, 0.0449), (51.6, -0.1)
    log = [
        *rule1_log()[:-1],
        # today: both on T3's route (the cheapest); VA can be done remotely, VB cannot
        visit("VA", MON, 8, 17, *north, sent=at(MON) - timedelta(days=3), remote_possible=True),
        visit("VB", MON, 8, 17, *east, sent=at(MON) - timedelta(days=3)),
        # tomorrow: not routed yet; RAM assigns it to T3 on Monday's tick
        visit(
            "VR", MON + timedelta(days=1), 8, 17, *far, sent=at(MON) - timedelta(days=3), remote_possible=True
        ),
        tick(MON),
        margin_fell(),
    ]
    result = await replay(
        create_service, Settings(MSP_TRANSPORT="inprocess"), log, database_url=f"sqlite:///{tmp_path}/r.db"
    )
    assert result.dead_letters == []
    [rec] = [e.data for e in result.outputs if e.type == "resource.allocation.recommended"]
    # VA: the detour through it on T3's route, home -> VA -> VB -> home (either way round)
    (a, sa), (ab, sab), (b, sb) = leg(home, north), leg(north, east), leg(home, east)
    detour_m, detour_s = a + ab - b, sa + sab - sb
    # VR: the round trip from T3's home base
    r, sr = leg(home, far)
    va, vr = travel_cost(detour_m, detour_s, 30), travel_cost(2 * r, 2 * sr, 30)
    moves = {m.work_id: m for m in rec.moves}
    assert sorted(moves) == ["TK1", "TK2", "VA", "VR"]
    assert [
        (m.from_technician_id, m.to_technician_id, m.remote, m.travel_minutes_saved, m.travel_km_saved)
        for m in (moves["VA"], moves["VR"])
    ] == [
        ("T3", "T3", True, (detour_s + 59) // 60, (Decimal(detour_m) / 1000).quantize(Decimal("0.1"))),
        ("T3", "T3", True, (2 * sr + 59) // 60, (Decimal(2 * r) / 1000).quantize(Decimal("0.1"))),
    ]
    assert (moves["VA"].travel_saving, moves["VA"].monthly_saving) == (usd(va), usd(va))
    assert (moves["VR"].travel_saving, moves["VR"].monthly_saving) == (usd(vr), usd(vr))
    assert not moves["TK1"].remote and moves["TK1"].travel_saving is None
    assert rec.monthly_saving == usd(Decimal(140) + va + vr)
    assert "done remotely it saves the detour on its route" in moves["VA"].reason
    assert "done remotely it saves the round trip from the home base" in moves["VR"].reason
    assert "2 piece(s) of open work to lower-cost qualified technicians and 2 visit(s) to remote slots" in (
        rec.summary
    )
