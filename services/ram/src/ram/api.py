"""RAM's REST API: the roster, utilisation, the day's plans, solving a plan, assignments, recommendations."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Query, Request
from pydantic import BaseModel
from sqlmodel import Session, col, select

from msp_events.money import Money
from msp_events.runtime.api import EntityId, Limit, Offset

from ram.domain.technicians import TechnicianVersion, cost_rate_on
from ram.domain.utilisation import Bands, Measure
from ram.planning import stored_plan
from ram.routing.plan import Plan
from ram.routing.problem import RoutingProblem
from ram.routing.solve import SolverCannotExpress, solve
from ram.services import bands
from ram.store.repository import TechnicianRepository
from ram.store.tables import Assignment, Recommendation
from ram.utilisation_runs import measures

router = APIRouter(tags=["technicians"])
MAX_RANGE_DAYS = 731


class CostRateOut(BaseModel):
    effective_from: date
    effective_to: date | None
    hourly_cost: Money


class TechnicianOut(BaseModel):
    technician_id: str
    name: str
    email: str | None
    work_role: str
    time_zone: str | None
    daily_capacity_hours: Decimal
    weekly_billable_hours_target: Decimal | None
    include_in_utilisation: bool
    hourly_rate: Money | None
    active: bool
    cost_rates: list[CostRateOut]
    hourly_cost_on: Money | None
    """The cost rate in force on the ``on`` date asked for; None when not asked or not known."""
    updated_at: datetime

    @classmethod
    def of(cls, t: TechnicianVersion, on: date | None) -> TechnicianOut:
        rate = None if on is None else cost_rate_on(t.cost_rates, on)
        return cls(
            technician_id=t.technician_id,
            name=t.name,
            email=t.email,
            work_role=t.work_role,
            time_zone=t.time_zone,
            daily_capacity_hours=t.daily_capacity_hours,
            weekly_billable_hours_target=t.weekly_billable_hours_target,
            include_in_utilisation=t.include_in_utilisation,
            hourly_rate=t.hourly_rate,
            active=t.active,
            cost_rates=[
                CostRateOut(
                    effective_from=r.effective_from, effective_to=r.effective_to, hourly_cost=r.hourly_cost
                )
                for r in t.cost_rates
            ],
            hourly_cost_on=None if rate is None else rate.hourly_cost,
            updated_at=t.as_of,
        )


@router.get(
    "/technicians", response_model=list[TechnicianOut], summary="Technicians RAM can dispatch, by name"
)
def list_technicians(
    request: Request,
    active: Annotated[bool | None, Query()] = None,
    work_role: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    on: Annotated[
        date | None, Query(description="also give each technician's hourly cost on this date (YYYY-MM-DD)")
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[TechnicianOut]:
    with Session(request.app.state.service.engine) as session:
        technicians = TechnicianRepository(session).list(
            active=active, work_role=work_role, limit=limit, offset=offset
        )
    return [TechnicianOut.of(t, on) for t in technicians]


class UtilisationOut(BaseModel):
    subject: str
    """A technician id, or ``team:<work role>``."""
    scope: Literal["technician", "team"]
    available_hours: Decimal
    logged_hours: Decimal
    billable_hours: Decimal
    billed_hours: Decimal
    utilisation_pct: Decimal
    realisation_pct: Decimal | None
    band: str

    @classmethod
    def of(cls, subject: str, m: Measure, b: Bands) -> UtilisationOut:
        return cls(
            subject=subject,
            scope="team" if subject.startswith("team:") else "technician",
            available_hours=m.available_hours,
            logged_hours=m.logged_hours,
            billable_hours=m.billable_hours,
            billed_hours=m.billed_hours,
            utilisation_pct=m.utilisation_pct,
            realisation_pct=m.realisation_pct,
            band=b.of(m.utilisation_pct) if m.available_hours > 0 else "no_capacity",
        )


@router.get(
    "/technicians/utilization",
    response_model=list[UtilisationOut],
    summary="Billable utilisation per technician and team over [from, to]",
    responses={422: {"description": "a bad range: to before from, or longer than two years"}},
)
def utilisation(
    request: Request,
    start: Annotated[date, Query(alias="from", description="first day (YYYY-MM-DD)")],
    end: Annotated[date, Query(alias="to", description="last day, inclusive (YYYY-MM-DD)")],
) -> list[UtilisationOut]:
    if end < start:
        raise HTTPException(422, "to is before from")
    if (end - start).days > MAX_RANGE_DAYS:
        raise HTTPException(422, f"the range is longer than {MAX_RANGE_DAYS} days")
    b = bands(request.app.state.service.settings)
    with Session(request.app.state.service.engine) as session:
        techs, teams = measures(session, start, end)
    return [UtilisationOut.of(s, m, b) for s, m in sorted(techs.items())] + [
        UtilisationOut.of(s, m, b) for s, m in sorted(teams.items())
    ]


@router.get(
    "/plans/{plan_date}",
    response_model=Plan,
    summary="The onsite plan of a day, with the checker's verdict",
    responses={404: {"description": "no plan for that day"}},
)
def get_plan(request: Request, plan_date: date) -> Plan:
    with Session(request.app.state.service.engine) as session:
        plan = stored_plan(session, plan_date)
    if plan is None:
        raise HTTPException(404, f"no plan for {plan_date}")
    return plan


@router.post(
    "/plans/solve",
    response_model=Plan,
    summary="Solve a routing problem (the msp-ram route JSON); the plan is returned, not stored",
    responses={
        422: {"description": "a malformed problem (the field is named) or a solver that cannot express it"}
    },
)
def solve_plan(
    request: Request,
    problem: Annotated[RoutingProblem, Body()],
    solver: Annotated[Literal["auto", "pyvrp", "ortools"], Query()] = "auto",
    iterations: Annotated[
        int, Query(ge=1, le=100_000, description="search budget (same plan on any machine)")
    ] = 1000,
    seed: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> Plan:
    cap = request.app.state.service.settings.solve_api_time_cap_s
    try:
        return solve(problem, time_limit=cap, seed=seed, solver=solver, iterations=iterations)
    except SolverCannotExpress as exc:
        raise HTTPException(422, str(exc)) from exc


class RecommendationOut(BaseModel):
    recommendation_id: str
    client_id: str
    period: str
    created_at: datetime
    recommendation: dict[str, Any]


@router.get(
    "/recommendations",
    response_model=list[RecommendationOut],
    summary="Re-allocations recommended after a client's margin fell (rule 1), newest first",
)
def recommendations(
    request: Request,
    client_id: Annotated[EntityId | None, Query()] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[RecommendationOut]:
    query = select(Recommendation).order_by(
        col(Recommendation.created_at).desc(), col(Recommendation.recommendation_id)
    )
    if client_id is not None:
        query = query.where(col(Recommendation.client_id) == client_id)
    with Session(request.app.state.service.engine) as session:
        rows = list(session.exec(query.offset(offset).limit(limit)))
    return [
        RecommendationOut(
            recommendation_id=r.recommendation_id,
            client_id=r.client_id,
            period=r.period,
            created_at=r.created_at,
            recommendation=json.loads(r.body),
        )
        for r in rows
    ]


class AssignmentOut(BaseModel):
    work_id: str
    kind: Literal["ticket", "visit"]
    client_id: str
    technician_id: str | None
    """None: nobody qualified with room was worth it (the explanation says what leaving it costs)."""
    hours: Decimal
    explanation: str
    solver_status: str
    assigned_at: datetime
    revision: int
    """1 for the first assignment; +1 each time the work changed skill or estimate and was re-assigned."""


@router.get(
    "/assignments",
    response_model=list[AssignmentOut],
    summary="Tickets and visits RAM assigned (CP-SAT), each with its one-sentence reason, newest first",
    responses={422: {"description": "a malformed filter, or technician_id with unassigned=true"}},
)
def assignments(
    request: Request,
    technician_id: Annotated[EntityId | None, Query()] = None,
    client_id: Annotated[EntityId | None, Query()] = None,
    kind: Annotated[Literal["ticket", "visit"] | None, Query()] = None,
    unassigned: Annotated[
        bool | None, Query(description="true: only the work left without a technician")
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[AssignmentOut]:
    if technician_id is not None and unassigned:
        raise HTTPException(422, "technician_id and unassigned=true exclude each other")
    query = select(Assignment).order_by(col(Assignment.assigned_at).desc(), col(Assignment.work_id))
    if technician_id is not None:
        query = query.where(col(Assignment.technician_id) == technician_id)
    if client_id is not None:
        query = query.where(col(Assignment.client_id) == client_id)
    if kind is not None:
        query = query.where(col(Assignment.kind) == kind)
    if unassigned is not None:
        query = query.where(
            col(Assignment.technician_id).is_(None)
            if unassigned
            else col(Assignment.technician_id).is_not(None)
        )
    with Session(request.app.state.service.engine) as session:
        rows = list(session.exec(query.offset(offset).limit(limit)))
    return [
        AssignmentOut(
            work_id=r.work_id,
            kind="visit" if r.kind == "visit" else "ticket",
            client_id=r.client_id,
            technician_id=r.technician_id,
            hours=r.hours,
            explanation=r.explanation,
            solver_status=r.solver_status,
            assigned_at=r.assigned_at,
            revision=r.revision,
        )
        for r in rows
    ]
