"""SPO's tables (SQLModel), on a metadata of their own so services never share a schema."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from msp_events.runtime.store import ExactNumeric, UtcDateTime


class SpoTable(SQLModel, registry=registry()):
    pass


METADATA = SpoTable.metadata


class Opportunity(SpoTable, table=True):
    __tablename__ = "opportunities"

    opportunity_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=255)
    client_id: str | None = Field(default=None, max_length=64, index=True)
    prospect_name: str | None = Field(default=None, max_length=255)
    stage: str = Field(max_length=32)
    status: str = Field(max_length=16)
    probability: Decimal | None = Field(default=None, sa_type=ExactNumeric(7, 4))
    expected_close_date: date
    recurring_monthly_amount: Decimal | None = Field(default=None, sa_type=ExactNumeric(18, 4))
    recurring_monthly_currency: str | None = Field(default=None, max_length=3)
    recurring_term_months: int | None = None
    one_time_amount: Decimal | None = Field(default=None, sa_type=ExactNumeric(18, 4))
    one_time_currency: str | None = Field(default=None, max_length=3)
    primary_sales_rep: str | None = Field(default=None, max_length=64)
    last_activity_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    closed_on: date | None = None
    as_of: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)
