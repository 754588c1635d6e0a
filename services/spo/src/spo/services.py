"""SPO's use cases: each runs inside the unit of work the runtime opened for one event."""

from __future__ import annotations

from msp_events.runtime.uow import UnitOfWork

from spo.domain.opportunities import OpportunityVersion, supersedes
from spo.store.repository import OpportunityRepository


def record_opportunity(uow: UnitOfWork, opportunity: OpportunityVersion) -> bool:
    """Keep the opportunity's latest state; returns False for a stale (older) or repeated version."""
    opportunities = OpportunityRepository(uow.session)
    if not supersedes(opportunity, opportunities.get(opportunity.opportunity_id)):
        return False
    opportunities.save(opportunity)
    return True
