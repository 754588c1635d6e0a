"""Assignment in the service: incoming tickets and visits that need a technician get one on the tick.

On each ``clock.ticked`` the open tickets nobody holds in the PSA and the requested visits of the
coming days (today's are routed by the day's plan) that RAM has not assigned yet are assigned
together by the CP-SAT model (``ram.assign``), over the active technicians with a cost rate in the
settings' currency. Each technician's room is a working week less what they already hold: open
tickets assigned in the PSA (remaining estimate) and RAM's own earlier assignments still open.
The search is bounded by work (``ASSIGNMENT_SEARCH_WORK``, CP-SAT's deterministic time, one
worker, fixed seed), not seconds, and runs on the facts stored at the tick, so a replay or another
delivery order stores the same assignments. An assignment is made once and kept (with its
one-sentence explanation) for ``GET /assignments``.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from msp_events.runtime.uow import UnitOfWork

from ram.allocation import week_resources, work_item
from ram.assign.cpsat import solve_assignment
from ram.domain.assignment import AssignmentProblem, WorkItem, explain
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


def held(session: Session) -> dict[str, int]:
    """Tenths of an hour each technician already holds: PSA-assigned open tickets and RAM's own."""
    out: dict[str, int] = {}
    for t in facts.open_assigned_tickets(session):
        assert t.assigned_technician_id is not None
        out[t.assigned_technician_id] = out.get(t.assigned_technician_id, 0) + _tenths(_left(t))
    # RAM's own assignments whose work is still open: one join per kind, not a lookup per
    # assignment (every assignment ever made is read on every tick)
    tickets = (
        select(Assignment.technician_id, Assignment.hours)
        .join(Ticket, col(Ticket.ticket_id) == col(Assignment.work_id))
        .where(
            col(Assignment.kind) == "ticket",
            col(Assignment.technician_id).is_not(None),
            col(Ticket.status).not_in(CLOSED),
            col(Ticket.assigned_technician_id).is_(None),
        )
    )
    visits = (
        select(Assignment.technician_id, Assignment.hours)
        .join(Visit, col(Visit.visit_id) == col(Assignment.work_id))
        .where(
            col(Assignment.kind) != "ticket",
            col(Assignment.technician_id).is_not(None),
            col(Visit.status) == "requested",
        )
    )
    for query in (tickets, visits):
        for technician_id, hours in session.exec(query):
            assert technician_id is not None
            out[technician_id] = out.get(technician_id, 0) + _tenths(hours)
    return out


def assign_on_tick(uow: UnitOfWork, settings: Settings) -> list[Assignment]:
    """Assign what needs a technician and has none yet; each assignment is stored once."""
    session, now = uow.session, uow.now
    day = now.date()
    done = set(session.exec(select(Assignment.work_id)))
    work: list[tuple[str, str, WorkItem]] = []  # (kind, client, item)
    tickets = session.exec(
        select(Ticket)
        .where(col(Ticket.status).not_in(CLOSED), col(Ticket.assigned_technician_id).is_(None))
        .order_by(col(Ticket.ticket_id))
    )
    for t in tickets:
        if t.ticket_id in done:
            continue
        fix_by = None if t.fix_by is None else int((t.fix_by - now).total_seconds() // 360)
        work.append(
            (
                "ticket",
                t.client_id,
                work_item(
                    t.ticket_id,
                    _tenths(_left(t)),
                    t.required_skill,
                    fix_by,
                    t.priority,
                    billable=t.agreement_id is None,
                    unassigned_cost=UNASSIGNED,
                ),
            )
        )
    held_tickets = {t.ticket_id for t in facts.open_assigned_tickets(session)}
    horizon = day + timedelta(days=settings.recommendation_horizon_days)
    for v in facts.visits_from(session, day + timedelta(days=1), horizon):
        if v.visit_id in done or v.ticket_id in held_tickets:
            continue
        fix_by = int((v.window_end - now).total_seconds() // 360)
        work.append(
            (
                "visit",
                v.client_id,
                work_item(
                    v.visit_id,
                    _tenths(Decimal(v.duration_minutes) / 60),
                    v.required_skill,
                    fix_by,
                    v.priority,
                    unassigned_cost=UNASSIGNED,
                ),
            )
        )
    if not work:
        return []
    resources = week_resources(session, day, settings.assignment_currency, held(session))
    problem = AssignmentProblem(
        tuple(w for _, _, w in work),
        tuple(resources),
        balance_cost_per_point=Decimal("0.10"),
        currency=settings.assignment_currency,
    )
    result = solve_assignment(
        problem, time_limit=settings.assignment_time_cap_s, deterministic_time=settings.assignment_search_work
    )
    by_id = {r.id: r for r in resources}
    rows = []
    for kind, client, w in work:
        tech_id = result.assignment[w.id]
        row = Assignment(
            work_id=w.id,
            kind=kind,
            client_id=client,
            technician_id=tech_id,
            hours=Decimal(w.tenths) / 10,
            explanation=explain(problem, w, None if tech_id is None else by_id[tech_id]),
            solver_status=result.status,
            assigned_at=now,
        )
        session.add(row)
        rows.append(row)
    return rows
