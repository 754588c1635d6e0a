"""DSA's event handlers: translate an event into a use-case call, nothing more."""

from __future__ import annotations

from datetime import timedelta

from msp_events import Envelope
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import (
    ContractRenewalDue,
    LicenseComplianceViolation,
    ResourceAllocationRecommended,
)
from msp_events.types.cloud import CloudCostRecorded
from msp_events.types.finance import BudgetSet, ExpenseRecorded
from msp_events.types.platform import ClockTicked
from msp_events.types.psa import TechnicianUpserted, TicketUpdated, TimeEntryLogged

from dsa import anomaly_runs, roi_runs, services, vendor_runs, voting_runs
from dsa.domain.budgets import BudgetVersion
from dsa.domain.spend import SpendLine

UNTAGGED = "untagged"
"""Department of cloud cost without a cost-allocation tag: shown, never dropped."""
CLOUD = "Cloud"
"""Category of cloud cost (the provider bill does not carry the finance category)."""

router = HandlerRouter()


@router.handles(BudgetSet)
def on_budget_set(uow: UnitOfWork, event: Envelope[BudgetSet]) -> None:
    b = event.data
    services.record_budget(
        uow,
        BudgetVersion(
            budget_id=b.budget_id,
            department=b.department,
            category=b.category,
            cost_center=b.cost_center,
            period_start=b.period_start,
            period_end=b.period_end,
            planned=b.planned,
            alert_threshold_pct=b.alert_threshold_pct,
            as_of=b.updated_at or event.time,  # exports before 1.1 carry no revision time
            digest=b.digest(),
        ),
    )


@router.handles(ExpenseRecorded)
def on_expense(uow: UnitOfWork, event: Envelope[ExpenseRecorded]) -> None:
    e = event.data
    line = SpendLine(
        line_id=f"expense:{e.expense_id}",
        day=e.expense_date,
        department=e.department,
        category=e.category,
        vendor=e.vendor,
        amount=e.amount,
    )
    services.record_spend(uow, line, "expense", event.time, e.digest())


@router.handles(CloudCostRecorded)
def on_cloud_cost(uow: UnitOfWork, event: Envelope[CloudCostRecorded]) -> None:
    c = event.data
    line = SpendLine(
        line_id=f"cloud:{c.cost_line_id}",
        day=c.usage_date,
        department=c.department or UNTAGGED,
        category=CLOUD,
        vendor=c.provider.upper(),
        amount=c.unblended_cost,
    )
    services.record_spend(
        uow, line, "cloud", event.time, c.digest(), account=c.linked_account_id, service=c.service
    )


@router.handles(ClockTicked)
def on_clock(uow: UnitOfWork, event: Envelope[ClockTicked]) -> None:
    """A day has closed: judge the spend booked since the last run (anomalies)."""
    if anomaly_runs.run_due(event.data.now):
        anomaly_runs.detect_and_publish(uow, event.data.now.date() - timedelta(days=1))


@router.handles(ContractRenewalDue)
def on_renewal_due(uow: UnitOfWork, event: Envelope[ContractRenewalDue]) -> None:
    vendor_runs.analyse_renewal(uow, event.data)


@router.handles(LicenseComplianceViolation)
def on_licence_finding(uow: UnitOfWork, event: Envelope[LicenseComplianceViolation]) -> None:
    """An SLI finding reported or resolved: a fact of the ROI ledger (licence savings)."""
    roi_runs.record_licence_report(uow, event.data, event.time)


@router.handles(ResourceAllocationRecommended)
def on_allocation_advice(uow: UnitOfWork, event: Envelope[ResourceAllocationRecommended]) -> None:
    """RAM advised moving a client's work to cheaper hands: a fact of the ROI ledger."""
    roi_runs.record_allocation_advice(uow, event.data, event.time)


@router.handles(TicketUpdated)
def on_ticket_updated(uow: UnitOfWork, event: Envelope[TicketUpdated]) -> None:
    """A ticket's assignment: the sign that RAM's move of that ticket was acted on (ROI ledger)."""
    roi_runs.record_ticket_assignment(uow, event.data)


@router.handles(TimeEntryLogged)
def on_time_entry(uow: UnitOfWork, event: Envelope[TimeEntryLogged]) -> None:
    """Hours logged on a ticket: what a RAM move of that ticket saved is costed from them (ROI ledger)."""
    roi_runs.record_time_entry(uow, event.data, event.time)


@router.handles(TechnicianUpserted)
def on_technician(uow: UnitOfWork, event: Envelope[TechnicianUpserted]) -> None:
    """A technician's cost rates: the price of the hours a RAM move shifted (ROI ledger)."""
    roi_runs.record_technician_rates(uow, event.data, event.time)


voting_runs.CONSENSUS.wire(router)
