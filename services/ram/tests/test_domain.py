"""RAM's roster decisions and effective-dated cost rates, with hand-computed expectations."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from msp_events.money import Money

from ram.domain.technicians import (
    CostRate,
    InvalidCostHistory,
    TechnicianVersion,
    cost_history,
    cost_rate_on,
    supersedes,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def rate(start: date, cost: str, end: date | None = None) -> CostRate:
    return CostRate(effective_from=start, effective_to=end, hourly_cost=usd(cost))


JAN_25 = rate(date(2025, 1, 1), "40.00")
JUL_25 = rate(date(2025, 7, 1), "45.00")
JAN_26 = rate(date(2026, 1, 1), "48.50")
HISTORY = (JAN_25, JUL_25, JAN_26)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2024, 12, 31), None),  # before the first rate: cost unknown
        (date(2025, 1, 1), JAN_25),  # a rate applies from its first day
        (date(2025, 6, 30), JAN_25),  # ...up to the day before the next one starts
        (date(2025, 7, 1), JUL_25),
        (date(2025, 12, 31), JUL_25),
        (date(2026, 1, 1), JAN_26),
        (date(2030, 5, 17), JAN_26),  # open-ended: in force until replaced
    ],
)
def test_cost_rate_on_picks_the_latest_rate_started_on_or_before_the_day(
    day: date, expected: CostRate | None
) -> None:
    assert cost_rate_on(HISTORY, day) == expected


def test_cost_rate_on_does_not_depend_on_the_order_of_the_history() -> None:
    assert cost_rate_on((JAN_26, JAN_25, JUL_25), date(2025, 8, 1)) == JUL_25


def test_cost_rate_on_an_empty_history_is_unknown() -> None:
    assert cost_rate_on((), date(2026, 1, 1)) is None


def test_a_rate_that_ended_leaves_a_gap_rather_than_reviving_an_older_rate() -> None:
    history = (rate(date(2025, 1, 1), "40.00"), rate(date(2025, 3, 1), "42.00", end=date(2025, 3, 31)))
    assert cost_rate_on(history, date(2025, 3, 31)) == history[1]  # effective_to is inclusive
    assert cost_rate_on(history, date(2025, 4, 1)) is None


def test_an_hour_is_costed_exactly_at_the_rate_in_force() -> None:
    # 7.5 h on 2025-07-01 at 45.00/h = 337.50; the same hours a day earlier at 40.00/h = 300.00
    on_rate = cost_rate_on(HISTORY, date(2025, 7, 1))
    before = cost_rate_on(HISTORY, date(2025, 6, 30))
    assert on_rate is not None and before is not None
    assert on_rate.hourly_cost * Decimal("7.5") == usd("337.50")
    assert before.hourly_cost * Decimal("7.5") == usd("300.00")


def test_cost_history_is_ordered_oldest_first() -> None:
    assert cost_history((JAN_26, JAN_25, JUL_25)) == HISTORY


def test_two_rates_starting_the_same_day_are_ambiguous() -> None:
    with pytest.raises(InvalidCostHistory, match="2025-07-01"):
        cost_history((JAN_25, JUL_25, rate(date(2025, 7, 1), "46.00")))


def test_a_rate_ending_before_it_starts_is_rejected() -> None:
    with pytest.raises(InvalidCostHistory, match="ends before it starts"):
        cost_history((rate(date(2025, 7, 1), "45.00", end=date(2025, 6, 30)),))


def version(**changes: object) -> TechnicianVersion:
    base = TechnicianVersion(
        technician_id="M-1",
        name="Ada Lovelace",
        email=None,
        work_role="Engineer L2",
        time_zone=None,
        home_latitude=None,
        home_longitude=None,
        daily_capacity_hours=Decimal("7.5"),
        weekly_billable_hours_target=None,
        include_in_utilisation=True,
        hourly_rate=None,
        active=True,
        cost_rates=HISTORY,
        as_of=T0,
        digest="a" * 64,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_newer_technician_version_supersedes_older_and_not_the_reverse() -> None:
    old, new = version(), version(as_of=datetime(2026, 11, 3, tzinfo=UTC), active=False)
    assert supersedes(old, None)
    assert supersedes(new, old)
    assert not supersedes(old, new)
    assert not supersedes(old, old)


def test_equal_times_are_ordered_by_digest() -> None:
    low, high = version(digest="1" * 64), version(digest="f" * 64, work_role="Engineer L3")
    assert supersedes(high, low) and not supersedes(low, high)
