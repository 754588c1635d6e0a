"""SLI's event handlers: translate an event into a use-case call, nothing more.

``build_router(config)`` is called by ``app.py`` (the licensing desk's rules come from the
settings).
"""

from __future__ import annotations

from msp_events import Envelope
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import SalesOpportunityIdentified
from msp_events.types.billing import InvoiceIssued
from msp_events.types.licensing import SeatActivity, SubscriptionUpserted
from msp_events.types.platform import ClockTicked
from msp_events.types.psa import AgreementUpserted
from msp_events.types.rmm import SoftwareInventoried

from sli import services, voting
from sli.domain.subscriptions import SubscriptionVersion
from sli.services import DeskConfig
from sli.store import facts


def build_router(config: DeskConfig) -> HandlerRouter:
    router = HandlerRouter()

    @router.handles(SubscriptionUpserted)
    def on_subscription_upserted(uow: UnitOfWork, event: Envelope[SubscriptionUpserted]) -> None:
        s = event.data
        services.record_subscription(
            uow,
            SubscriptionVersion(
                subscription_id=s.subscription_id,
                client_id=s.client_id,
                tenant_id=s.tenant_id,
                vendor=s.vendor,
                distributor=s.distributor,
                sku_id=s.sku_id,
                sku_part_number=s.sku_part_number,
                product_name=s.product_name,
                quantity=s.quantity,
                consumed_units=s.consumed_units,
                unit_cost=s.unit_cost,
                unit_price=s.unit_price,
                billing_term=s.billing_term,
                commitment_term_months=s.commitment_term_months,
                commitment_end_date=s.commitment_end_date,
                auto_renew=s.auto_renew,
                status=s.status,
                as_of=s.updated_at or event.time,
                digest=s.digest(),
            ),
            s.product_id,
        )

    @router.handles(SeatActivity)
    def on_seat_activity(uow: UnitOfWork, event: Envelope[SeatActivity]) -> None:
        facts.record_seat_activity(uow, event.data, event.data.digest())

    @router.handles(SoftwareInventoried)
    def on_software(uow: UnitOfWork, event: Envelope[SoftwareInventoried]) -> None:
        facts.record_software(uow, event.data, event.data.digest(), config.software_skus)

    @router.handles(AgreementUpserted)
    def on_agreement(uow: UnitOfWork, event: Envelope[AgreementUpserted]) -> None:
        facts.record_agreement(uow.session, event.data, event.time, event.data.digest())

    @router.handles(InvoiceIssued)
    def on_invoice(uow: UnitOfWork, event: Envelope[InvoiceIssued]) -> None:
        facts.record_invoice(uow.session, event.data, event.time, event.data.digest())

    @router.handles(SalesOpportunityIdentified)
    def on_opportunity(uow: UnitOfWork, event: Envelope[SalesOpportunityIdentified]) -> None:
        services.check_opportunity(uow, event.data, config)

    @router.handles(ClockTicked)
    def on_clock(uow: UnitOfWork, event: Envelope[ClockTicked]) -> None:
        services.on_clock(uow, config)

    voting.CONSENSUS.wire(router)
    # seat activity and inventories are held per batch; any other message sees them written first
    router.before(
        lambda uow: uow.batch.flush(uow.session, facts.HELD), except_for=(SeatActivity, SoftwareInventoried)
    )
    return router
