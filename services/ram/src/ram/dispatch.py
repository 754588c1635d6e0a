"""Assignment in the service: incoming tickets and visits that need a technician get one on the tick.

On each ``clock.ticked`` the open tickets nobody holds in the PSA and the requested visits of the
coming days (today's are routed by the day's plan) that RAM has not assigned yet are assigned
together by the CP-SAT model (``ram.assign``), over the active technicians with a cost rate in the
settings' currency. Each technician's room is a working week less what they already hold: open
tickets assigned in the PSA (remaining estimate) and RAM's own earlier assignments still open.
The search is bounded by work (``ASSIGNMENT_SEARCH_WORK``, CP-SAT's deterministic time, one
worker, fixed seed), not seconds, and runs on the facts stored at the tick, so a replay or another
delivery order stores the same assignments. Each assignment is stored with its one-sentence
explanation (``GET /assignments``) and published as ``resource.assignment.made``. An assignment is
kept until the work changes what it needs (a ticket's required skill or estimate, a visit's skill
or duration): then the work is assigned afresh with the others on the next tick, under the next
revision, and published again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from msp_events import Money
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import ResourceAssignmentMade

from ram.allocation import week_resources, work_item
from ram.assign.cpsat import solve_assignment
from ram.domain.assignment import CENT, AssignmentProblem, Resource, WorkItem, explain, slack
from ram.settings import Settings
from ram.store import facts
from ram.store.tables import Assignment, Ticket, Visit

CLOSED = ("resolved", "closed")
UNASSIGNED = Decimal(10_000)
"""What leaving an incoming piece of work without a technician costs in the objective."""


def _tenths(hours: Decimal) -> int:
    return max(1, int((hours * 10).to_integral_value()))


def _left(t: Ticket) -> Decimal:
    return max((t.estimated_hours or Decimal(1)) - (t.actual_hours or Decimal(0)), Decimal("0.1"))


def own_open_work(
    session: Session,
) -> tuple[list[tuple[str, Decimal, Ticket]], list[tuple[str, Decimal, Visit]]]:
    """RAM's own assignments whose work is still open: (technician, hours, ticket or visit).

    One join per kind, not a lookup per assignment (every assignment ever made is read on every
    tick); a ticket someone now holds in the PSA is theirs, not RAM's.
    """
    tickets = (
        select(col(Assignment.technician_id), col(Assignment.hours), Ticket)
        .join(Ticket, col(Ticket.ticket_id) == col(Assignment.work_id))
        .where(
            col(Assignment.kind) == "ticket",
            col(Assignment.technician_id).is_not(None),
            col(Ticket.status).not_in(CLOSED),
            col(Ticket.assigned_technician_id).is_(None),
        )
        .order_by(col(Ticket.ticket_id))
    )
    visits = (
        select(col(Assignment.technician_id), col(Assignment.hours), Visit)
        .join(Visit, col(Visit.visit_id) == col(Assignment.work_id))
        .where(
            col(Assignment.kind) != "ticket",
            col(Assignment.technician_id).is_not(None),
            col(Visit.status) == "requested",
        )
        .order_by(col(Visit.visit_id))
    )
    return (
        [(tech, hours, t) for tech, hours, t in session.exec(tickets) if tech is not None],
        [(tech, hours, v) for tech, hours, v in session.exec(visits) if tech is not None],
    )


def held(session: Session) -> dict[str, int]:
    """Tenths of an hour each technician already holds: PSA-assigned open tickets and RAM's own."""
    out: dict[str, int] = {}
    for t in facts.open_assigned_tickets(session):
        assert t.assigned_technician_id is not None
        out[t.assigned_technician_id] = out.get(t.assigned_technician_id, 0) + _tenths(_left(t))
    tickets, visits = own_open_work(session)
    for technician_id, hours, _ in [*tickets, *visits]:
        out[technician_id] = out.get(technician_id, 0) + _tenths(hours)
    return out


def basis(skill: str | None, estimate: Decimal | int | None, unit: str = "h") -> str:
    """What an assignment was made for: the required skill and the estimate (a visit's minutes),
    written the same way whatever the database hands back (``2``, ``2.00``)."""
    amount = "" if estimate is None else f"{Decimal(estimate).quantize(Decimal('0.01'))}{unit}"
    return f"{skill or ''}|{amount}"


def _ticket_item(t: Ticket, now: datetime) -> WorkItem:
    fix_by = None if t.fix_by is None else int((t.fix_by - now).total_seconds() // 360)
    return work_item(
        t.ticket_id,
        _tenths(_left(t)),
        t.required_skill,
        fix_by,
        t.priority,
        billable=t.agreement_id is None,
        unassigned_cost=UNASSIGNED,
    )


def _visit_item(v: Visit, now: datetime) -> WorkItem:
    fix_by = int((v.window_end - now).total_seconds() // 360)
    return work_item(
        v.visit_id,
        _tenths(Decimal(v.duration_minutes) / 60),
        v.required_skill,
        fix_by,
        v.priority,
        unassigned_cost=UNASSIGNED,
    )


def _ticket_basis(t: Ticket) -> str:
    return basis(t.required_skill, t.estimated_hours)


def _visit_basis(v: Visit) -> str:
    return basis(v.required_skill, v.duration_minutes, "m")


def assign_on_tick(uow: UnitOfWork, settings: Settings) -> list[Assignment]:
    """Assign what needs a technician and has none yet, and re-assign what changed what it needs."""
    session, now = uow.session, uow.now
    day = now.date()
    # (work id -> basis) of every assignment: two columns, not the rows (read on every tick)
    stored: dict[str, str | None] = dict(session.exec(select(Assignment.work_id, Assignment.basis)).all())
    work: list[tuple[str, str, WorkItem, str]] = []  # (kind, client, item, basis)
    revised: dict[str, Assignment] = {}

    def consider(kind: str, client: str, item: WorkItem, now_basis: str) -> None:
        if item.id in stored:
            was = stored[item.id]
            if was == now_basis:
                return
            row = session.get(Assignment, item.id)
            assert row is not None
            if was is None:  # made before ram_0005: adopt today's basis, keep the technician
                row.basis = now_basis
                session.add(row)
                return
            revised[item.id] = row
        work.append((kind, client, item, now_basis))

    tickets = session.exec(
        select(Ticket)
        .where(col(Ticket.status).not_in(CLOSED), col(Ticket.assigned_technician_id).is_(None))
        .order_by(col(Ticket.ticket_id))
    )
    for t in tickets:
        consider("ticket", t.client_id, _ticket_item(t, now), _ticket_basis(t))
    held_tickets = {t.ticket_id for t in facts.open_assigned_tickets(session)}
    horizon = day + timedelta(days=settings.recommendation_horizon_days)
    for v in facts.visits_from(session, day + timedelta(days=1), horizon):
        if v.ticket_id not in held_tickets:
            consider("visit", v.client_id, _visit_item(v, now), _visit_basis(v))
    if not work:
        return []
    holding = held(session)
    for row in revised.values():  # the work's old hours are to be placed again
        if row.technician_id is not None and row.technician_id in holding:
            holding[row.technician_id] -= _tenths(row.hours)
    resources = week_resources(session, day, settings.assignment_currency, holding)
    problem = AssignmentProblem(
        tuple(w for _, _, w, _ in work),
        tuple(resources),
        balance_cost_per_point=Decimal("0.10"),
        currency=settings.assignment_currency,
    )
    result = solve_assignment(
        problem, time_limit=settings.assignment_time_cap_s, deterministic_time=settings.assignment_search_work
    )
    by_id = {r.id: r for r in resources}
    rows = []
    for kind, client, w, now_basis in work:
        tech_id = result.assignment[w.id]
        resource = None if tech_id is None else by_id[tech_id]
        before = revised.get(w.id)
        row = before or Assignment(
            work_id=w.id,
            kind=kind,
            client_id=client,
            hours=Decimal(0),
            explanation="",
            solver_status="",
            assigned_at=now,
        )
        previous = None if before is None else before.technician_id
        row.revision = 1 if before is None else before.revision + 1
        row.client_id, row.technician_id, row.hours = client, tech_id, Decimal(w.tenths) / 10
        row.explanation = explain(problem, w, resource)
        row.solver_status, row.assigned_at, row.basis = result.status, now, now_basis
        session.add(row)
        rows.append(row)
        uow.emit(_made(row, w, resource, previous, problem.currency))
    return rows


def _made(
    row: Assignment, w: WorkItem, resource: Resource | None, previous: str | None, currency: str
) -> ResourceAssignmentMade:
    s = None if resource is None else slack(resource, w)
    return ResourceAssignmentMade(
        work_id=row.work_id,
        kind="visit" if row.kind == "visit" else "ticket",
        client_id=row.client_id,
        technician_id=row.technician_id,
        revision=row.revision,
        previous_technician_id=previous,
        hours=row.hours,
        required_skill=next(iter(sorted(w.required_skills)), None),
        labour_cost=None
        if resource is None
        else Money(amount=(resource.hourly_cost * row.hours).quantize(CENT), currency=currency),
        sla_slack_hours=None if s is None else Decimal(s) / 10,
        reason=row.explanation,
    )
