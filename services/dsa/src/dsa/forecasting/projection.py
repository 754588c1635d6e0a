"""A department's (or category's) monthly spend projected by the backtested forecaster: what
``GET /forecast`` serves and what budget alerts read (``budget_status(..., forecast=)``).

Only complete months before the clock's month are history; the projection starts with the
clock's month. Too short a history (a backtest needs 2 seasons + the horizon) gives no
projection, and the caller says so (409) or falls back to the run rate (budget alerts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from dsa.domain.spend import SpendLine
from dsa.forecasting.forecast import ForecastError, ForecastResult, forecast

SEASON = 12
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Projection:
    result: ForecastResult
    history_months: int
    months: dict[date, Decimal]
    """mean forecast per month (first day), rounded to the cent"""


def monthly_history(lines: list[SpendLine], currency: str, now: datetime) -> pd.DataFrame:
    """Complete months before ``now``'s, from the first with spend (a month without spend is 0)."""
    this_month = now.date().replace(day=1)
    totals: dict[date, Decimal] = {}
    for ln in lines:
        month = ln.day.replace(day=1)
        if ln.amount.currency == currency and month < this_month:
            totals[month] = totals.get(month, Decimal(0)) + ln.amount.amount
    if not totals:
        return pd.DataFrame({"unique_id": [], "ds": [], "y": []})
    months = pd.date_range(min(totals), this_month, freq="MS", inclusive="left")
    values = [float(totals.get(m.date(), 0)) for m in months]
    return pd.DataFrame({"unique_id": "s", "ds": months, "y": values})


def project(lines: list[SpendLine], currency: str, now: datetime, until: date) -> Projection:
    """Forecast every month from ``now``'s to ``until``'s; raises ForecastError when it cannot."""
    frame = monthly_history(lines, currency, now)
    if frame.empty:
        raise ForecastError("no complete month of spend yet")
    this_month = now.date().replace(day=1)
    horizon = (until.year - this_month.year) * 12 + until.month - this_month.month + 1
    if horizon < 1:
        raise ForecastError(f"nothing to forecast: {until} is before {this_month}")
    try:
        result = forecast(frame, horizon, SEASON, "MS", windows=1)
    except ForecastError as error:
        raise ForecastError(f"{len(frame)} complete months of history: {error}") from None
    months = {
        row["ds"].date(): Decimal(str(row["mean"])).quantize(CENT, ROUND_HALF_UP)
        for row in result.forecast.to_dict("records")
    }
    return Projection(result=result, history_months=len(frame), months=months)
