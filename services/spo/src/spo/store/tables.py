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
    prospect_industry: str | None = Field(default=None, max_length=128)
    prospect_employee_count: int | None = None
    products: str | None = Field(default=None, sa_type=Text, description="JSON list, sorted; null: not said")
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


class ClientSignalReading(SpoTable, table=True):
    """Every margin and churn reading of a client with its event time: the win model's features
    are taken as of the deal's time (``domain/signals.py``), so none is replaced."""

    __tablename__ = "client_signal_history"

    client_id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(primary_key=True, max_length=8, description="margin or churn")
    observed_at: datetime = Field(primary_key=True, sa_type=UtcDateTime, description="the event's time")
    ref: str = Field(primary_key=True, max_length=10, description="margin: the period; churn: as-of date")
    value: Decimal = Field(sa_type=ExactNumeric(12, 6), description="margin % or churn probability")
    band: str | None = Field(default=None, max_length=16)


class ClientFact(SpoTable, table=True):
    """A client's industry and size (peers for whitespace) from ``psa.client.upserted``."""

    __tablename__ = "clients"

    client_id: str = Field(primary_key=True, max_length=64)
    industry: str | None = Field(default=None, max_length=128)
    employee_count: int | None = None
    active: bool = True
    as_of: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)


class AgreementFact(SpoTable, table=True):
    """A client's agreement, latest version: renewals, managed clients, what peers buy."""

    __tablename__ = "agreements"

    agreement_id: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64, index=True)
    agreement_type: str = Field(max_length=32)
    end_date: date | None = None
    notice_period_days: int | None = None
    monthly_fee: Decimal = Field(sa_type=ExactNumeric(18, 4))
    currency: str = Field(max_length=3)
    cancelled: bool = False
    products: str = Field(sa_type=Text, description="JSON [[product_id, monthly price], ...]")
    as_of: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)


class TimeEntryFact(SpoTable, table=True):
    """A billable labour entry (T&M spend); the same entry id again replaces it."""

    __tablename__ = "time_entries"

    time_entry_id: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64, index=True)
    agreement_id: str | None = Field(default=None, max_length=64)
    month: str = Field(max_length=7)
    hours: Decimal = Field(sa_type=ExactNumeric(9, 2))
    billed: Decimal = Field(sa_type=ExactNumeric(18, 4))
    currency: str = Field(max_length=3)


class LicenceFinding(SpoTable, table=True):
    """SLI's unbilled-seat findings (``license.compliance.violation``), latest state."""

    __tablename__ = "licence_findings"

    violation_id: str = Field(primary_key=True, max_length=128)
    client_id: str = Field(max_length=64)
    sku_id: str = Field(max_length=128)
    seats: int
    monthly_exposure: Decimal = Field(sa_type=ExactNumeric(18, 4))
    currency: str = Field(max_length=3)
    commitment_end_date: date | None = None
    open: bool
    as_of: datetime = Field(sa_type=UtcDateTime)


class MarginReport(SpoTable, table=True):
    """CPI's monthly margin per client (``client.profitability.changed``): repricing evidence."""

    __tablename__ = "margin_reports"

    client_id: str = Field(primary_key=True, max_length=64)
    period: str = Field(primary_key=True, max_length=7)
    margin_pct: Decimal = Field(sa_type=ExactNumeric(9, 4))
    target_pct: Decimal | None = Field(default=None, sa_type=ExactNumeric(9, 4))
    band: str = Field(max_length=16)
    direction: str = Field(max_length=8)
    revenue: Decimal = Field(sa_type=ExactNumeric(18, 4))
    cost: Decimal = Field(sa_type=ExactNumeric(18, 4))
    currency: str = Field(max_length=3)


class Suggestion(SpoTable, table=True):
    """An opportunity found in delivery data: one open per client, kind and reason."""

    __tablename__ = "suggestions"

    suggestion_id: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=32)
    reason: str = Field(max_length=128)
    status: str = Field(max_length=16, description="open, acted_on or expired")
    suppressed: bool = Field(default=False, description="expired while its finding lasts: not re-suggested")
    title: str = Field(max_length=255)
    summary: str = Field(sa_type=Text)
    estimated_recurring_monthly: Decimal | None = Field(default=None, sa_type=ExactNumeric(18, 4))
    currency: str = Field(max_length=3)
    win_probability_pct: Decimal = Field(sa_type=ExactNumeric(7, 4))
    agreement_id: str | None = Field(default=None, max_length=64)
    sku_id: str | None = Field(default=None, max_length=128)
    seats: int | None = None
    opened_on: date
    act_by: date
    closed_on: date | None = None


class Run(SpoTable, table=True):
    """The last day a daily job ran (the rules run once a day, at the day's first tick)."""

    __tablename__ = "runs"

    job: str = Field(primary_key=True, max_length=32)
    day: date


class Proposal(SpoTable, table=True):
    """A proposal per suggestion: pending while SLI is asked, then generated (its event payload)."""

    __tablename__ = "proposals"

    proposal_id: str = Field(primary_key=True, max_length=64)
    suggestion_id: str = Field(max_length=64, unique=True)
    client_id: str = Field(max_length=64, index=True)
    status: str = Field(max_length=16, description="pending (waiting for SLI) or generated")
    wait_until: date | None = None
    payload: str | None = Field(default=None, sa_type=Text, description="sales.proposal.generated data, JSON")
    generated_at: datetime | None = Field(default=None, sa_type=UtcDateTime, description="SPO's time then")


class LicenceCheck(SpoTable, table=True):
    """SLI's answer to a licence question about one suggestion (``license.compliance.checked``)."""

    __tablename__ = "licence_checks"

    suggestion_id: str = Field(primary_key=True, max_length=64)
    status: str = Field(max_length=16)
    summary: str = Field(sa_type=Text)
