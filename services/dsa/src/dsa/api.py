"""DSA's REST API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlmodel import Session

from msp_events.money import Money
from msp_events.runtime.api import Limit, Offset

from dsa.domain.budgets import BudgetVersion
from dsa.store.repository import BudgetRepository

router = APIRouter(tags=["budgets"])


class BudgetOut(BaseModel):
    budget_id: str
    department: str
    category: str | None
    cost_center: str | None
    period_start: date
    period_end: date
    planned: Money
    alert_threshold_pct: Decimal | None
    updated_at: datetime

    @classmethod
    def of(cls, b: BudgetVersion) -> BudgetOut:
        return cls(
            budget_id=b.budget_id,
            department=b.department,
            category=b.category,
            cost_center=b.cost_center,
            period_start=b.period_start,
            period_end=b.period_end,
            planned=b.planned,
            alert_threshold_pct=b.alert_threshold_pct,
            updated_at=b.as_of,
        )


@router.get("/budgets", response_model=list[BudgetOut], summary="Department budgets by department, period")
def list_budgets(
    request: Request,
    department: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    on: Annotated[date | None, Query(description="only budgets whose period includes this date")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[BudgetOut]:
    with Session(request.app.state.service.engine) as session:
        budgets = BudgetRepository(session).list(department=department, on=on, limit=limit, offset=offset)
    return [BudgetOut.of(b) for b in budgets]
