"""What the pipeline is worth by month, how sure that is, and which deals need a nudge.

*Weighted pipeline*: each open deal's value times its win probability, one-time and monthly
recurring revenue apart (a one-off fee and a monthly fee are different quantities), in the month
it is expected to close; a close date already past counts in the current month (it is late, not
gone) and is flagged. *Monte Carlo*: each simulation draws every deal won or lost with its own
probability (independently; seeded, so the same pipeline gives the same bands); the P10 / P50 /
P90 of each month's bookings are sample values of that distribution. Money is summed in integer
cents, never floats, and comes back as Decimal.

*Hygiene* (what a sales manager checks each Monday): close date in the past, zero amount, no
activity for 14 days (nudge) or 21 days (escalate), and a stage behind the furthest it reached.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from numpy.typing import NDArray

from spo.domain.opportunities import STAGE_ORDER

NUDGE_DAYS, ESCALATE_DAYS = 14, 21
SIMULATIONS = 10_000
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Deal:
    opportunity_id: str
    probability: Decimal
    """0-1"""
    recurring_monthly: Decimal
    one_time: Decimal
    currency: str
    expected_close_date: date
    last_activity: date | None
    stage: str
    furthest_stage: str | None


@dataclass(frozen=True)
class Band:
    p10: Decimal
    p50: Decimal
    p90: Decimal


@dataclass(frozen=True)
class MonthForecast:
    month: str
    currency: str
    deals: int
    weighted_one_time: Decimal
    weighted_recurring_monthly: Decimal
    one_time: Band
    recurring_monthly: Band


@dataclass(frozen=True)
class Flag:
    opportunity_id: str
    kind: str
    """close_date_past, zero_amount, no_activity_nudge, no_activity_escalate, stage_regression"""
    detail: str


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def months_from(today: date, count: int) -> list[str]:
    out, year, month = [], today.year, today.month
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def forecast(deals: list[Deal], today: date, months: int, seed: int = 0) -> list[MonthForecast]:
    """Weighted pipeline and P10/P50/P90 bookings for ``months`` months from ``today``'s."""
    horizon = months_from(today, months)
    buckets: dict[tuple[str, str], list[Deal]] = defaultdict(list)
    for d in sorted(deals, key=lambda d: d.opportunity_id):
        month = max(month_of(d.expected_close_date), horizon[0])
        if month in horizon:
            buckets[(month, d.currency)].append(d)
    rng = np.random.default_rng(seed)
    out = []
    for month in horizon:
        for currency in sorted({c for (m, c) in buckets if m == month}):
            members = buckets[(month, currency)]
            p = np.array([float(d.probability) for d in members])
            won = rng.random((SIMULATIONS, len(members))) < p  # one row per simulated future
            out.append(
                MonthForecast(
                    month=month,
                    currency=currency,
                    deals=len(members),
                    weighted_one_time=sum((d.one_time * d.probability for d in members), Decimal(0)).quantize(
                        CENT
                    ),
                    weighted_recurring_monthly=sum(
                        (d.recurring_monthly * d.probability for d in members), Decimal(0)
                    ).quantize(CENT, rounding=ROUND_HALF_UP),
                    one_time=_band(won, [d.one_time for d in members]),
                    recurring_monthly=_band(won, [d.recurring_monthly for d in members]),
                )
            )
    return out


def _band(won: NDArray[np.bool_], amounts: list[Decimal]) -> Band:
    cents = np.array([int((a / CENT).to_integral_value()) for a in amounts], dtype=np.int64)
    totals = won.astype(np.int64) @ cents
    p10, p50, p90 = (int(np.quantile(totals, q, method="inverted_cdf")) for q in (0.1, 0.5, 0.9))
    return Band(*(Decimal(v) * CENT for v in (p10, p50, p90)))


def hygiene(deals: list[Deal], today: date) -> list[Flag]:
    flags = []
    for d in sorted(deals, key=lambda d: d.opportunity_id):
        if d.expected_close_date < today:
            late = (today - d.expected_close_date).days
            flags.append(Flag(d.opportunity_id, "close_date_past", f"expected to close {late} days ago"))
        if d.one_time == 0 and d.recurring_monthly == 0:
            flags.append(Flag(d.opportunity_id, "zero_amount", "no one-time or recurring value entered"))
        if d.last_activity is not None:
            quiet = (today - d.last_activity).days
            if quiet >= ESCALATE_DAYS:
                flags.append(Flag(d.opportunity_id, "no_activity_escalate", f"no activity for {quiet} days"))
            elif quiet >= NUDGE_DAYS:
                flags.append(Flag(d.opportunity_id, "no_activity_nudge", f"no activity for {quiet} days"))
        if (
            d.furthest_stage in STAGE_ORDER
            and d.stage in STAGE_ORDER
            and STAGE_ORDER.index(d.stage) < STAGE_ORDER.index(d.furthest_stage or "")
        ):
            flags.append(
                Flag(
                    d.opportunity_id,
                    "stage_regression",
                    f"back at {d.stage} after reaching {d.furthest_stage}",
                )
            )
    return flags
