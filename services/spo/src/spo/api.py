"""SPO's REST API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlmodel import Session

from msp_events.money import Money
from msp_events.runtime.api import Limit, Offset
from msp_events.types.crm import OpportunityStage

from spo.domain.opportunities import OpportunityVersion
from spo.store.repository import OpportunityRepository

router = APIRouter(tags=["opportunities"])


class OpportunityOut(BaseModel):
    opportunity_id: str
    name: str
    client_id: str | None
    prospect_name: str | None
    stage: str
    status: str
    probability: Decimal | None
    expected_close_date: date
    estimated_recurring_monthly: Money | None
    weighted_recurring_monthly: Money | None
    recurring_term_months: int | None
    estimated_one_time: Money | None
    weighted_one_time: Money | None
    primary_sales_rep: str | None
    updated_at: datetime

    @classmethod
    def of(cls, o: OpportunityVersion) -> OpportunityOut:
        return cls(
            opportunity_id=o.opportunity_id,
            name=o.name,
            client_id=o.client_id,
            prospect_name=o.prospect_name,
            stage=o.stage,
            status=o.status,
            probability=o.probability,
            expected_close_date=o.expected_close_date,
            estimated_recurring_monthly=o.estimated_recurring_monthly,
            weighted_recurring_monthly=o.weighted_recurring_monthly,
            recurring_term_months=o.recurring_term_months,
            estimated_one_time=o.estimated_one_time,
            weighted_one_time=o.weighted_one_time,
            primary_sales_rep=o.primary_sales_rep,
            updated_at=o.as_of,
        )


@router.get(
    "/opportunities",
    response_model=list[OpportunityOut],
    summary="The pipeline by expected close date, each value also weighted by its win probability",
)
def list_opportunities(
    request: Request,
    status: Annotated[Literal["open", "won", "lost"] | None, Query()] = None,
    stage: Annotated[OpportunityStage | None, Query()] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[OpportunityOut]:
    with Session(request.app.state.service.engine) as session:
        opportunities = OpportunityRepository(session).list(
            status=status, stage=stage, limit=limit, offset=offset
        )
    return [OpportunityOut.of(o) for o in opportunities]
