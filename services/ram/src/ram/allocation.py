"""Rule 1: a client's margin fell, so re-plan its open and upcoming work towards cheaper hands.

The client's open tickets and its visits of the next ``recommendation_horizon_days`` are assigned
again by the CP-SAT model (``ram.assign``) over the active technicians who hold the skills, with
each technician's room being a working week less what is already assigned to them elsewhere. A
move is recommended where the new technician costs less per hour than the one assigned now; the
monthly saving is the cost difference over the hours of the moved work (the open and upcoming
work stands for a month of the client's demand). A visit the dispatch board marks as remotely
doable (``remote_possible``) moves to a remote slot: it saves the trip, the detour through it on
the day's route (or the round trip from the technician's home base when the day is not planned
yet) at the technician's hourly cost plus the kilometres. A visit not routed yet counts as its
RAM assignment's (or its ticket's) technician's. Work nobody is assigned to yet is left to
dispatch: there is no current cost to save against.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from msp_events import Money
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import AllocationMove, ClientProfitabilityChanged, ResourceAllocationRecommended

from ram.assign.cpsat import solve_assignment
from ram.domain.assignment import AssignmentProblem, Resource, WorkItem, explain
from ram.domain.technicians import cost_rate_on
from ram.planning import stored_plan
from ram.routing.plan import Plan
from ram.routing.problem import LatLon, Place
from ram.routing.travel import LatLonTravel
from ram.settings import Settings
from ram.store import facts
from ram.store.repository import TechnicianRepository
from ram.store.tables import Assignment, Recommendation, Ticket, Visit

SLA_COST = {"p1": Decimal(500), "p2": Decimal(250), "p3": Decimal(100), "p4": Decimal(50)}
CENT = Decimal("0.01")
KM = Decimal("0.1")


def margin_fell(e: ClientProfitabilityChanged) -> bool:
    if e.direction != "down":
        return False
    return e.previous_gross_margin_pct is None or e.gross_margin_pct < e.previous_gross_margin_pct


def _tenths(hours: Decimal) -> int:
    return max(1, int((hours * 10).to_integral_value()))


def _booked_elsewhere(session: Session, client_id: str) -> dict[str, int]:
    out: dict[str, int] = {}
    query = select(Ticket).where(
        col(Ticket.client_id) != client_id,
        col(Ticket.status).not_in(["resolved", "closed"]),
        col(Ticket.assigned_technician_id).is_not(None),
    )
    for t in session.exec(query):
        assert t.assigned_technician_id is not None
        left = (t.estimated_hours or Decimal(1)) - (t.actual_hours or Decimal(0))
        out[t.assigned_technician_id] = out.get(t.assigned_technician_id, 0) + _tenths(
            max(left, Decimal("0.1"))
        )
    return out


def week_resources(session: Session, day: date, currency: str, booked: dict[str, int]) -> list[Resource]:
    """Active technicians with a cost rate in ``currency`` on ``day``; room: a working week less booked."""
    skills = facts.skills_on(session, day)
    out: list[Resource] = []
    for t in TechnicianRepository(session).list(active=True, limit=100_000):
        rate = cost_rate_on(t.cost_rates, day)
        if rate is None or rate.hourly_cost.currency != currency:
            continue
        billed = t.hourly_rate
        room = int(t.daily_capacity_hours * 5 * 10) - booked.get(t.technician_id, 0)
        out.append(
            Resource(
                id=t.technician_id,
                skills=skills.get(t.technician_id, frozenset()),
                available_tenths=max(0, room),
                hourly_cost=rate.hourly_cost.amount,
                hourly_rate=billed.amount
                if billed is not None and billed.currency == currency
                else Decimal(0),
            )
        )
    return out


@dataclass(frozen=True)
class Trip:
    """The travel a visit costs its technician's day: the detour through it on the day's route
    (or, before the day is planned, the round trip from their home base)."""

    metres: int
    seconds: int
    routed: bool

    def cost(self, hourly_cost: Decimal, per_km: Decimal) -> Decimal:
        return (hourly_cost * self.seconds / 3600 + per_km * Decimal(self.metres) / 1000).quantize(CENT)


def _place(lat: float, lon: float) -> Place:
    return Place(lat=lat, lon=lon)


def trip(
    session: Session, v: Visit, technician_id: str, plan: Plan | None, settings: Settings
) -> Trip | None:
    """What sending ``technician_id`` to ``v`` costs in travel; None without a home base."""
    tech = TechnicianRepository(session).get(technician_id)
    if tech is None or tech.home_latitude is None or tech.home_longitude is None:
        return None
    home = _place(tech.home_latitude, tech.home_longitude)
    before = after = home
    route = None if plan is None else next((r for r in plan.routes if r.technician_id == technician_id), None)
    ids = [] if route is None else [s.visit_id for s in route.stops]
    if v.visit_id in ids:
        at = ids.index(v.visit_id)
        stops = {x.visit_id: x for x in facts.visits_by_id(session, ids)}
        if at > 0 and ids[at - 1] in stops:
            before = _place(stops[ids[at - 1]].latitude, stops[ids[at - 1]].longitude)
        if at + 1 < len(ids) and ids[at + 1] in stops:
            after = _place(stops[ids[at + 1]].latitude, stops[ids[at + 1]].longitude)
    travel = LatLonTravel(LatLon(model="latlon", speed_kmh=settings.travel_speed_kmh))
    d, t = travel.matrices([before, _place(v.latitude, v.longitude), after])
    return Trip(
        metres=max(0, d[0][1] + d[1][2] - d[0][2]),
        seconds=max(0, t[0][1] + t[1][2] - t[0][2]),
        routed=v.visit_id in ids,
    )


def recommend(
    uow: UnitOfWork, e: ClientProfitabilityChanged, settings: Settings
) -> ResourceAllocationRecommended | None:
    if not margin_fell(e):
        return None
    session, now = uow.session, uow.now
    day = now.date()
    currency = e.cost.currency
    tickets, visits = facts.open_work(
        session, e.client_id, now, now + timedelta(days=settings.recommendation_horizon_days)
    )
    booked = _booked_elsewhere(session, e.client_id)
    resources = week_resources(session, day, currency, booked)
    cost = {r.id: r.hourly_cost for r in resources}
    items: list[WorkItem] = []
    current: dict[str, tuple[str, str]] = {}  # work id -> (kind, technician now)
    for tk in tickets:
        if tk.assigned_technician_id not in cost:
            continue
        left = max((tk.estimated_hours or Decimal(1)) - (tk.actual_hours or Decimal(0)), Decimal("0.1"))
        fix_by = None if tk.fix_by is None else int((tk.fix_by - now).total_seconds() // 360)
        items.append(work_item(tk.ticket_id, _tenths(left), tk.required_skill, fix_by, tk.priority))
        current[tk.ticket_id] = ("ticket", tk.assigned_technician_id)
    trips: dict[str, Trip] = {}
    for v in visits:
        plan = stored_plan(session, v.plan_date)
        tech = (
            next((r.technician_id for r in plan.routes for s in r.stops if s.visit_id == v.visit_id), None)
            if plan
            else None
        ) or _assigned_to(session, v)
        if tech not in cost:
            continue
        assert tech is not None
        if v.remote_possible and (t := trip(session, v, tech, plan, settings)) is not None and t.metres > 0:
            trips[v.visit_id] = t
        fix_by = int((v.window_end - now).total_seconds() // 360)
        items.append(
            work_item(
                v.visit_id, _tenths(Decimal(v.duration_minutes) / 60), v.required_skill, fix_by, v.priority
            )
        )
        current[v.visit_id] = ("visit", tech)
    if not items:
        return None
    problem = AssignmentProblem(
        tuple(items), tuple(resources), balance_cost_per_point=Decimal("0.10"), currency=currency
    )
    result = solve_assignment(problem, time_limit=5.0)
    by_id = {r.id: r for r in resources}
    moves = []
    for w in items:
        kind, was = current[w.id]
        to = result.assignment[w.id]
        cheaper = to is not None and to != was and cost[to] < cost[was]
        remote = trips.get(w.id)
        if not cheaper and remote is None:
            continue
        to = to if cheaper and to is not None else was
        hours = Decimal(w.tenths) / 10
        saving = ((cost[was] - cost[to]) * hours).quantize(CENT)
        reason = explain(problem, w, by_id[to])
        travel = None
        if remote is not None:
            travel = remote.cost(cost[was], settings.cost_per_km)
            saving += travel
            minutes = (remote.seconds + 59) // 60
            how = "the detour on its route" if remote.routed else "the round trip from the home base"
            reason = (
                f"{reason[:-1]}; done remotely it saves {how}, {minutes} min and "
                f"{Decimal(remote.metres) / 1000:.1f} km ({travel} {currency})."
            )
        moves.append(
            AllocationMove(
                work_id=w.id,
                kind="visit" if kind == "visit" else "ticket",
                from_technician_id=was,
                to_technician_id=to,
                remote=remote is not None,
                hours=hours,
                monthly_saving=Money(amount=saving, currency=currency),
                reason=reason,
                travel_minutes_saved=None if remote is None else (remote.seconds + 59) // 60,
                travel_km_saved=None if remote is None else (Decimal(remote.metres) / 1000).quantize(KM),
                travel_saving=None if travel is None else Money(amount=travel, currency=currency),
            )
        )
    if not moves:
        return None
    moves.sort(key=lambda m: (-m.monthly_saving.amount, m.work_id))
    total = sum((m.monthly_saving.amount for m in moves), Decimal(0))
    remote_moves = sum(1 for m in moves if m.remote)
    cheaper_moves = sum(1 for m in moves if m.to_technician_id != m.from_technician_id)
    parts = (
        [f"{cheaper_moves} piece(s) of open work to lower-cost qualified technicians"]
        if cheaper_moves
        else []
    )
    parts += [f"{remote_moves} visit(s) to remote slots"] if remote_moves else []
    what = "moving " + " and ".join(parts)
    data = ResourceAllocationRecommended(
        client_id=e.client_id,
        period=e.period,
        gross_margin_pct=e.gross_margin_pct,
        monthly_saving=Money(amount=total, currency=currency),
        moves=moves,
        summary=(
            f"{e.client_id}'s margin fell to {e.gross_margin_pct} % in {e.period}: {what} saves about "
            f"{total} {currency} a month."
        ),
    )
    envelope = uow.emit(data)
    session.add(
        Recommendation(
            recommendation_id=str(envelope.id),
            client_id=e.client_id,
            period=e.period,
            created_at=envelope.time,
            body=json.dumps(data.model_dump(mode="json"), sort_keys=True),
        )
    )
    return data


def _assigned_to(session: Session, v: Visit) -> str | None:
    """Who holds a visit not routed yet: the technician RAM assigned it to, else its ticket's."""
    assignment = session.get(Assignment, v.visit_id)
    if assignment is not None and assignment.technician_id is not None:
        return assignment.technician_id
    ticket = None if v.ticket_id is None else session.get(Ticket, v.ticket_id)
    return None if ticket is None else ticket.assigned_technician_id


def work_item(
    work_id: str,
    tenths: int,
    skill: str | None,
    fix_by: int | None,
    priority: str,
    *,
    billable: bool = False,
    unassigned_cost: Decimal = Decimal(100_000),
) -> WorkItem:
    """A ticket or visit as the assignment model sees it (SLA breach priced by priority)."""
    return WorkItem(
        id=work_id,
        tenths=tenths,
        required_skills=frozenset({skill}) if skill else frozenset(),
        fix_by=fix_by,
        sla_breach_cost=SLA_COST.get(priority, Decimal(100)),
        billable=billable,
        unassigned_cost=unassigned_cost,
    )
