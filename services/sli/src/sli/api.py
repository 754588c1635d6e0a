"""SLI's REST API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlmodel import Session

from msp_events.money import Money
from msp_events.runtime.api import Limit, Offset

from sli.domain.subscriptions import SubscriptionVersion
from sli.store.repository import SubscriptionRepository

router = APIRouter(tags=["subscriptions"])


class SubscriptionOut(BaseModel):
    subscription_id: str
    client_id: str
    tenant_id: str | None
    vendor: str
    distributor: str | None
    sku_id: str
    sku_part_number: str | None
    product_name: str
    quantity: int
    consumed_units: int | None
    unassigned_seats: int | None
    unit_cost: Money | None = Field(default=None, description="cost per seat; null = not known")
    unit_price: Money
    billing_term: str
    commitment_term_months: int | None
    commitment_end_date: date | None
    auto_renew: bool | None
    status: str
    updated_at: datetime

    @classmethod
    def of(cls, s: SubscriptionVersion) -> SubscriptionOut:
        return cls(
            subscription_id=s.subscription_id,
            client_id=s.client_id,
            tenant_id=s.tenant_id,
            vendor=s.vendor,
            distributor=s.distributor,
            sku_id=s.sku_id,
            sku_part_number=s.sku_part_number,
            product_name=s.product_name,
            quantity=s.quantity,
            consumed_units=s.consumed_units,
            unassigned_seats=s.unassigned_seats,
            unit_cost=s.unit_cost,
            unit_price=s.unit_price,
            billing_term=s.billing_term,
            commitment_term_months=s.commitment_term_months,
            commitment_end_date=s.commitment_end_date,
            auto_renew=s.auto_renew,
            status=s.status,
            updated_at=s.as_of,
        )


@router.get(
    "/subscriptions",
    response_model=list[SubscriptionOut],
    summary="Licence subscriptions bought at the distributor, by client and product",
)
def list_subscriptions(
    request: Request,
    client_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    status: Annotated[Literal["active", "pending", "trial", "suspended", "cancelled"] | None, Query()] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[SubscriptionOut]:
    with Session(request.app.state.service.engine) as session:
        subscriptions = SubscriptionRepository(session).list(
            client_id=client_id, status=status, limit=limit, offset=offset
        )
    return [SubscriptionOut.of(s) for s in subscriptions]
