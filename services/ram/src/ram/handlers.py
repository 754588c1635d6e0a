"""RAM's event handlers: translate an event into a use-case call, nothing more."""

from __future__ import annotations

from msp_events import Envelope
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.psa import TechnicianUpserted

from ram import services
from ram.domain.technicians import CostRate, TechnicianVersion

router = HandlerRouter()


@router.handles(TechnicianUpserted)
def on_technician_upserted(uow: UnitOfWork, event: Envelope[TechnicianUpserted]) -> None:
    t = event.data
    services.record_technician(
        uow,
        TechnicianVersion(
            technician_id=t.technician_id,
            name=t.name,
            email=t.email,
            work_role=t.work_role,
            time_zone=t.time_zone,
            home_latitude=t.home_latitude,
            home_longitude=t.home_longitude,
            daily_capacity_hours=t.daily_capacity_hours,
            weekly_billable_hours_target=t.weekly_billable_hours_target,
            include_in_utilisation=t.include_in_utilisation,
            hourly_rate=t.hourly_rate,
            active=t.active,
            cost_rates=tuple(
                CostRate(
                    effective_from=r.effective_from, effective_to=r.effective_to, hourly_cost=r.hourly_cost
                )
                for r in t.cost_rates
            ),
            as_of=t.updated_at or event.time,
            digest=t.digest(),
        ),
    )
