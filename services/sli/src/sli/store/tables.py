"""SLI's tables (SQLModel), on a metadata of their own so services never share a schema."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from msp_events.runtime.store import ExactNumeric, UtcDateTime


class SliTable(SQLModel, registry=registry()):
    pass


METADATA = SliTable.metadata


class Subscription(SliTable, table=True):
    __tablename__ = "subscriptions"

    subscription_id: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64, index=True)
    tenant_id: str | None = Field(default=None, max_length=64)
    vendor: str = Field(max_length=128)
    distributor: str | None = Field(default=None, max_length=128)
    sku_id: str = Field(max_length=64)
    sku_part_number: str | None = Field(default=None, max_length=128)
    product_name: str = Field(max_length=255)
    quantity: int
    consumed_units: int | None = None
    #: both null when the distributor gave no cost (sli_0002)
    unit_cost_amount: Decimal | None = Field(default=None, sa_type=ExactNumeric(18, 4))
    unit_cost_currency: str | None = Field(default=None, max_length=3)
    unit_price_amount: Decimal = Field(sa_type=ExactNumeric(18, 4))
    unit_price_currency: str = Field(max_length=3)
    billing_term: str = Field(max_length=16)
    commitment_term_months: int | None = None
    commitment_end_date: date | None = None
    auto_renew: bool | None = None
    status: str = Field(max_length=16)
    as_of: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)
