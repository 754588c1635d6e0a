"""Facts from the MSP's finance systems (accounting GL, expense/card platform, AP): what each
department spends and what it planned to spend."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from msp_events.money import Money
from msp_events.registry import EventData, event


@event(
    "finance.expense.recorded",
    owner="source",
    key="expense_id",
    consumers=("dsa",),
    fact_dates=("expense_date",),
)
class ExpenseRecorded(EventData):
    """A cost was booked: a card transaction, an approved expense claim or a vendor (AP) bill line.

    DSA aggregates spend by department, category and vendor against budget, detects anomalies,
    and finds SaaS bought on cards outside IT (merchant category codes 5734, 5817, 7372, ...).
    A corrected expense is re-sent with the same id; a refund is a negative amount.
    """

    expense_id: str = Field(description="id in the expense/GL system (Odoo analytic line, ITFlow expense_id)")
    expense_date: date = Field(description="date of the transaction (not the posting date)")
    department: str = Field(description="department charged (analytic account), e.g. 'Service Delivery'")
    cost_center: str | None = Field(
        default=None, description="cost centre code, when separate from department"
    )
    vendor: str = Field(description="merchant or supplier name as booked")
    category: str = Field(description="spend category, e.g. 'Software', 'Travel', 'Hardware'")
    gl_account: str | None = Field(default=None, description="general-ledger account code")
    amount: Money = Field(description="amount excluding recoverable tax; negative for refunds")
    memo: str | None = Field(default=None, description="description/memo line")
    submitted_by: str | None = Field(default=None, description="card holder or claim submitter")
    payment_method: Literal["card", "ap_invoice", "reimbursement", "bank_transfer"] | None = Field(
        default=None, description="how it was paid"
    )
    merchant_category_code: str | None = Field(
        default=None, pattern=r"^\d{4}$", description="card MCC (ISO 18245), e.g. '5734' software stores"
    )
    client_id: str | None = Field(default=None, description="client it is rebillable to, if any")


@event("finance.budget.set", owner="source", key="budget_id", consumers=("dsa",), minor=1)
class BudgetSet(EventData):
    """A department's budget for a period was set or revised (the latest event for an id wins).

    DSA measures achievement as ``actual / (planned * elapsed / duration)`` and alerts when
    actual or forecast spend crosses the threshold.
    """

    budget_id: str = Field(description="budget line id (Odoo crossovered.budget.lines, ITFlow budget_id)")
    department: str = Field(description="department the budget is for")
    category: str | None = Field(default=None, description="spend category; None = the whole department")
    cost_center: str | None = Field(default=None, description="cost centre code, if budgeted that way")
    period_start: date = Field(description="first day of the budget period")
    period_end: date = Field(description="last day of the budget period (inclusive)")
    planned: Money = Field(description="planned spend for the whole period")
    alert_threshold_pct: Decimal | None = Field(
        default=None,
        gt=0,
        description="alert when actual or forecast exceeds this % of planned (AWS Budgets)",
    )
    updated_at: AwareDatetime | None = Field(
        default=None,
        description="when the budget was last revised in the finance system; newer wins (since 1.1)",
    )

    @model_validator(mode="after")
    def _period(self) -> Self:
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self
