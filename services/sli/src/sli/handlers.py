"""SLI's event handlers: translate an event into a use-case call, nothing more."""

from __future__ import annotations

from msp_events import Envelope
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.licensing import SubscriptionUpserted

from sli import services
from sli.domain.subscriptions import SubscriptionVersion

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
    )
