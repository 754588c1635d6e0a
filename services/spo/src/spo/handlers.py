"""SPO's event handlers: translate an event into a use-case call, nothing more.

``build_router(config)`` is called by ``app.py`` (the sales desk's rules come from the settings).
A deal change leaves its score to the batch (``winning.hold``); every other message records the
held scores first, so no held score ever crosses a message of another kind.
"""

from __future__ import annotations

from datetime import datetime

from msp_events import Envelope
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import (
    ClientChurnRiskChanged,
    ClientProfitabilityChanged,
    LicenseComplianceChecked,
    LicenseComplianceViolation,
)
from msp_events.types.crm import OpportunityUpserted
from msp_events.types.platform import ClockTicked
from msp_events.types.psa import AgreementUpserted, ClientUpserted, TimeEntryLogged

from spo import proposing, services, suggesting, voting
from spo.domain.opportunities import OpportunityVersion
from spo.domain.suggestions import Rules
from spo.proposing import ProposalConfig
from spo.store import facts
from spo.winning import WinConfig


def build_router(
    config: WinConfig, rules: Rules | None = None, proposals: ProposalConfig | None = None
) -> HandlerRouter:
    rules = rules or Rules()
    proposals = proposals or ProposalConfig()
    router = HandlerRouter()

    @router.handles(OpportunityUpserted)
    def on_opportunity_upserted(uow: UnitOfWork, event: Envelope[OpportunityUpserted]) -> None:
        services.record_opportunity(uow, opportunity_version(event.data, event.time), config)

    @router.handles(ClientProfitabilityChanged)
    def on_profitability(uow: UnitOfWork, event: Envelope[ClientProfitabilityChanged]) -> None:
        p = event.data
        services.record_margin(uow, p.client_id, str(p.period), p.gross_margin_pct, p.band, config)
        facts.record_margin(uow.session, p)

    @router.handles(ClientUpserted)
    def on_client(uow: UnitOfWork, event: Envelope[ClientUpserted]) -> None:
        services.settle_scores(uow)
        facts.record_client(uow.session, event.data, event.time)

    @router.handles(AgreementUpserted)
    def on_agreement(uow: UnitOfWork, event: Envelope[AgreementUpserted]) -> None:
        services.settle_scores(uow)
        facts.record_agreement(uow.session, event.data, event.time)

    @router.handles(TimeEntryLogged)
    def on_time_entry(uow: UnitOfWork, event: Envelope[TimeEntryLogged]) -> None:
        services.settle_scores(uow)
        facts.record_time_entry(uow.session, event.data)

    @router.handles(LicenseComplianceViolation)
    def on_licence_violation(uow: UnitOfWork, event: Envelope[LicenseComplianceViolation]) -> None:
        services.settle_scores(uow)
        facts.record_violation(uow.session, event.data, event.time)

    @router.handles(ClientChurnRiskChanged)
    def on_churn_risk(uow: UnitOfWork, event: Envelope[ClientChurnRiskChanged]) -> None:
        c = event.data
        services.record_churn_risk(uow, c.client_id, c.as_of, c.probability, config)

    @router.handles(ClockTicked)
    def on_clock(uow: UnitOfWork, event: Envelope[ClockTicked]) -> None:
        services.on_clock(uow, config)
        suggesting.run_rules(uow, rules, proposals)
        proposing.on_tick(uow, proposals)

    @router.handles(LicenseComplianceChecked)
    def on_licence_checked(uow: UnitOfWork, event: Envelope[LicenseComplianceChecked]) -> None:
        services.settle_scores(uow)
        proposing.on_checked(uow, event.data, proposals)

    voting.CONSENSUS.wire(router)
    return router


def opportunity_version(o: OpportunityUpserted, time: datetime) -> OpportunityVersion:
    """The CRM payload as SPO keeps it (``time``: the event's, when the CRM gave no change time)."""
    return OpportunityVersion(
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
        as_of=o.updated_at or time,
        digest=o.digest(),
        source=o.source,
        opportunity_type=o.opportunity_type,
        rating=o.rating,
        created_on=o.created_on,
        pipeline_change_date=o.pipeline_change_date,
        prospect_industry=o.prospect_industry,
        prospect_employees=o.prospect_employee_count,
        products=None if o.products is None else tuple(sorted(set(o.products))),
    )
