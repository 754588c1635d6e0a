"""SPO's pipeline decisions, with hand-computed expectations (no database, no broker)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from msp_events.money import Money

from spo.domain.opportunities import OpportunityVersion, supersedes, weighted

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def version(**changes: object) -> OpportunityVersion:
    base = OpportunityVersion(
        opportunity_id="OPP-1",
        name="Managed services for Contoso",
        client_id=None,
        prospect_name="Contoso",
        stage="proposed",
        status="open",
        probability=Decimal("35"),
        expected_close_date=date(2026, 12, 15),
        estimated_recurring_monthly=usd("4800.00"),
        recurring_term_months=36,
        estimated_one_time=usd("12000.00"),
        primary_sales_rep="M-7",
        last_activity_at=None,
        closed_on=None,
        as_of=T0,
        digest="a" * 64,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_weighted_value_is_value_times_probability() -> None:
    assert weighted(usd("12000.00"), Decimal("35")) == usd("4200.0000")
    assert weighted(Money(amount=Decimal("4800"), currency="EUR"), Decimal("80")) == Money(
        amount=Decimal("3840"), currency="EUR"
    )


def test_weighted_value_rounds_half_up_to_four_places() -> None:
    # 99.99 * 33.3333 / 100 = 33.329966667 -> 33.3300; 0.0001 * 50 / 100 = 0.00005 -> 0.0001
    assert weighted(usd("99.99"), Decimal("33.3333")) == usd("33.3300")
    assert weighted(usd("0.0001"), Decimal("50")) == usd("0.0001")


def test_weighted_value_is_exact_decimal_not_float() -> None:
    # 0.1 + 0.2 style drift would show here with floats: 0.30 * 10 % = 0.03 exactly
    result = weighted(usd("0.30"), Decimal("10"))
    assert result is not None and result.amount == Decimal("0.03") and str(result.amount) == "0.0300"


def test_weighted_value_is_unknown_without_value_or_probability() -> None:
    assert weighted(None, Decimal("50")) is None
    assert weighted(usd("100"), None) is None


def test_weighted_value_of_certain_and_hopeless_deals() -> None:
    assert weighted(usd("500"), Decimal("100")) == usd("500")
    assert weighted(usd("500"), Decimal("0")) == usd("0")


def test_version_weights_recurring_and_one_time_separately() -> None:
    v = version()
    assert v.weighted_recurring_monthly == usd("1680.0000")  # 4800 * 35 %
    assert v.weighted_one_time == usd("4200.0000")  # 12000 * 35 %
    assert version(probability=None).weighted_one_time is None


def test_first_version_is_always_kept() -> None:
    assert supersedes(version(), None)


def test_newer_version_supersedes_older_and_not_the_reverse() -> None:
    old, new = version(as_of=T0), version(as_of=datetime(2026, 11, 3, tzinfo=UTC), stage="verbal")
    assert supersedes(new, old)
    assert not supersedes(old, new)


def test_the_same_version_again_changes_nothing() -> None:
    assert not supersedes(version(), version())


def test_equal_times_are_ordered_by_digest_whatever_the_arrival_order() -> None:
    low, high = version(digest="1" * 64, stage="qualified"), version(digest="f" * 64, stage="verbal")
    assert supersedes(high, low)
    assert not supersedes(low, high)
