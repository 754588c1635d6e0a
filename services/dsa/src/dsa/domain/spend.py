"""Budget against actual: what a finance controller reads off a department's budget line.

A budget line plans spend for a whole period (a month, a quarter, a year). Halfway through the
period only half of it should have been spent, so the fair comparison is with *expected to date*
(planned x elapsed share of the period), not with the whole plan; achievement is actual divided by
that. Months are the reporting grain, so a line planned for a quarter is spread over its months in
proportion to their days. A revised line replaces the plan for its whole period (the latest revision
is the plan, as in the finance system), so the same spend reads differently once it is revised.

Alerts follow AWS Budgets: a line alerts when actual spend, or the spend forecast for the end of the
period, crosses a share of planned (80 % and 100 % by default, or the line's own threshold instead
of 80 %). Everything here is pure: "now" is passed in, never read.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Literal

from msp_events.money import Money

from dsa.domain.budgets import BudgetVersion

DEFAULT_THRESHOLDS = (Decimal(80), Decimal(100))
HUNDRED = Decimal(100)
Basis = Literal["actual", "forecast"]


@dataclass(frozen=True)
class SpendLine:
    """One booked cost: an expense, bill line or a day of cloud cost, attributed to a department."""

    line_id: str
    day: date
    department: str
    category: str
    vendor: str
    amount: Money


@dataclass(frozen=True)
class ThresholdAlert:
    threshold_pct: Decimal
    basis: Basis
    """``actual`` when booked spend crossed it, ``forecast`` when only the projection did."""
    spend: Money
    limit: Money


@dataclass(frozen=True)
class BudgetStatus:
    budget: BudgetVersion
    as_of: datetime
    elapsed_share: Decimal
    actual: Money
    expected_to_date: Money
    achievement: Decimal | None
    """actual / expected to date; None before the period starts (nothing expected yet)."""
    variance: Money
    """actual - expected to date: positive is overspend."""
    remaining: Money
    forecast: Money
    alerts: tuple[ThresholdAlert, ...]
    by_vendor: dict[str, Money]
    by_category: dict[str, Money]


@dataclass(frozen=True)
class MonthLine:
    """One department x category x month of the budget book."""

    department: str
    category: str | None
    month: date
    """First day of the month."""
    planned: Money
    actual: Money
    expected_to_date: Money
    achievement: Decimal | None
    variance: Money


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The period as instants: from the first day's midnight to the midnight after the last day."""
    return _midnight(start), _midnight(end + timedelta(days=1))


def elapsed_share(start: date, end: date, now: datetime) -> Decimal:
    """Share of the period [start, end] (whole days, end inclusive) that lies before ``now``, in [0, 1]."""
    begin, finish = period_bounds(start, end)
    if now <= begin:
        return Decimal(0)
    if now >= finish:
        return Decimal(1)
    return _seconds(now - begin) / _seconds(finish - begin)


def matches(budget: BudgetVersion, line: SpendLine) -> bool:
    """A line counts against a budget of its department, and of its category unless the budget has none."""
    return (
        line.department == budget.department
        and (budget.category is None or budget.category == line.category)
        and budget.covers(line.day)
    )


def budget_status(
    budget: BudgetVersion,
    lines: Iterable[SpendLine],
    now: datetime,
    *,
    forecast: Money | None = None,
    thresholds: Sequence[Decimal] | None = None,
) -> BudgetStatus:
    """The line's position at ``now``: only spend booked on days before ``now`` counts.

    ``forecast`` is the projected spend for the whole period; without one the run rate so far is
    extrapolated (actual / elapsed share), which is what a controller does on the back of an envelope.
    """
    currency = budget.planned.currency
    counted = [ln for ln in lines if matches(budget, ln) and _same(ln, currency) and _midnight(ln.day) < now]
    actual = _sum(ln.amount.amount for ln in counted)
    share = elapsed_share(budget.period_start, budget.period_end, now)
    planned = budget.planned.amount
    expected = planned * share
    achievement = None if expected == 0 else actual / expected
    projected = forecast.amount if forecast is not None else (actual / share if share > 0 else Decimal(0))
    projected = max(projected, actual)  # spend already booked cannot be un-spent by a forecast
    by_vendor: dict[str, Decimal] = defaultdict(Decimal)
    by_category: dict[str, Decimal] = defaultdict(Decimal)
    for ln in counted:
        by_vendor[ln.vendor] += ln.amount.amount
        by_category[ln.category] += ln.amount.amount
    return BudgetStatus(
        budget=budget,
        as_of=now,
        elapsed_share=share,
        actual=_money(actual, currency),
        expected_to_date=_money(expected, currency),
        achievement=achievement,
        variance=_money(actual - expected, currency),
        remaining=_money(planned - actual, currency),
        forecast=_money(projected, currency),
        alerts=threshold_alerts(budget, actual, projected, thresholds),
        by_vendor={k: _money(v, currency) for k, v in sorted(by_vendor.items())},
        by_category={k: _money(v, currency) for k, v in sorted(by_category.items())},
    )


def period_forecast(
    budget: BudgetVersion, lines: Iterable[SpendLine], now: datetime, monthly: Mapping[date, Decimal]
) -> Money | None:
    """The period's spend as the forecaster sees it: booked so far + the forecast for what is left.

    ``monthly`` is the forecaster's mean spend per month (first day -> amount) for the budget's
    department (and category). What is left of each month in the period counts its share of the
    month's forecast by whole days from the first day not yet counted as booked (at midnight of
    the 16th of a 30-day month, half of it), so spend already booked is never forecast twice.
    None when a month still to come has no forecast (the caller falls back to the run rate).
    """
    currency = budget.planned.currency
    today = now.date() if now == _midnight(now.date()) else now.date() + timedelta(days=1)
    begin = max(budget.period_start, today)  # the first day whose spend is not counted as booked
    counted = [ln for ln in lines if matches(budget, ln) and _same(ln, currency) and _midnight(ln.day) < now]
    total = _sum(ln.amount.amount for ln in counted)
    for month in months_of(begin, budget.period_end) if begin <= budget.period_end else []:
        first, last = max(begin, month), min(budget.period_end, month_end(month))
        if month not in monthly:
            return None
        total += monthly[month] * ((last - first).days + 1) / calendar.monthrange(month.year, month.month)[1]
    return _money(total, currency)


def thresholds_of(budget: BudgetVersion, defaults: Sequence[Decimal] | None = None) -> tuple[Decimal, ...]:
    """The line's own threshold takes the place of the lower default; 100 % always stays."""
    chosen = list(defaults or DEFAULT_THRESHOLDS)
    if budget.alert_threshold_pct is not None:
        chosen = [budget.alert_threshold_pct] + [t for t in chosen if t >= HUNDRED]
    return tuple(sorted(set(chosen)))


def threshold_alerts(
    budget: BudgetVersion, actual: Decimal, forecast: Decimal, thresholds: Sequence[Decimal] | None = None
) -> tuple[ThresholdAlert, ...]:
    """One alert per crossed threshold: on actual if spend crossed it, else on forecast if that does."""
    currency = budget.planned.currency
    alerts = []
    for pct in thresholds_of(budget, thresholds):
        if budget.planned.amount <= 0:
            continue
        limit = budget.planned.amount * pct / HUNDRED
        cap = _money(limit, currency)
        if actual >= limit:
            alerts.append(ThresholdAlert(pct, "actual", _money(actual, currency), cap))
        elif forecast >= limit:
            alerts.append(ThresholdAlert(pct, "forecast", _money(forecast, currency), cap))
    return tuple(alerts)


def months_of(start: date, end: date) -> list[date]:
    """First days of the months that [start, end] touches."""
    months, cursor = [], start.replace(day=1)
    while cursor <= end:
        months.append(cursor)
        cursor = _next_month(cursor)
    return months


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def planned_in(budget: BudgetVersion, month: date) -> Decimal:
    """The line's plan spread over its days: the share that falls in ``month``."""
    first, last = max(budget.period_start, month), min(budget.period_end, month_end(month))
    if last < first:
        return Decimal(0)
    days_in = (last - first).days + 1
    days_total = (budget.period_end - budget.period_start).days + 1
    return budget.planned.amount * days_in / days_total


def month_lines(
    budgets: Iterable[BudgetVersion], lines: Iterable[SpendLine], year: int, now: datetime
) -> list[MonthLine]:
    """Department x category x month for one calendar year, from every budget line that touches it.

    A department-wide budget (no category) is reported under category None with all of the
    department's spend; a category budget under its category with that category's spend only.
    """
    spend = list(lines)
    plans: dict[tuple[str, str | None, date], Decimal] = defaultdict(Decimal)
    currencies: dict[tuple[str, str | None], str] = {}
    for b in budgets:
        for month in months_of(b.period_start, b.period_end):
            if month.year == year:
                plans[(b.department, b.category, month)] += planned_in(b, month)
                currencies[(b.department, b.category)] = b.planned.currency
    out = []
    for (department, category, month), planned in sorted(plans.items(), key=_plan_order):
        currency = currencies[(department, category)]
        last = month_end(month)
        actual = _sum(
            ln.amount.amount
            for ln in spend
            if ln.department == department
            and (category is None or ln.category == category)
            and month <= ln.day <= last
            and _midnight(ln.day) < now
            and ln.amount.currency == currency
        )
        expected = planned * elapsed_share(month, last, now)
        out.append(
            MonthLine(
                department=department,
                category=category,
                month=month,
                planned=_money(planned, currency),
                actual=_money(actual, currency),
                expected_to_date=_money(expected, currency),
                achievement=None if expected == 0 else actual / expected,
                variance=_money(actual - expected, currency),
            )
        )
    return out


def _plan_order(item: tuple[tuple[str, str | None, date], Decimal]) -> tuple[str, str, date]:
    (department, category, month), _ = item
    return department, category or "", month


def _same(line: SpendLine, currency: str) -> bool:
    return line.amount.currency == currency


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, Decimal(0))


def _money(amount: Decimal, currency: str) -> Money:
    return Money(amount=amount, currency=currency)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _seconds(delta: timedelta) -> Decimal:
    return Decimal(delta.days * 86400 + delta.seconds)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)
