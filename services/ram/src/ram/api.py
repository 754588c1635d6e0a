"""RAM's REST API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlmodel import Session

from msp_events.money import Money
from msp_events.runtime.api import Limit, Offset

from ram.domain.technicians import TechnicianVersion, cost_rate_on
from ram.store.repository import TechnicianRepository

router = APIRouter(tags=["technicians"])


class CostRateOut(BaseModel):
    effective_from: date
    effective_to: date | None
    hourly_cost: Money


class TechnicianOut(BaseModel):
    technician_id: str
    name: str
    email: str | None
    work_role: str
    time_zone: str | None
    daily_capacity_hours: Decimal
    weekly_billable_hours_target: Decimal | None
    include_in_utilisation: bool
    hourly_rate: Money | None
    active: bool
    cost_rates: list[CostRateOut]
    hourly_cost_on: Money | None
    """The cost rate in force on the ``on`` date asked for; None when not asked or not known."""
    updated_at: datetime

    @classmethod
    def of(cls, t: TechnicianVersion, on: date | None) -> TechnicianOut:
        rate = None if on is None else cost_rate_on(t.cost_rates, on)
        return cls(
            technician_id=t.technician_id,
            name=t.name,
            email=t.email,
            work_role=t.work_role,
            time_zone=t.time_zone,
            daily_capacity_hours=t.daily_capacity_hours,
            weekly_billable_hours_target=t.weekly_billable_hours_target,
            include_in_utilisation=t.include_in_utilisation,
            hourly_rate=t.hourly_rate,
            active=t.active,
            cost_rates=[
                CostRateOut(
                    effective_from=r.effective_from, effective_to=r.effective_to, hourly_cost=r.hourly_cost
                )
                for r in t.cost_rates
            ],
            hourly_cost_on=None if rate is None else rate.hourly_cost,
            updated_at=t.as_of,
        )


@router.get(
    "/technicians", response_model=list[TechnicianOut], summary="Technicians RAM can dispatch, by name"
)
def list_technicians(
    request: Request,
    active: Annotated[bool | None, Query()] = None,
    work_role: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    on: Annotated[
        date | None, Query(description="also give each technician's hourly cost on this date (YYYY-MM-DD)")
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[TechnicianOut]:
    with Session(request.app.state.service.engine) as session:
        technicians = TechnicianRepository(session).list(
            active=active, work_role=work_role, limit=limit, offset=offset
        )
    return [TechnicianOut.of(t, on) for t in technicians]
