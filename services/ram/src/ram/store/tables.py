"""RAM's tables (SQLModel), on a metadata of their own so services never share a schema."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from msp_events.runtime.store import ExactNumeric, UtcDateTime


class RamTable(SQLModel, registry=registry()):
    pass


METADATA = RamTable.metadata


class Technician(RamTable, table=True):
    __tablename__ = "technicians"

    technician_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=255)
    email: str | None = Field(default=None, max_length=255)
    work_role: str = Field(max_length=128)
    time_zone: str | None = Field(default=None, max_length=64)
    home_latitude: float | None = None
    home_longitude: float | None = None
    daily_capacity_hours: Decimal = Field(sa_type=ExactNumeric(5, 2))
    weekly_billable_hours_target: Decimal | None = Field(default=None, sa_type=ExactNumeric(6, 2))
    include_in_utilisation: bool
    hourly_rate_amount: Decimal | None = Field(default=None, sa_type=ExactNumeric(18, 4))
    hourly_rate_currency: str | None = Field(default=None, max_length=3)
    active: bool
    as_of: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)


class TechnicianCostRate(RamTable, table=True):
    """One row per effective-dated rate; the technician's whole history is replaced by a newer version."""

    __tablename__ = "technician_cost_rates"

    technician_id: str = Field(primary_key=True, max_length=64, foreign_key="technicians.technician_id")
    effective_from: date = Field(primary_key=True)
    effective_to: date | None = None
    hourly_cost_amount: Decimal = Field(sa_type=ExactNumeric(18, 4))
    hourly_cost_currency: str = Field(max_length=3)
