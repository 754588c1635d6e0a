"""SPO's event handlers: translate an event into a use-case call, nothing more."""

from __future__ import annotations

from msp_events import Envelope
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.crm import OpportunityUpserted

from spo import services
from spo.domain.opportunities import OpportunityVersion

router = HandlerRouter()


@router.handles(OpportunityUpserted)
def on_opportunity_upserted(uow: UnitOfWork, event: Envelope[OpportunityUpserted]) -> None:
    o = event.data
    services.record_opportunity(
        uow,
        OpportunityVersion(
            opportunity_id=o.opportunity_id,
            name=o.name,
            client_id=o.client_id,
            prospect_name=o.prospect_name,
            stage=o.stage,
            status=o.status,
            probability=o.probability,
            expected_close_date=o.expected_close_date,
            estimated_recurring_monthly=o.estimated_recurring_monthly,
            recurring_term_months=o.recurring_term_months,
            estimated_one_time=o.estimated_one_time,
            primary_sales_rep=o.primary_sales_rep,
            last_activity_at=o.last_activity_at,
            closed_on=o.closed_on,
            as_of=o.updated_at or event.time,
            digest=o.digest(),
        ),
    )
