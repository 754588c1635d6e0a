"""DSA's use cases: each runs inside the unit of work the runtime opened for one event."""

from __future__ import annotations

from msp_events.runtime.uow import UnitOfWork

from dsa.domain.budgets import BudgetVersion, supersedes
from dsa.store.repository import BudgetRepository


def record_budget(uow: UnitOfWork, budget: BudgetVersion) -> bool:
    """Keep the budget line's latest revision; returns False for a stale (older) or repeated one."""
    budgets = BudgetRepository(uow.session)
    if not supersedes(budget, budgets.get(budget.budget_id)):
        return False
    budgets.save(budget)
    return True
