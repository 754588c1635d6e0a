"""SPO's tables (SQLModel), on a metadata of their own so services never share a schema."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Text
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
    source: str | None = Field(default=None, max_length=64)
    opportunity_type: str | None = Field(default=None, max_length=32)
    rating: str | None = Field(default=None, max_length=16)
    created_on: date | None = None
    pipeline_change_date: date | None = None
    furthest_stage: str | None = Field(default=None, max_length=32)
    win_probability: Decimal | None = Field(default=None, sa_type=ExactNumeric(7, 4))
    win_method: str | None = Field(default=None, max_length=32)
    win_why: str | None = Field(default=None, sa_type=Text)
    win_reasons: str | None = Field(default=None, sa_type=Text)
    scored_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class OpportunityScore(SpoTable, table=True):
    """Every change of an opportunity's win probability: its history, as the API shows it."""

    __tablename__ = "opportunity_scores"

    opportunity_id: str = Field(primary_key=True, max_length=64)
    scored_at: datetime = Field(primary_key=True, sa_type=UtcDateTime)
    probability: Decimal = Field(sa_type=ExactNumeric(7, 4))
    method: str = Field(max_length=32)
    model_version: int | None = None
    why: str = Field(sa_type=Text)


class WinModelRow(SpoTable, table=True):
    """A trained win model, as JSON data (no pickle): replicas and replays score alike."""

    __tablename__ = "win_models"

    version: int = Field(primary_key=True)
    trained_at: datetime = Field(sa_type=UtcDateTime)
    trained_for: str = Field(max_length=7, description="YYYY-MM: the month the model serves")
    method: str = Field(max_length=32)
    closed_deals: int
    family: str | None = Field(default=None, max_length=32)
    cv_auc: str | None = Field(default=None, max_length=32)
    model_json: str | None = Field(default=None, sa_type=Text)
    note: str = Field(sa_type=Text)


class ClientSignal(SpoTable, table=True):
    """What CPI last said about a client's margin and churn risk (features for its deals)."""

    __tablename__ = "client_signals"

    client_id: str = Field(primary_key=True, max_length=64)
    margin_pct: Decimal | None = Field(default=None, sa_type=ExactNumeric(9, 4))
    margin_band: str | None = Field(default=None, max_length=16)
    margin_period: str | None = Field(default=None, max_length=7)
    churn_probability: Decimal | None = Field(default=None, sa_type=ExactNumeric(9, 6))
    churn_as_of: date | None = None
