"""Month figures from the ledger's aggregated lines (pure arithmetic, exact decimals).

Formulas (ConnectWise/MSPbots agreement KPIs, BrightGauge efficiency index, CW write-down)::

    billed            = fee + labour + product + licence + other revenue
    direct cost       = addition + licence + product + other cost      ("addition cost")
    profit            = billed - (direct cost + labour cost)
    gross margin %    = profit / billed * 100                         (None when billed = 0)
    effective rate    = (billed - direct cost) / labour hours         (None when no hours)
    contribution rate = profit / labour hours                         (None when no hours)
    efficiency index  = profit / billed + (1 - target margin)         (1.00 = exactly on target)
    prepaid burn %    = hours used / hours included * 100             (None when nothing included)
    write-down        = time value capped at the monthly fee; each entry scaled by its share

Rounding: money at the edges to cents (half-up), percentages and the index to 0.01 / 0.0001,
rates to cents; sums inside the ledger are exact at 4 decimals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
PCT = Decimal("0.01")
INDEX = Decimal("0.0001")
ZERO = Decimal(0)
HUNDRED = Decimal(100)


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def pct(value: Decimal) -> Decimal:
    return value.quantize(PCT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class MonthLines:
    """The summed ledger lines of one key (an agreement, or a client's agreements added up)."""

    revenue_fee: Decimal = ZERO
    revenue_labour: Decimal = ZERO
    revenue_product: Decimal = ZERO
    revenue_licence: Decimal = ZERO
    revenue_other: Decimal = ZERO
    cost_labour: Decimal = ZERO
    cost_addition: Decimal = ZERO
    cost_licence: Decimal = ZERO
    cost_product: Decimal = ZERO
    cost_other: Decimal = ZERO
    labour_hours: Decimal = ZERO
    prepaid_hours: Decimal = ZERO
    time_value: Decimal = ZERO
    uncosted_hours: Decimal = ZERO
    unlinked_hours: Decimal = ZERO
    uncosted_revenue: Decimal = ZERO
    currency_mismatches: int = 0
    leakage: Decimal = ZERO
    leakage_findings: int = 0
    lines_matched_by_product: int = 0
    licence_cost_unmatched: Decimal = ZERO

    def __add__(self, other: MonthLines) -> MonthLines:
        return MonthLines(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    @property
    def billed(self) -> Decimal:
        return (
            self.revenue_fee
            + self.revenue_labour
            + self.revenue_product
            + self.revenue_licence
            + self.revenue_other
        )

    @property
    def direct_cost(self) -> Decimal:
        """Everything but labour: additions, licences, products, other direct costs."""
        return self.cost_addition + self.cost_licence + self.cost_product + self.cost_other

    @property
    def cost(self) -> Decimal:
        return self.direct_cost + self.cost_labour


def total(lines: Sequence[MonthLines]) -> MonthLines:
    out = MonthLines()
    for line in lines:
        out = out + line
    return out


@dataclass(frozen=True)
class WriteDown:
    """Fixed-fee write-down of one agreement month, beside the raw time value."""

    time_value: Decimal
    cap: Decimal
    written_value: Decimal
    write_down: Decimal
    effective_rate_raw: Decimal | None
    effective_rate_written: Decimal | None


@dataclass(frozen=True)
class MonthFigures:
    billed: Decimal
    direct_cost: Decimal
    labour_cost: Decimal
    cost: Decimal
    profit: Decimal
    gross_margin_pct: Decimal | None
    effective_rate: Decimal | None
    contribution_rate: Decimal | None
    efficiency_index: Decimal | None
    labour_hours: Decimal
    hours_used: Decimal
    hours_included: Decimal | None
    burn_pct: Decimal | None
    write_down: WriteDown | None = field(default=None)


def gross_margin_pct(lines: MonthLines) -> Decimal | None:
    """``(billed - cost) / billed * 100`` to 0.01; None when nothing was billed."""
    if lines.billed == 0:
        return None
    return pct((lines.billed - lines.cost) / lines.billed * HUNDRED)


def efficiency_index(margin_pct: Decimal | None, target_margin_pct: Decimal) -> Decimal | None:
    """``GM + (1 - target)`` as fractions: a client exactly on target scores 1.0000."""
    if margin_pct is None:
        return None
    return ((margin_pct - target_margin_pct) / HUNDRED + 1).quantize(INDEX, rounding=ROUND_HALF_UP)


def write_down_entries(values: Sequence[Decimal], cap: Decimal) -> list[Decimal]:
    """Each entry's time value scaled by ``cap / total`` when the total exceeds the cap, in cents,
    the rounding remainder on the largest entry, so the entries add up to the cap exactly."""
    value = sum(values, ZERO)
    if value <= cap or value == 0:
        return list(values)
    scaled = [cents(v * cap / value) for v in values]
    largest = max(range(len(values)), key=lambda i: (values[i], -i))
    scaled[largest] += cap - sum(scaled, ZERO)
    return scaled


def write_down(time_value: Decimal, cap: Decimal, hours: Decimal) -> WriteDown:
    written = min(time_value, cap)
    return WriteDown(
        time_value=cents(time_value),
        cap=cents(cap),
        written_value=cents(written),
        write_down=cents(time_value - written),
        effective_rate_raw=cents(time_value / hours) if hours else None,
        effective_rate_written=cents(written / hours) if hours else None,
    )


def figures(
    lines: MonthLines,
    target_margin_pct: Decimal,
    *,
    hours_included: Decimal | None = None,
    fixed_fee: Decimal | None = None,
) -> MonthFigures:
    """Every figure of one month; ``fixed_fee`` (the monthly fee of a fixed-fee agreement) adds the
    write-down, ``hours_included`` the prepaid burn."""
    hours = lines.labour_hours
    margin = gross_margin_pct(lines)
    profit = lines.billed - lines.cost
    return MonthFigures(
        billed=cents(lines.billed),
        direct_cost=cents(lines.direct_cost),
        labour_cost=cents(lines.cost_labour),
        cost=cents(lines.cost),
        profit=cents(profit),
        gross_margin_pct=margin,
        effective_rate=cents((lines.billed - lines.direct_cost) / hours) if hours else None,
        contribution_rate=cents(profit / hours) if hours else None,
        efficiency_index=efficiency_index(margin, target_margin_pct),
        labour_hours=lines.labour_hours,
        hours_used=lines.prepaid_hours,
        hours_included=hours_included,
        burn_pct=pct(lines.prepaid_hours / hours_included * HUNDRED) if hours_included else None,
        write_down=None if fixed_fee is None else write_down(lines.time_value, fixed_fee, hours),
    )
