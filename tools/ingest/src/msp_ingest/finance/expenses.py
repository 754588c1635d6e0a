"""Expense CSV (card platform, expense claims, AP bill lines) → ``finance.expense.recorded``.

| column (aliases) | field | rule |
|---|---|---|
| ``expense_id`` (``id``, ``transaction_id``) | expense_id | required: re-importing must not double-count |
| ``date`` (``expense_date``, ``transaction_date``) | expense_date | YYYY-MM-DD or MM/DD/YYYY |
| ``department`` (``cost_centre_name``) | department | required |
| ``vendor`` (``merchant``, ``supplier``) | vendor | required |
| ``category`` | category | required |
| ``amount`` | amount | exact decimal; negative = refund |
| ``currency`` | amount.currency | ISO 4217; ``--currency`` when the column is absent |
| ``cost_center``, ``gl_account``, ``memo``, ``submitted_by`` | same | optional |
| ``payment_method``, ``mcc``, ``client_id`` | same | optional |

Event time: midnight UTC of the expense date (the fact's own date, so re-imports keep their ids).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path

from msp_events.types.finance import ExpenseRecorded

from msp_ingest.importer import Fact
from msp_ingest.options import Options
from msp_ingest.rows import FieldError, Row, parse_date, parse_money, read_csv

PAYMENT_METHODS = {"card", "ap_invoice", "reimbursement", "bank_transfer"}


class ExpenseCsv:
    source = "finance.expenses"

    def __init__(self, options: Options) -> None:
        self.options = options

    def rows(self, path: Path) -> Iterator[Row]:
        return read_csv(path)

    def convert(self, row: Row) -> Iterator[Fact]:
        day = parse_date(row, "date", "expense_date", "transaction_date")
        method = row.optional_text("payment_method")
        if method is not None and method.lower() not in PAYMENT_METHODS:
            raise FieldError(
                "payment_method", f"{method!r} is not one of {', '.join(sorted(PAYMENT_METHODS))}"
            )
        currency_column = "currency" if row.get("currency") is not None else None
        expense = ExpenseRecorded(
            expense_id=row.text("expense_id", "id", "transaction_id"),
            expense_date=day,
            department=row.text("department", "cost_centre_name"),
            cost_center=row.optional_text("cost_center", "cost_centre"),
            vendor=row.text("vendor", "merchant", "supplier"),
            category=row.text("category"),
            gl_account=row.optional_text("gl_account"),
            amount=parse_money(row, "amount", currency_column, default_currency=self.options.currency),
            memo=row.optional_text("memo", "description"),
            submitted_by=row.optional_text("submitted_by", "card_holder"),
            payment_method=method.lower() if method else None,
            merchant_category_code=row.optional_text("mcc", "merchant_category_code"),
            client_id=row.optional_text("client_id"),
        )
        yield Fact(expense, datetime.combine(day, time(0), tzinfo=UTC))
