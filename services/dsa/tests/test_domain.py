"""DSA's budget-book decisions, with hand-computed expectations (no database, no broker)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from msp_events.money import Money

from dsa.domain.budgets import BudgetVersion, supersedes

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def version(**changes: object) -> BudgetVersion:
    base = BudgetVersion(
        budget_id="B-2026-Q4-SD",
        department="Service Delivery",
        category="Software",
        cost_center=None,
        period_start=date(2026, 10, 1),
        period_end=date(2026, 12, 31),
        planned=Money(amount=Decimal("45000.00"), currency="USD"),
        alert_threshold_pct=Decimal("80"),
        as_of=T0,
        digest="a" * 64,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_first_revision_is_always_kept() -> None:
    assert supersedes(version(), None)


def test_a_later_revision_supersedes_an_earlier_one_and_not_the_reverse() -> None:
    old = version()
    raised = Money(amount=Decimal("50000"), currency="USD")
    new = version(as_of=datetime(2026, 11, 20, tzinfo=UTC), planned=raised)
    assert supersedes(new, old)
    assert not supersedes(old, new)


def test_the_same_revision_again_changes_nothing() -> None:
    assert not supersedes(version(), version())


def test_equal_times_are_ordered_by_digest() -> None:
    low, high = version(digest="1" * 64), version(digest="f" * 64, category=None)
    assert supersedes(high, low) and not supersedes(low, high)


def test_a_budget_covers_its_period_inclusive_of_both_ends() -> None:
    budget = version()
    assert budget.covers(date(2026, 10, 1)) and budget.covers(date(2026, 12, 31))
    assert not budget.covers(date(2026, 9, 30)) and not budget.covers(date(2027, 1, 1))
