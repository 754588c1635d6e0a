"""DSA's tables (SQLModel), on a metadata of their own so services never share a schema."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from msp_events.runtime.store import ExactNumeric, UtcDateTime


class DsaTable(SQLModel, registry=registry()):
    pass


METADATA = DsaTable.metadata


class Budget(DsaTable, table=True):
    __tablename__ = "budgets"

    budget_id: str = Field(primary_key=True, max_length=64)
    department: str = Field(max_length=128, index=True)
    category: str | None = Field(default=None, max_length=128)
    cost_center: str | None = Field(default=None, max_length=64)
    period_start: date
    period_end: date
    planned_amount: Decimal = Field(sa_type=ExactNumeric(18, 4))
    planned_currency: str = Field(max_length=3)
    alert_threshold_pct: Decimal | None = Field(default=None, sa_type=ExactNumeric(7, 4))
    as_of: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)


class SpendLineRow(DsaTable, table=True):
    """One booked cost (an expense, a bill line, a day of one cloud cost line), latest version."""

    __tablename__ = "spend_lines"

    line_id: str = Field(primary_key=True, max_length=160)
    """``expense:<expense_id>`` or ``cloud:<cost_line_id>``: the two sources never collide."""
    source: str = Field(max_length=16)
    day: date = Field(index=True)
    department: str = Field(max_length=128, index=True)
    category: str = Field(max_length=128)
    vendor: str = Field(max_length=256)
    account: str | None = Field(default=None, max_length=128)
    service: str | None = Field(default=None, max_length=256)
    amount: Decimal = Field(sa_type=ExactNumeric(18, 4))
    currency: str = Field(max_length=3)
    as_of: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)
