"""Finance exports: expense lines, budgets, and cloud cost reports."""

from __future__ import annotations

from msp_ingest.finance.expenses import ExpenseCsv
from msp_ingest.options import Kind

KINDS = [
    Kind(
        "expenses",
        "expense CSV: date, department, vendor, category, amount, currency (one row per expense)",
        lambda options: ExpenseCsv(options),
    ),
]
