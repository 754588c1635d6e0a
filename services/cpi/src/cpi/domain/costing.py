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
from typing import Literal

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


# -- one cost source per resold item ------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """What an invoice line or an agreement addition resells: the vendor SKU and the PSA catalog
    product id (either may be missing; ``product`` as ``product_key`` left it)."""

    sku: str | None
    product: str | None


def product_key(product_id: str | None) -> str | None:
    """A PSA product id as CPI compares it: surrounding blanks dropped, blank = no product,
    otherwise exact (case kept). The same PSA catalog numbers the addition and the invoice line,
    and ids are compared exactly everywhere else (vendor SKUs, clients, agreements; the ingest tool
    strips ids the same way), so no case folding or fuzzy name matching, which could merge two
    products and hide a real cost."""
    if product_id is None:
        return None
    key = product_id.strip()
    return key or None


def match(line: Item, addition: Item) -> Literal["sku", "product"] | None:
    """Whether an invoice line bills what an agreement addition resells, and by what.

    The vendor SKU decides when both carry one (it names the licence exactly: two SKUs under one PSA
    product are two costs); otherwise the product id, because a PSA often prints licence lines
    without the vendor SKU the addition has (or the reverse), and the line's unit cost is then the
    addition's cost billed again. A matched line's cost is the addition's and is never counted a
    second time (``store.ledger`` runs this rule in SQL)."""
    if line.sku is not None and addition.sku is not None:
        return "sku" if line.sku == addition.sku else None
    if line.product is not None and line.product == addition.product:
        return "product"
    return None
