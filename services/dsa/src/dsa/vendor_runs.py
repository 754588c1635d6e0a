"""Rule 3 in the service: on ``contract.renewal.due`` analyse the last 12 complete months of spend
with the vendor (in the contract's department, or every department when it has none) and publish
``spend.vendor.analyzed``. The window ends with the month before the service clock's, so the
answer depends on the stored facts and the clock only.

A renewal of unknown value (``contract.renewal.due`` 2.0 without ``annual_value``) is analysed on
its spend alone, in the currency the vendor's spend is booked in (the most lines, ties by code),
else the department budget's; with neither there is nothing to measure and nothing is published.
The ROI ledger books renewal advice only with a value (its baseline for a cancelled contract)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import select

from msp_events.money import Money
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import ContractRenewalDue, SpendVendorAnalyzed

from dsa import roi_runs
from dsa.domain.spend import month_end, planned_in
from dsa.domain.vendors import analyse
from dsa.store.repository import BudgetRepository
from dsa.store.tables import AnomalyRow, SpendLineRow


def analyse_renewal(uow: UnitOfWork, due: ContractRenewalDue) -> None:
    this_month = uow.now.date().replace(day=1)
    months = [_add(this_month, -k) for k in range(12, 0, -1)]
    start, end = months[0], this_month - timedelta(days=1)
    query = select(SpendLineRow).where(SpendLineRow.day >= start, SpendLineRow.day <= end)
    if due.department:
        query = query.where(SpendLineRow.department == due.department)
    vendor = due.vendor.casefold()
    vendor_lines = [r for r in uow.session.exec(query) if r.vendor.casefold() == vendor]
    budgets = (
        BudgetRepository(uow.session).list(department=due.department, limit=1000) if due.department else []
    )
    currency = _currency(due, [r.currency for r in vendor_lines], [b.planned.currency for b in budgets])
    if currency is None:
        return
    lines = [r for r in vendor_lines if r.currency == currency]
    monthly = [sum((r.amount for r in lines if r.day.replace(day=1) == m), Decimal(0)) for m in months]
    budget = None
    if due.department:
        planned = sum(
            (
                planned_in(b, m)
                for b in budgets
                for m in months
                if b.category is None and b.planned.currency == currency
            ),
            Decimal(0),
        )
        budget = planned or None
    anomalies = [
        a
        for a in uow.session.exec(select(AnomalyRow).where(AnomalyRow.dimension == "vendor"))
        if a.value.casefold() == vendor
        and a.period_end >= start
        and a.period_start <= end
        and (due.department is None or a.department == due.department)
    ]
    result = analyse(
        monthly,
        due.annual_value.amount if due.annual_value else None,
        uplift_pct=due.expected_uplift_pct,
        term_months=due.renewal_term_months or 12,
        budget=budget,
        anomalies=len(anomalies),
    )
    money = lambda amount: Money(amount=amount, currency=currency)  # noqa: E731
    analysis = SpendVendorAnalyzed(
        contract_id=due.contract_id,
        vendor=due.vendor,
        department=due.department,
        window_start=start,
        window_end=month_end(months[-1]),
        spend_12m=money(result.total),
        monthly_spend=[money(m) for m in monthly],
        trend_pct_per_month=result.trend_pct_per_month,
        price_change_pct=result.price_change_pct,
        share_of_budget_pct=result.share_of_budget_pct,
        anomalies=len(anomalies),
        forecast_next_term=money(result.forecast_next_term),
        annual_value=due.annual_value,
        recommendation=result.recommendation,
        reasons=list(result.reasons),
        summary=_summary(
            due, currency, result.total, result.forecast_next_term, result.recommendation, result.reasons
        ),
    )
    uow.emit(analysis)
    if due.annual_value is not None:
        roi_runs.record_renewal_advice(uow, due, analysis)  # the ROI ledger measures it over the next term


def _currency(
    due: ContractRenewalDue, line_currencies: list[str], budget_currencies: list[str]
) -> str | None:
    """The contract's currency; without a value, the vendor's spend's, else the budget's (see above)."""
    if due.annual_value is not None:
        return due.annual_value.currency
    for found in (line_currencies, budget_currencies):
        if found:
            return min(set(found), key=lambda c: (-found.count(c), c))
    return None


def _summary(
    due: ContractRenewalDue,
    currency: str,
    total: Decimal,
    forecast: Decimal,
    recommendation: str,
    reasons: tuple[str, ...],
) -> str:
    against = (
        f"{due.annual_value.amount} a year on contract"
        if due.annual_value is not None
        else "no contract value stated"
    )
    return (
        f"{due.vendor}: {total} {currency} in 12 months against {against}; next term {forecast}; "
        f"{recommendation} ({'; '.join(reasons)})"
    )


def _add(month: date, k: int) -> date:
    index = month.year * 12 + month.month - 1 + k
    return date(index // 12, index % 12 + 1, 1)
