"""The day's onsite plan from what RAM knows: requested visits of the day and the roster.

Planned on the day's first ``clock.ticked`` and re-planned when a visit of a planned day is added,
changed or cancelled; stops whose service started by "now" stay where they are. Clock times are
UTC (the PSA sends no shifts; the default shift comes from the settings). A plan is stored only
with the checker's verdict, feasible or not, so ``GET /plans/{date}`` shows what the checker said.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session

from ram.domain.technicians import cost_rate_on
from ram.routing.plan import Plan
from ram.routing.problem import RoutingProblem
from ram.routing.replan import replan_problem
from ram.routing.solve import solve
from ram.settings import Settings
from ram.store import facts
from ram.store.repository import TechnicianRepository
from ram.store.tables import RoutePlan, Visit

POINTS = {"p1": None, "p2": 3, "p3": 2, "p4": 1}


def _clock(t: datetime, day: date) -> time:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    s = int((t.astimezone(UTC) - start).total_seconds())
    s = min(max(s, 0), 24 * 3600 - 1)
    return time(s // 3600, s % 3600 // 60, s % 60)


def _window(v: Visit, day: date) -> dict[str, str]:
    """Service must start so that it ends by the visit's window end."""
    start = _clock(v.window_start, day)
    end = _clock(v.window_end - timedelta(minutes=v.duration_minutes), day)
    if end < start:
        end = start
    return {"start": start.isoformat(), "end": end.isoformat()}


def day_problem(session: Session, day: date, settings: Settings) -> RoutingProblem | None:
    """None when there is nothing to plan: no requested visit, or no technician with a home base."""
    visits = facts.visits_on(session, day)
    skills = facts.skills_on(session, day)
    away = facts.absent_on(session, day)
    techs = [
        t
        for t in TechnicianRepository(session).list(active=True, limit=100_000)
        if t.home_latitude is not None and t.home_longitude is not None and t.technician_id not in away
    ]
    if not visits or not techs:
        return None
    currency = next((r.hourly_cost.currency for t in techs if (r := cost_rate_on(t.cost_rates, day))), "USD")
    doc: dict[str, Any] = {
        "date": day.isoformat(),
        "currency": currency,
        "distance": {"model": "latlon", "speed_kmh": settings.travel_speed_kmh},
        "penalty_per_priority": str(settings.penalty_per_priority),
        "technicians": [
            {
                "id": t.technician_id,
                "shift": {"start": settings.shift_start.isoformat(), "end": settings.shift_end.isoformat()},
                "start": {"lat": t.home_latitude, "lon": t.home_longitude},
                "skills": sorted(skills.get(t.technician_id, frozenset())),
                "cost_per_hour": str(
                    rate.hourly_cost.amount if (rate := cost_rate_on(t.cost_rates, day)) else 0
                ),
                "cost_per_km": str(settings.cost_per_km),
            }
            for t in techs
        ],
        "visits": [
            {
                "id": v.visit_id,
                "location": {"lat": v.latitude, "lon": v.longitude},
                "service_minutes": v.duration_minutes,
                "time_windows": [_window(v, day)],
                "skills": [v.required_skill] if v.required_skill else [],
                **({"priority": POINTS[v.priority]} if POINTS.get(v.priority) else {}),
            }
            for v in visits
        ],
    }
    return RoutingProblem.model_validate(doc)


def stored_plan(session: Session, day: date) -> Plan | None:
    row = session.get(RoutePlan, day)
    return None if row is None else Plan.model_validate_json(row.body)


def plan_day(session: Session, day: date, now: datetime, settings: Settings) -> Plan | None:
    """Plan (or re-plan) ``day`` as of ``now`` and store it; None when there is nothing to plan."""
    problem = day_problem(session, day, settings)
    if problem is None:
        return None
    previous = stored_plan(session, day)
    if previous is not None and now.date() == day:
        known = {v.id for v in problem.visits}
        started = [
            s.visit_id for r in previous.routes for s in r.stops if s.start <= _clock(now, day).isoformat()
        ]
        if all(s in known for s in started):  # a started visit cancelled: plan the rest afresh
            problem = replan_problem(problem, previous, _clock(now, day))
    plan = solve(problem, time_limit=settings.route_time_cap_s, iterations=settings.route_iterations)
    row = session.get(RoutePlan, day) or RoutePlan(plan_date=day, body="", solved_at=now)
    row.body, row.solved_at = plan.model_dump_json(), now
    session.add(row)
    return plan
