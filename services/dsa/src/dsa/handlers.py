"""DSA's event handlers: translate an event into a use-case call, nothing more."""

from __future__ import annotations

from msp_events import Envelope
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.finance import BudgetSet

from dsa import services
from dsa.domain.budgets import BudgetVersion

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
