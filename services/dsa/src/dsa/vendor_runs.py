"""Rule 3 in the service: on ``contract.renewal.due`` analyse the last 12 complete months of spend
with the vendor (in the contract's department, or every department when it has none) and publish
``spend.vendor.analyzed``. The window ends with the month before the service clock's, so the
answer depends on the stored facts and the clock only."""

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
    currency = due.annual_value.currency
    query = select(SpendLineRow).where(SpendLineRow.day >= start, SpendLineRow.day <= end)
    if due.department:
        query = query.where(SpendLineRow.department == due.department)
    vendor = due.vendor.casefold()
    lines = [r for r in uow.session.exec(query) if r.vendor.casefold() == vendor and r.currency == currency]
    monthly = [sum((r.amount for r in lines if r.day.replace(day=1) == m), Decimal(0)) for m in months]
    budget = None
    if due.department:
        budgets = BudgetRepository(uow.session).list(department=due.department, limit=1000)
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
        due.annual_value.amount,
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
        summary=_summary(due, result.total, result.forecast_next_term, result.recommendation, result.reasons),
    )
    uow.emit(analysis)
    roi_runs.record_renewal_advice(uow, due, analysis)  # the ROI ledger measures it over the next term


def _summary(
    due: ContractRenewalDue, total: Decimal, forecast: Decimal, recommendation: str, reasons: tuple[str, ...]
) -> str:
    return (
        f"{due.vendor}: {total} {due.annual_value.currency} in 12 months against "
        f"{due.annual_value.amount} a year on contract; next term {forecast}; {recommendation} "
        f"({'; '.join(reasons)})"
    )


def _add(month: date, k: int) -> date:
    index = month.year * 12 + month.month - 1 + k
    return date(index // 12, index % 12 + 1, 1)
