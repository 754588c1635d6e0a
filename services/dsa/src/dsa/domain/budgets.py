"""The budget book: which revision of a department's budget line is current.

A budget line is revised by sending it again with the same id and the payload carries no change
time, so the event time orders revisions: the latest wins (ties broken by digest), and replaying
the same facts in any order leaves the same book.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from msp_events.money import Money


@dataclass(frozen=True)
class BudgetVersion:
    budget_id: str
    department: str
    category: str | None
    """Spend category; None = the whole department."""
    cost_center: str | None
    period_start: date
    period_end: date
    """Last day of the period, inclusive."""
    planned: Money
    alert_threshold_pct: Decimal | None
    as_of: datetime
    digest: str
    """Fingerprint of the payload this version came from; breaks ties between equal ``as_of``."""

    def covers(self, day: date) -> bool:
        return self.period_start <= day <= self.period_end


def supersedes(incoming: BudgetVersion, current: BudgetVersion | None) -> bool:
    """True when ``incoming`` should replace ``current``; an equal version changes nothing."""
    return current is None or (incoming.as_of, incoming.digest) > (current.as_of, current.digest)
