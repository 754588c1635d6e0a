"""Budget CSV (Odoo budget lines, ITFlow budgets, a finance spreadsheet) → ``finance.budget.set``.

| column (aliases) | field | rule |
|---|---|---|
| ``budget_id`` (``id``) | budget_id | required: a revision re-sends the same id |
| ``department`` (``analytic_account``) | department | required |
| ``category`` | category | optional: blank = the whole department |
| ``cost_center`` (``cost_centre``) | cost_center | optional |
| ``period_start`` (``date_from``) | period_start | YYYY-MM-DD or MM/DD/YYYY |
| ``period_end`` (``date_to``) | period_end | inclusive; not before period_start |
| ``planned`` (``planned_amount``) | planned | exact decimal ≥ 0 |
| ``currency`` | planned.currency | ISO 4217; ``--currency`` when the column is absent |
| ``alert_threshold_pct`` | alert_threshold_pct | optional, > 0 (``80`` = alert at 80 % of planned) |
| ``updated_at`` (``write_date``) | updated_at | optional ISO 8601 (naive = UTC): the newer revision wins |

Event time: ``updated_at`` when given (the revision's own time), else midnight UTC of
``period_start``; both come from the row, so re-imports keep their ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time
from decimal import Decimal
from pathlib import Path

from msp_events.money import Money
from msp_events.types.finance import BudgetSet

from msp_ingest.importer import Fact
from msp_ingest.options import Options
from msp_ingest.rows import (
    FieldError,
    Row,
    optional_datetime,
    optional_decimal,
    parse_currency,
    parse_date,
    parse_decimal,
    read_csv,
)


class BudgetCsv:
    source = "finance.budgets"

    def __init__(self, options: Options) -> None:
        self.options = options

    def rows(self, path: Path) -> Iterator[Row]:
        return read_csv(path)

    def convert(self, row: Row) -> Iterator[Fact]:
        start = parse_date(row, "period_start", "date_from")
        end = parse_date(row, "period_end", "date_to")
        if end < start:
            raise FieldError("period_end", f"{end.isoformat()} is before period_start {start.isoformat()}")
        threshold = optional_decimal(row, "alert_threshold_pct", "threshold_pct")
        if threshold is not None and threshold <= 0:
            raise FieldError("alert_threshold_pct", f"{threshold} is not above 0 (a % of planned, e.g. 80)")
        updated_at = optional_datetime(row, "updated_at", "write_date")
        budget = BudgetSet(
            budget_id=row.text("budget_id", "id"),
            department=row.text("department", "analytic_account"),
            category=row.optional_text("category"),
            cost_center=row.optional_text("cost_center", "cost_centre"),
            period_start=start,
            period_end=end,
            planned=Money(
                amount=parse_decimal(row, "planned", "planned_amount", minimum=Decimal(0)),
                currency=parse_currency(row, "currency", default=self.options.currency),
            ),
            alert_threshold_pct=threshold,
            updated_at=updated_at,
        )
        yield Fact(budget, updated_at or datetime.combine(start, time(0), tzinfo=UTC))
