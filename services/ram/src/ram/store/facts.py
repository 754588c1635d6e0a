"""RAM's facts from the PSA: time entries, tickets, visits, skills (newest version wins)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session, col, delete, select

from msp_events.runtime.merged_rows import merge_row
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.dispatch import VisitRequested
from msp_events.types.psa import Skill, TicketUpdated, TimeEntryLogged

from ram.domain.utilisation import Entry
from ram.store.tables import TechnicianSkill, Ticket, TimeEntry, Visit

CLIENT_WORK = ("billable", "no_charge")
"""Billable options that count as client work; non_billable (DoNotBill) is the MSP's own time."""


def _newer(row: TimeEntry | Ticket | Visit | None, as_of: datetime, digest: str) -> bool:
    return row is None or (as_of, digest) > (row.as_of, row.digest)


def save_skills(session: Session, technician_id: str, skills: list[Skill]) -> None:
    session.exec(delete(TechnicianSkill).where(col(TechnicianSkill.technician_id) == technician_id))
    seen: set[str] = set()
    for s in skills:
        if s.name not in seen:
            seen.add(s.name)
            session.add(TechnicianSkill(technician_id=technician_id, skill=s.name, expires_on=s.expires_on))


def skills_on(session: Session, day: date) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for row in session.exec(select(TechnicianSkill)):
        if row.expires_on is None or row.expires_on >= day:
            out.setdefault(row.technician_id, set()).add(row.skill)
    return {k: frozenset(v) for k, v in out.items()}


TIME_ENTRIES = "ram.time_entries"
TICKETS = "ram.tickets"
"""The batch's held time entries and ticket states (``msp_events.runtime.merged_rows``): RAM's
busiest facts, each the newest version of one row; every other RAM message writes them first."""
_TIME_ENTRIES: Table = TimeEntry.__table__  # type: ignore[attr-defined]
_TICKETS: Table = Ticket.__table__  # type: ignore[attr-defined]


def record_time_entry(uow: UnitOfWork, e: TimeEntryLogged, as_of: datetime, digest: str) -> None:
    def merge(row: dict[str, Any] | None) -> dict[str, Any] | None:
        if row is not None and (as_of, digest) <= (row["as_of"], row["digest"]):
            return None
        return {
            "time_entry_id": e.time_entry_id,
            "technician_id": e.technician_id,
            "client_id": e.client_id,
            "work_date": e.work_date,
            "hours": e.hours,
            "hours_billed": e.hours_billed,
            "absence": e.absence,
            "client_work": not e.absence and e.billable_option in CLIENT_WORK,
            "as_of": as_of,
            "digest": digest,
        }

    merge_row(uow, TIME_ENTRIES, _TIME_ENTRIES, ("time_entry_id",), (e.time_entry_id,), merge)


def entries(session: Session, start: date, end: date) -> dict[str, list[Entry]]:
    """Time entries dated in [start, end], per technician."""
    out: dict[str, list[Entry]] = {}
    query = (
        select(TimeEntry)
        .where(col(TimeEntry.work_date) >= start, col(TimeEntry.work_date) <= end)
        .order_by(col(TimeEntry.technician_id), col(TimeEntry.work_date), col(TimeEntry.time_entry_id))
    )
    for r in session.exec(query):
        out.setdefault(r.technician_id, []).append(
            Entry(r.work_date, r.hours, r.absence, r.client_work, r.hours_billed, r.client_id)
        )
    return out


def absent_on(session: Session, day: date) -> set[str]:
    """Technicians with an absence entry (PTO, holiday, sick) on ``day``: not sent out that day."""
    query = select(TimeEntry.technician_id).where(col(TimeEntry.work_date) == day, col(TimeEntry.absence))
    return set(session.exec(query))


def record_ticket(uow: UnitOfWork, t: TicketUpdated, digest: str) -> None:
    def merge(row: dict[str, Any] | None) -> dict[str, Any] | None:
        if row is not None and (t.updated_at, digest) <= (row["as_of"], row["digest"]):
            return None
        return {
            "ticket_id": t.ticket_id,
            "client_id": t.client_id,
            "agreement_id": t.agreement_id,
            "priority": t.priority,
            "status": t.status,
            "fix_by": t.fix_by,
            "estimated_hours": t.estimated_hours,
            "actual_hours": t.actual_hours,
            "required_skill": t.required_skill,
            "assigned_technician_id": t.assigned_technician_id,
            "as_of": t.updated_at,
            "digest": digest,
        }

    merge_row(uow, TICKETS, _TICKETS, ("ticket_id",), (t.ticket_id,), merge)


def record_visit(session: Session, v: VisitRequested, as_of: datetime, digest: str) -> bool:
    row = session.get(Visit, v.visit_id)
    if not _newer(row, as_of, digest):
        return False
    row = row or Visit(
        visit_id=v.visit_id,
        client_id="",
        latitude=0.0,
        longitude=0.0,
        window_start=v.window_start,
        window_end=v.window_end,
        plan_date=v.window_start.date(),
        duration_minutes=v.duration_minutes,
        priority="",
        status="",
        as_of=as_of,
        digest=digest,
    )
    row.client_id, row.ticket_id = v.client_id, v.ticket_id
    row.latitude, row.longitude = v.latitude, v.longitude
    row.window_start, row.window_end, row.plan_date = v.window_start, v.window_end, v.window_start.date()
    row.duration_minutes, row.required_skill = v.duration_minutes, v.required_skill
    row.priority, row.status, row.remote_possible = v.priority, v.status, v.remote_possible
    row.as_of, row.digest = as_of, digest
    session.add(row)
    return True


def visits_on(session: Session, day: date) -> list[Visit]:
    query = (
        select(Visit)
        .where(col(Visit.plan_date) == day, col(Visit.status) == "requested")
        .order_by(col(Visit.visit_id))
    )
    return list(session.exec(query))


def visits_by_id(session: Session, ids: list[str]) -> list[Visit]:
    return list(session.exec(select(Visit).where(col(Visit.visit_id).in_(ids))))


def open_work(
    session: Session, client_id: str, start: datetime, end: datetime
) -> tuple[list[Ticket], list[Visit]]:
    tickets = session.exec(
        select(Ticket)
        .where(col(Ticket.client_id) == client_id, col(Ticket.status).not_in(["resolved", "closed"]))
        .order_by(col(Ticket.ticket_id))
    )
    visits = session.exec(
        select(Visit)
        .where(
            col(Visit.client_id) == client_id,
            col(Visit.status) == "requested",
            col(Visit.window_end) >= start,
            col(Visit.window_start) <= end,
        )
        .order_by(col(Visit.visit_id))
    )
    return list(tickets), list(visits)


def open_assigned_tickets(session: Session) -> list[Ticket]:
    """Open tickets with a technician: the estimated work booked ahead."""
    query = (
        select(Ticket)
        .where(
            col(Ticket.status).not_in(["resolved", "closed"]), col(Ticket.assigned_technician_id).is_not(None)
        )
        .order_by(col(Ticket.ticket_id))
    )
    return list(session.exec(query))


def visits_from(session: Session, start: date, end: date) -> list[Visit]:
    """Requested visits whose day is in [start, end]."""
    query = (
        select(Visit)
        .where(col(Visit.plan_date) >= start, col(Visit.plan_date) <= end, col(Visit.status) == "requested")
        .order_by(col(Visit.visit_id))
    )
    return list(session.exec(query))
