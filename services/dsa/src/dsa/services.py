"""DSA's use cases: each runs inside the unit of work the runtime opened for one event."""

from __future__ import annotations

from datetime import datetime

from msp_events.runtime.uow import UnitOfWork

from dsa.domain.budgets import BudgetVersion, supersedes
from dsa.domain.spend import SpendLine
from dsa.store.repository import BudgetRepository, SpendRepository


def record_budget(uow: UnitOfWork, budget: BudgetVersion) -> bool:
    """Keep the budget line's latest revision; returns False for a stale (older) or repeated one."""
    budgets = BudgetRepository(uow.session)
    if not supersedes(budget, budgets.get(budget.budget_id)):
        return False
    budgets.save(budget)
    return True


def record_spend(
    uow: UnitOfWork, line: SpendLine, source: str, as_of: datetime, digest: str, **dims: str | None
) -> bool:
    """Book a spend line; a correction (same id, later) replaces it, an older copy changes nothing."""
    return SpendRepository(uow.session).upsert(line, source, as_of, digest, **dims)
