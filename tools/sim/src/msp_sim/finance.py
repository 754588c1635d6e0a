"""The MSP's own spending: departmental expenses, budgets and daily AWS costs.

Baselines scale with the number of clients (tools are bought per endpoint, hardware and travel
grow with the client base). Monthly bills are fixed-day AP invoices; card spend is one
transaction per business day per stream, so a planted spike, level shift or drift is visible at
daily resolution. Budgets are set per department per month at the start of each calendar year
(5 % above the expected run rate); DSA compares actuals with them.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal

from msp_events import Money
from msp_events.types.cloud import CloudCostRecorded
from msp_events.types.finance import BudgetSet, ExpenseRecorded

from msp_sim.context import MonthContext
from msp_sim.rng import cents, stream
from msp_sim.spend_catalog import (
    CLOUD_ACCOUNT,
    CLOUD_LINES,
    CLOUD_REGION,
    DEPARTMENTS,
    EXPENSE_STREAMS,
    ExpenseStream,
)
from msp_sim.timeline import days_of_month, is_business_day, local_to_utc, month_end, utc_midnight

FINANCE_SOURCE = "finance.quickbooks"
CLOUD_SOURCE = "cloud.aws"


def _expense_days(s: ExpenseStream, first: date) -> list[date]:
    if s.cadence == "monthly":
        return [first.replace(day=s.day_of_month)]
    return [d for d in days_of_month(first) if is_business_day(d)]


def _expected_month(clients: int, department: str, first: date) -> Decimal:
    total = Decimal(0)
    for s in EXPENSE_STREAMS:
        if s.department == department:
            total += s.baseline(clients) * len(_expense_days(s, first))
    for line in CLOUD_LINES:
        if line.department == department:
            total += line.baseline(clients) * len(days_of_month(first))
    return total


def generate(ctx: MonthContext) -> None:
    clients = ctx.params.clients
    if ctx.index == 0 or ctx.first.month == 1:
        _budgets(ctx, clients)
    for s in EXPENSE_STREAMS:
        baseline = s.baseline(clients)
        rng = stream(ctx.seed, "expense", s.key, ctx.period)
        for day in _expense_days(s, ctx.first):
            noise = 1.0 if s.cadence == "monthly" else rng.uniform(0.85, 1.15)
            factor = ctx.plan.spend_multiplier(s.key, day)
            amount = cents(baseline * Decimal(str(round(noise * factor, 4))))
            kept = ctx.emit(
                ExpenseRecorded(
                    expense_id=f"EX-{s.key}-{day.isoformat()}",
                    expense_date=day,
                    department=s.department,
                    vendor=s.vendor,
                    category=s.category,
                    gl_account=s.gl_account,
                    amount=Money(amount=amount, currency=ctx.params.currency),
                    memo=f"{s.vendor} {s.category.lower()} {day:%b %Y}" if s.cadence == "monthly" else None,
                    submitted_by=None if s.method == "ap_invoice" else f"{s.department} card",
                    payment_method=s.method,
                    merchant_category_code=s.mcc,
                ),
                source=FINANCE_SOURCE,
                time=local_to_utc(day, 18, rng.randint(0, 59)),
            )
            if kept and s.key in ctx.plan.spend:
                ctx.observed.spend[s.key].append((day, amount))
    for line in CLOUD_LINES:
        baseline = line.baseline(clients)
        rng = stream(ctx.seed, "cloud", line.key, ctx.period)
        for day in days_of_month(ctx.first):
            weekend = line.weekend_factor if day.weekday() >= 5 else Decimal(1)
            factor = ctx.plan.spend_multiplier(line.key, day) * rng.uniform(0.96, 1.04)
            amount = cents(baseline * weekend * Decimal(str(round(factor, 4))))
            digest = hashlib.sha256(
                f"{day}|{CLOUD_ACCOUNT[0]}|{line.service}|{CLOUD_REGION}|{line.usage_type}|{line.department}".encode()
            ).hexdigest()[:24]
            kept = ctx.emit(
                CloudCostRecorded(
                    cost_line_id=f"ce-{digest}",
                    provider="aws",
                    usage_date=day,
                    linked_account_id=CLOUD_ACCOUNT[0],
                    linked_account_name=CLOUD_ACCOUNT[1],
                    service=line.service,
                    region=CLOUD_REGION,
                    usage_type=line.usage_type,
                    department=line.department,
                    tags={"CostCenter": line.department},
                    usage_quantity=(amount * 10).quantize(Decimal("0.001")),
                    usage_unit=line.usage_unit,
                    unblended_cost=Money(amount=amount, currency=ctx.params.currency),
                    amortized_cost=Money(amount=amount, currency=ctx.params.currency),
                ),
                source=CLOUD_SOURCE,
                time=utc_midnight(day + timedelta(days=1)) + timedelta(hours=8),
            )
            if kept and line.key in ctx.plan.spend:
                ctx.observed.spend[line.key].append((day, amount))


def _budgets(ctx: MonthContext, clients: int) -> None:
    """The year's monthly budget per department, set on the first day the finance system is read."""
    year = ctx.first.year
    first = ctx.first
    while first.year == year:
        for department in DEPARTMENTS:
            planned = cents(_expected_month(clients, department, first) * Decimal("1.05"))
            if planned <= 0:
                continue
            ctx.emit(
                BudgetSet(
                    budget_id=f"BUD-{department.split()[0].upper()}-{first:%Y-%m}",
                    department=department,
                    period_start=first,
                    period_end=month_end(first),
                    planned=Money(amount=planned, currency=ctx.params.currency),
                    alert_threshold_pct=Decimal("90"),
                    updated_at=utc_midnight(ctx.first) + timedelta(hours=1),
                ),
                source=FINANCE_SOURCE,
                time=utc_midnight(ctx.first) + timedelta(hours=1),
            )
        first = month_end(first) + timedelta(days=1)
