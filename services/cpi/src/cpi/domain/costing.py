"""Labour cost: the technician's fully loaded rate in force on the work date, times hours and the
work-type multiplier. Rates are effective-dated and never applied retroactively; a changed rate
re-costs only the entries worked on or after the first date where the rates differ.

Rounding: one entry's cost is rounded half-up to 4 decimals (the ledger's scale); sums stay exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

LEDGER_QUANTUM = Decimal("0.0001")
CENT = Decimal("0.01")
CYCLE_MONTHS = {"monthly": 1, "quarterly": 3, "semi_annual": 6, "annual": 12}


@dataclass(frozen=True)
class RateInput:
    """A cost rate as the PSA lists it (periods may overlap or leave gaps)."""

    effective_from: date
    effective_to: date | None
    hourly_cost: Decimal
    currency: str


@dataclass(frozen=True)
class RatePeriod:
    """A non-overlapping period with one rate: ``valid_from``..``valid_to`` (None = open)."""

    valid_from: date
    valid_to: date | None
    hourly_cost: Decimal
    currency: str


def normalise_rates(rates: Sequence[RateInput]) -> list[RatePeriod]:
    """Non-overlapping periods: a later ``effective_from`` ends the earlier rate the day before;
    an ``effective_to`` before that leaves a gap (hours in it are uncosted). Of two rates with the
    same start, the larger (cost, currency) wins, so the result does not depend on list order."""
    by_start: dict[date, RateInput] = {}
    for rate in rates:
        kept = by_start.get(rate.effective_from)
        if kept is None or (rate.hourly_cost, rate.currency) > (kept.hourly_cost, kept.currency):
            by_start[rate.effective_from] = rate
    starts = sorted(by_start)
    periods = []
    for i, start in enumerate(starts):
        rate = by_start[start]
        end = rate.effective_to
        if i + 1 < len(starts):
            day_before_next = starts[i + 1] - timedelta(days=1)
            end = day_before_next if end is None else min(end, day_before_next)
        if end is not None and end < start:
            continue
        periods.append(RatePeriod(start, end, rate.hourly_cost, rate.currency))
    return periods


def rate_on(periods: Sequence[RatePeriod], day: date) -> RatePeriod | None:
    """The rate in force on ``day``, or None (the hours are then reported uncosted)."""
    for period in periods:
        if period.valid_from <= day and (period.valid_to is None or day <= period.valid_to):
            return period
    return None


def first_difference(old: Sequence[RatePeriod], new: Sequence[RatePeriod]) -> date | None:
    """The first work date costed differently under ``new`` than under ``old`` (None: no change)."""
    candidates = set()
    for period in (*old, *new):
        candidates.add(period.valid_from)
        if period.valid_to is not None:
            candidates.add(period.valid_to + timedelta(days=1))
    for day in sorted(candidates):
        a, b = rate_on(old, day), rate_on(new, day)
        if (a and (a.hourly_cost, a.currency)) != (b and (b.hourly_cost, b.currency)):
            return day
    return None


def labour_cost(hours: Decimal, hourly_cost: Decimal, multiplier: Decimal | None = None) -> Decimal:
    """``hours x hourly_cost x multiplier`` (multiplier None = 1), half-up to 4 decimals."""
    factor = Decimal(1) if multiplier is None else multiplier
    return (hours * hourly_cost * factor).quantize(LEDGER_QUANTUM, rounding=ROUND_HALF_UP)


def per_month(amount: Decimal, billing_cycle: str) -> Decimal | None:
    """A per-cycle amount as a monthly one (quarterly / 3 ...); None for one-time billing."""
    months = CYCLE_MONTHS.get(billing_cycle)
    if months is None:
        return None
    return (amount / months).quantize(LEDGER_QUANTUM, rounding=ROUND_HALF_UP)


def split_over_months(amount: Decimal, months: int) -> list[Decimal]:
    """An amount spread evenly over ``months`` months, in cents, the remainder in the last month
    (so the parts always add up to the amount exactly)."""
    if months <= 1:
        return [amount]
    share = (amount / months).quantize(CENT, rounding=ROUND_HALF_UP)
    return [share] * (months - 1) + [amount - share * (months - 1)]
