"""Finance exports: expense lines, budgets, and cloud cost reports."""

from __future__ import annotations

from msp_ingest.finance.aws import CostExplorerCsv, CurLineItems
from msp_ingest.finance.budgets import BudgetCsv
from msp_ingest.finance.expenses import ExpenseCsv
from msp_ingest.options import Kind

KINDS = [
    Kind(
        "expenses",
        "expense CSV: date, department, vendor, category, amount, currency (one row per expense)",
        lambda options: ExpenseCsv(options),
    ),
    Kind(
        "budgets",
        "budget CSV: budget_id, department, category, period_start, period_end, planned, currency",
        lambda options: BudgetCsv(options),
    ),
    Kind(
        "aws.cost-explorer",
        "Cost Explorer daily CSV: console download (--set account_id=) or one row per day and group",
        lambda options: CostExplorerCsv(options),
    ),
    Kind(
        "aws.cur",
        "AWS Cost and Usage Report line items (legacy or CUR 2.0 CSV), summed per day and group",
        lambda options: CurLineItems(options),
    ),
]
