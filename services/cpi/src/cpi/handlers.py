"""CPI's event handlers: translate an event into a use-case call, nothing more.

``build_router(config)`` is called by ``app.py`` (the margin policy comes from the settings).
Types another part of CPI also needs (churn risk) call both use cases: the router allows one
handler per type.
"""

from __future__ import annotations

from msp_events import Envelope
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import LicenseComplianceViolation
from msp_events.types.billing import InvoiceIssued, PaymentReceived
from msp_events.types.licensing import SubscriptionUpserted
from msp_events.types.platform import ClockTicked
from msp_events.types.psa import (
    AgreementUpserted,
    ClientUpserted,
    TechnicianUpserted,
    TicketUpdated,
    TimeEntryLogged,
)

from cpi import services, voting
from cpi.churn import services as churn
from cpi.domain.clients import ClientVersion
from cpi.services import LedgerConfig


def build_router(config: LedgerConfig) -> HandlerRouter:
    router = HandlerRouter()

    @router.handles(ClientUpserted)
    def on_client_upserted(uow: UnitOfWork, event: Envelope[ClientUpserted]) -> None:
        c = event.data
        version = ClientVersion(
            client_id=c.client_id,
            name=c.name,
            status=c.status,
            tier=c.tier,
            currency=c.currency,
            as_of=c.updated_at or event.time,
            digest=c.digest(),
        )
        services.record_client(uow, version, config)
        churn.record_client_status(uow, c, event.time)

    @router.handles(AgreementUpserted)
    def on_agreement(uow: UnitOfWork, event: Envelope[AgreementUpserted]) -> None:
        services.record_agreement(uow, event.data, event.time, config)
        churn.record_agreement_term(uow, event.data, event.time)

    @router.handles(TechnicianUpserted)
    def on_technician(uow: UnitOfWork, event: Envelope[TechnicianUpserted]) -> None:
        services.record_technician(uow, event.data, event.time, config)

    @router.handles(TimeEntryLogged)
    def on_time_entry(uow: UnitOfWork, event: Envelope[TimeEntryLogged]) -> None:
        services.record_time_entry(uow, event.data, event.time, config)

    @router.handles(InvoiceIssued)
    def on_invoice(uow: UnitOfWork, event: Envelope[InvoiceIssued]) -> None:
        services.record_invoice(uow, event.data, event.time, config)
        churn.record_invoice_due(uow, event.data, event.time)

    @router.handles(SubscriptionUpserted)
    def on_subscription(uow: UnitOfWork, event: Envelope[SubscriptionUpserted]) -> None:
        services.record_subscription(uow, event.data, event.time, config)

    @router.handles(LicenseComplianceViolation)
    def on_licence_violation(uow: UnitOfWork, event: Envelope[LicenseComplianceViolation]) -> None:
        services.record_leakage(uow, event.data, event.time, config)

    @router.handles(TicketUpdated)
    def on_ticket(uow: UnitOfWork, event: Envelope[TicketUpdated]) -> None:
        churn.record_ticket(uow, event.data, event.time)

    @router.handles(PaymentReceived)
    def on_payment(uow: UnitOfWork, event: Envelope[PaymentReceived]) -> None:
        churn.record_payment(uow, event.data, event.time)

    @router.handles(ClockTicked)
    def on_clock(uow: UnitOfWork, event: Envelope[ClockTicked]) -> None:
        services.on_clock(uow, config)
        churn.on_clock(uow, uow.now)
        voting.CONSENSUS.close_due(uow)

    voting.CONSENSUS.wire(router)
    return router
