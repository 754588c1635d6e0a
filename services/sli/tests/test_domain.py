"""SLI's subscription-book decisions, with hand-computed expectations (no database, no broker)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from msp_events.money import Money

from sli.domain.subscriptions import SubscriptionVersion, supersedes

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def version(**changes: object) -> SubscriptionVersion:
    base = SubscriptionVersion(
        subscription_id="SUB-1",
        client_id="C-1001",
        tenant_id=None,
        vendor="Microsoft",
        distributor="Pax8",
        sku_id="cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
        sku_part_number="SPB",
        product_name="Microsoft 365 Business Premium",
        quantity=25,
        consumed_units=22,
        unit_cost=Money(amount=Decimal("17.60"), currency="USD"),
        unit_price=Money(amount=Decimal("22.00"), currency="USD"),
        billing_term="monthly",
        commitment_term_months=12,
        commitment_end_date=date(2027, 3, 31),
        auto_renew=True,
        status="active",
        as_of=T0,
        digest="a" * 64,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_first_version_is_always_kept() -> None:
    assert supersedes(version(), None)


def test_newer_sync_supersedes_older_and_not_the_reverse() -> None:
    old, new = version(), version(as_of=datetime(2026, 11, 2, 10, 0, tzinfo=UTC), quantity=30)
    assert supersedes(new, old)
    assert not supersedes(old, new)


def test_the_same_version_again_changes_nothing() -> None:
    assert not supersedes(version(), version())


def test_equal_times_are_ordered_by_digest() -> None:
    low, high = version(digest="1" * 64), version(digest="f" * 64, quantity=30)
    assert supersedes(high, low) and not supersedes(low, high)


def test_unassigned_seats_are_bought_minus_assigned() -> None:
    assert version(quantity=25, consumed_units=22).unassigned_seats == 3
    assert version(quantity=20, consumed_units=22).unassigned_seats == -2  # over-assigned
    assert version(consumed_units=None).unassigned_seats is None  # tenant not read
