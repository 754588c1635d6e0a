"""Rule 3: what 12 months of spend with a vendor say about renewing its contract.

A controller reads four things before a renewal: is the service still used (spend in the last
quarter), is it getting dearer (last quarter against the first, and the monthly trend), is it
bigger than the contract says (run rate against the annual value), and was it anomalous. The
rules, in order: no spend in the last 3 months -> cancel; a price rise above 10 %, a trend above
2 % a month, a run rate 10 % above the contract's annual value (only when the renewal notice
states one), an expected uplift above 5 % or any anomaly -> renegotiate; else renew. Pure: the
numbers come in, the decision goes out.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

Recommendation = Literal["renew", "renegotiate", "cancel"]
HUNDRED = Decimal(100)
PCT = Decimal("0.01")


@dataclass(frozen=True)
class VendorAnalysis:
    total: Decimal
    trend_pct_per_month: Decimal | None
    price_change_pct: Decimal | None
    share_of_budget_pct: Decimal | None
    forecast_next_term: Decimal
    recommendation: Recommendation
    reasons: tuple[str, ...]


def slope(values: list[Decimal]) -> Decimal:
    """Least-squares slope per step (exact in Decimal; twelve points need no library)."""
    n = len(values)
    mean_x = Decimal(n - 1) / 2
    mean_y = sum(values, Decimal(0)) / n
    num = sum(((Decimal(i) - mean_x) * (v - mean_y) for i, v in enumerate(values)), Decimal(0))
    den = sum(((Decimal(i) - mean_x) ** 2 for i in range(n)), Decimal(0))
    return num / den if den else Decimal(0)


def analyse(
    monthly: list[Decimal],
    annual_value: Decimal | None,
    *,
    uplift_pct: Decimal | None,
    term_months: int,
    budget: Decimal | None,
    anomalies: int,
) -> VendorAnalysis:
    total = sum(monthly, Decimal(0))
    mean = total / len(monthly) if monthly else Decimal(0)
    trend = None if mean == 0 else (slope(monthly) / mean * HUNDRED).quantize(PCT, ROUND_HALF_UP)
    first, last = sum(monthly[:3], Decimal(0)) / 3, sum(monthly[-3:], Decimal(0)) / 3
    price = None if first == 0 else ((last - first) / first * HUNDRED).quantize(PCT, ROUND_HALF_UP)
    share = None if not budget else (total / budget * HUNDRED).quantize(PCT, ROUND_HALF_UP)
    uplift = uplift_pct or Decimal(0)
    forecast = (last * term_months * (1 + uplift / HUNDRED)).quantize(PCT, ROUND_HALF_UP)
    reasons: list[str] = []
    if last == 0:
        reasons.append("no spend in the last 3 months: the service is not used")
        return VendorAnalysis(total, trend, price, share, forecast, "cancel", tuple(reasons))
    if price is not None and price > 10:
        reasons.append(f"the last 3 months cost {price} % more than the first 3")
    if trend is not None and trend > 2:
        reasons.append(f"spend rises {trend} % of its mean a month")
    if annual_value is not None and annual_value > 0 and last * 12 > annual_value * Decimal("1.1"):
        reasons.append(f"the run rate ({(last * 12).quantize(PCT)}) is over 110 % of the annual value")
    if uplift > 5:
        reasons.append(f"the expected uplift is {uplift} %")
    if anomalies:
        reasons.append(f"{anomalies} spend anomal{'y' if anomalies == 1 else 'ies'} in the year")
    if reasons:
        return VendorAnalysis(total, trend, price, share, forecast, "renegotiate", tuple(reasons))
    return VendorAnalysis(
        total, trend, price, share, forecast, "renew", ("stable spend within the contract",)
    )
