"""Churn tables, on CPI's metadata (migration ``cpi_0004_churn``).

Every fact keeps the time it became known (``known_at``) so the features of a past month can be
rebuilt from what was known then: an agreement re-sent with its end date moved is a new version,
not an overwrite, and a ticket's SLA breach or CSAT rating counts from the version that reported it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Text
from sqlmodel import Field

from msp_events.runtime.store import ExactNumeric, UtcDateTime

from cpi.store.tables import CpiTable


class ChurnTicket(CpiTable, table=True):
    __tablename__ = "churn_tickets"

    ticket_id: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64, index=True)
    opened_at: datetime = Field(sa_type=UtcDateTime)
    breached_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    """First time a version reported ``sla_breached``."""
    csat_rating: str | None = Field(default=None, max_length=16)
    csat_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    """Time of the version that first carried the rating kept."""
    updated_at: datetime = Field(sa_type=UtcDateTime)


class ChurnInvoice(CpiTable, table=True):
    __tablename__ = "churn_invoices"

    invoice_id: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64, index=True)
    invoice_date: date
    due_date: date
    total: Decimal = Field(sa_type=ExactNumeric)


class ChurnPayment(CpiTable, table=True):
    __tablename__ = "churn_payments"

    payment_id: str = Field(primary_key=True, max_length=64)
    invoice_id: str = Field(max_length=64, index=True)
    client_id: str = Field(max_length=64, index=True)
    received_on: date
    amount: Decimal = Field(sa_type=ExactNumeric)


class ChurnClient(CpiTable, table=True):
    __tablename__ = "churn_clients"

    client_id: str = Field(primary_key=True, max_length=64)
    status: str = Field(max_length=32)
    created_on: date
    churned_on: date | None = None
    employee_count: int | None = None
    as_of: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)


class ChurnAgreementVersion(CpiTable, table=True):
    __tablename__ = "churn_agreement_versions"

    agreement_id: str = Field(primary_key=True, max_length=64)
    known_at: datetime = Field(primary_key=True, sa_type=UtcDateTime)
    digest: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64, index=True)
    agreement_type: str = Field(max_length=32)
    start_date: date
    end_date: date | None = None
    auto_renew: bool | None = None
    cancelled: bool = False
    cancelled_date: date | None = None


class ChurnModel(CpiTable, table=True):
    """One trained (or health-score) model per retraining; the latest one scores."""

    __tablename__ = "churn_models"

    trained_at: datetime = Field(primary_key=True, sa_type=UtcDateTime)
    method: str = Field(max_length=16)
    training_rows: int
    training_churns: int
    """Distinct clients with a churn outcome in the training rows."""
    digest: str = Field(max_length=64)
    """SHA-256 of the training set (features and labels, in order)."""
    params: str = Field(sa_type=Text)
    """JSON: feature names, scaler, coefficients, intercept and the sigmoid calibration."""


class ChurnScore(CpiTable, table=True):
    __tablename__ = "churn_scores"

    client_id: str = Field(primary_key=True, max_length=64)
    as_of: date
    """Month end the features describe."""
    scored_at: datetime = Field(sa_type=UtcDateTime)
    probability: Decimal = Field(sa_type=ExactNumeric(9, 6))
    band: str = Field(max_length=16)
    method: str = Field(max_length=16)
    signals: str = Field(sa_type=Text)
    """JSON list of the top contributing signals."""
    model_trained_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    training_rows: int = 0
    published_band: str | None = Field(default=None, max_length=16)
    """Band last published in ``client.churn.risk.changed`` (never published twice)."""


class ChurnSchedule(CpiTable, table=True):
    __tablename__ = "churn_schedule"

    name: str = Field(primary_key=True, max_length=32)
    last_scored_month: date | None = None
    last_trained_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
