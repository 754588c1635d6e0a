"""RAM's use cases: each runs inside the unit of work the runtime opened for one event."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from msp_events.runtime.errors import PermanentError
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import ClientProfitabilityChanged
from msp_events.types.dispatch import VisitRequested
from msp_events.types.psa import Skill, TicketUpdated, TimeEntryLogged

from ram import allocation, dispatch, planning, utilisation_runs
from ram.domain.technicians import InvalidCostHistory, TechnicianVersion, cost_history, supersedes
from ram.domain.utilisation import Bands
from ram.settings import Settings
from ram.store import facts
from ram.store.repository import TechnicianRepository


def bands(settings: Settings) -> Bands:
    return Bands(
        under_below=settings.utilisation_under_pct,
        target_low=settings.utilisation_target_low_pct,
        target_high=settings.utilisation_target_high_pct,
    )


def record_technician(
    uow: UnitOfWork, technician: TechnicianVersion, skills: list[Skill] | None = None
) -> bool:
    """Keep the technician's latest state, skills and cost history; False for a stale or repeated version."""
    try:
        technician = replace(technician, cost_rates=cost_history(technician.cost_rates))
    except InvalidCostHistory as exc:  # retrying cannot fix the payload: dead-letter it with the reason
        raise PermanentError(f"technician {technician.technician_id}: {exc}") from exc
    technicians = TechnicianRepository(uow.session)
    if not supersedes(technician, technicians.get(technician.technician_id)):
        return False
    technicians.save(technician)
    facts.save_skills(uow.session, technician.technician_id, skills or [])
    return True


def record_time_entry(uow: UnitOfWork, entry: TimeEntryLogged, as_of: datetime) -> None:
    facts.record_time_entry(uow, entry, as_of, entry.digest())


def record_ticket(uow: UnitOfWork, ticket: TicketUpdated) -> None:
    facts.record_ticket(uow, ticket, ticket.digest())


def record_visit(uow: UnitOfWork, visit: VisitRequested, as_of: datetime, settings: Settings) -> None:
    """Store the visit; when its day is already planned and not over, re-plan that day."""
    if not facts.record_visit(uow.session, visit, as_of, visit.digest()):
        return
    day = visit.window_start.date()
    if day >= uow.now.date() and planning.stored_plan(uow.session, day) is not None:
        planning.plan_day(uow.session, day, uow.now, settings)


def on_clock(uow: UnitOfWork, settings: Settings) -> None:
    """Judge the periods that closed; plan today if it is not planned yet; assign
    incoming tickets and visits; then foresee the open periods."""
    utilisation_runs.on_tick(uow, bands(settings))
    today = uow.now.date()
    if planning.stored_plan(uow.session, today) is None:
        planning.plan_day(uow.session, today, uow.now, settings)
    dispatch.assign_on_tick(uow, settings)
    utilisation_runs.forecast_on_tick(uow, bands(settings), settings.forecast_under_lookahead_days)


def on_profitability_changed(uow: UnitOfWork, event: ClientProfitabilityChanged, settings: Settings) -> None:
    allocation.recommend(uow, event, settings)
