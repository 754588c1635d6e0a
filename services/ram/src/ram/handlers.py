"""RAM's event handlers: translate an event into a use-case call, nothing more.

``build_router(settings)`` is called by ``app.py`` (planning and utilisation read the settings).
"""

from __future__ import annotations

from msp_events import Envelope
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import ClientProfitabilityChanged
from msp_events.types.dispatch import VisitRequested
from msp_events.types.platform import ClockTicked
from msp_events.types.psa import TechnicianUpserted, TicketUpdated, TimeEntryLogged

from ram import services, voting
from ram.domain.technicians import CostRate, TechnicianVersion
from ram.settings import Settings
from ram.store import facts


def build_router(settings: Settings) -> HandlerRouter:
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
                        effective_from=r.effective_from,
                        effective_to=r.effective_to,
                        hourly_cost=r.hourly_cost,
                    )
                    for r in t.cost_rates
                ),
                as_of=t.updated_at or event.time,
                digest=t.digest(),
            ),
            list(t.skills),
        )

    @router.handles(TimeEntryLogged)
    def on_time_entry(uow: UnitOfWork, event: Envelope[TimeEntryLogged]) -> None:
        services.record_time_entry(uow, event.data, event.time)

    @router.handles(TicketUpdated)
    def on_ticket(uow: UnitOfWork, event: Envelope[TicketUpdated]) -> None:
        services.record_ticket(uow, event.data)

    @router.handles(VisitRequested)
    def on_visit(uow: UnitOfWork, event: Envelope[VisitRequested]) -> None:
        services.record_visit(uow, event.data, event.time, settings)

    @router.handles(ClockTicked)
    def on_clock(uow: UnitOfWork, event: Envelope[ClockTicked]) -> None:
        services.on_clock(uow, settings)

    @router.handles(ClientProfitabilityChanged)
    def on_profitability(uow: UnitOfWork, event: Envelope[ClientProfitabilityChanged]) -> None:
        services.on_profitability_changed(uow, event.data, settings)

    voting.CONSENSUS.wire(router)
    # time entries and ticket states are held per batch; any other message sees them written first
    router.before(_write_held, except_for=(TimeEntryLogged, TicketUpdated))
    return router


def _write_held(uow: UnitOfWork) -> None:
    uow.batch.flush(uow.session, facts.TIME_ENTRIES)
    uow.batch.flush(uow.session, facts.TICKETS)
