"""RAM's use cases: each runs inside the unit of work the runtime opened for one event."""

from __future__ import annotations

from dataclasses import replace

from msp_events.runtime.errors import PermanentError
from msp_events.runtime.uow import UnitOfWork

from ram.domain.technicians import InvalidCostHistory, TechnicianVersion, cost_history, supersedes
from ram.store.repository import TechnicianRepository


def record_technician(uow: UnitOfWork, technician: TechnicianVersion) -> bool:
    """Keep the technician's latest state and cost history; False for a stale or repeated version."""
    try:
        technician = replace(technician, cost_rates=cost_history(technician.cost_rates))
    except InvalidCostHistory as exc:  # retrying cannot fix the payload: dead-letter it with the reason
        raise PermanentError(f"technician {technician.technician_id}: {exc}") from exc
    technicians = TechnicianRepository(uow.session)
    if not supersedes(technician, technicians.get(technician.technician_id)):
        return False
    technicians.save(technician)
    return True
