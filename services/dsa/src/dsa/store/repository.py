"""Loading and saving DSA's aggregates, mapping table rows to domain values."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from msp_events.money import Money

from dsa.domain.budgets import BudgetVersion
from dsa.domain.spend import SpendLine
from dsa.store.tables import Budget, SpendLineRow


class BudgetRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, budget_id: str) -> BudgetVersion | None:
        row = self.session.get(Budget, budget_id)
        return None if row is None else _to_domain(row)

    def save(self, b: BudgetVersion) -> None:
        row = self.session.get(Budget, b.budget_id) or Budget(
            budget_id=b.budget_id,
            department="",
            period_start=b.period_start,
            period_end=b.period_end,
            planned_amount=Decimal(0),
            planned_currency="",
            as_of=b.as_of,
            digest="",
        )
        row.department, row.category, row.cost_center = b.department, b.category, b.cost_center
        row.period_start, row.period_end = b.period_start, b.period_end
        row.planned_amount, row.planned_currency = b.planned.amount, b.planned.currency
        row.alert_threshold_pct, row.as_of, row.digest = b.alert_threshold_pct, b.as_of, b.digest
        self.session.add(row)

    def list(
        self, *, department: str | None = None, on: date | None = None, limit: int = 100, offset: int = 0
    ) -> list[BudgetVersion]:
        query = (
            select(Budget)
            .order_by(col(Budget.department), col(Budget.period_start), col(Budget.budget_id))
            .offset(offset)
            .limit(limit)
        )
        if department is not None:
            query = query.where(Budget.department == department)
        if on is not None:
            query = query.where(col(Budget.period_start) <= on, col(Budget.period_end) >= on)
        return [_to_domain(row) for row in self.session.exec(query)]


def _to_domain(row: Budget) -> BudgetVersion:
    return BudgetVersion(
        budget_id=row.budget_id,
        department=row.department,
        category=row.category,
        cost_center=row.cost_center,
        period_start=row.period_start,
        period_end=row.period_end,
        planned=Money(amount=row.planned_amount, currency=row.planned_currency),
        alert_threshold_pct=row.alert_threshold_pct,
        as_of=row.as_of,
        digest=row.digest,
    )


class SpendRepository:
    """Spend lines, one row per line id: a corrected line replaces the version it supersedes."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def upsert(self, line: SpendLine, source: str, as_of: datetime, digest: str, **dims: str | None) -> bool:
        """Keep the latest version (event time, then digest); False for a stale or repeated one."""
        row = self.session.get(SpendLineRow, line.line_id)
        if row is not None and (as_of, digest) <= (row.as_of, row.digest):
            return False
        # a judged line restated: the detector's kept state holds its old version
        judge_state = 1 if row is None else (2 if row.judge_state == 0 else row.judge_state)
        row = row or SpendLineRow(
            line_id=line.line_id,
            source=source,
            day=line.day,
            department="",
            category="",
            vendor="",
            amount=Decimal(0),
            currency="",
            as_of=as_of,
            digest=digest,
        )
        row.source, row.day, row.department = source, line.day, line.department
        row.category, row.vendor = line.category, line.vendor
        row.account, row.service = dims.get("account"), dims.get("service")
        row.amount, row.currency = line.amount.amount, line.amount.currency
        row.as_of, row.digest, row.judge_state = as_of, digest, judge_state
        self.session.add(row)
        return True

    def lines(
        self, *, department: str | None = None, start: date | None = None, end: date | None = None
    ) -> list[SpendLine]:
        query = select(SpendLineRow).order_by(col(SpendLineRow.day), col(SpendLineRow.line_id))
        if department is not None:
            query = query.where(SpendLineRow.department == department)
        if start is not None:
            query = query.where(col(SpendLineRow.day) >= start)
        if end is not None:
            query = query.where(col(SpendLineRow.day) <= end)
        return [
            SpendLine(
                line_id=r.line_id,
                day=r.day,
                department=r.department,
                category=r.category,
                vendor=r.vendor,
                amount=Money(amount=r.amount, currency=r.currency),
            )
            for r in self.session.exec(query)
        ]
