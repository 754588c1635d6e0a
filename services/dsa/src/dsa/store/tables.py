"""DSA's tables (SQLModel), on a metadata of their own so services never share a schema."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import LargeBinary, Text
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
    judge_state: int = Field(default=1, index=True)
    """what anomaly detection has seen of it: 0 judged, 1 new, 2 a restatement of a judged line
    (its old version is in the kept detector state: the source is judged again from its start)."""


class DetectorStateRow(DsaTable, table=True):
    """Per spend source, the anomaly detector's state after the last day it judged, so the next
    daily run judges only the days booked since (``anomaly_state.py``)."""

    __tablename__ = "anomaly_detector_states"

    source: str = Field(primary_key=True, max_length=16)
    first_day: date
    judged_through: date
    state: bytes = Field(sa_type=LargeBinary)


class AnomalyRow(DsaTable, table=True):
    """An anomaly as last published: what the next detection run is compared with."""

    __tablename__ = "anomalies"

    anomaly_id: str = Field(primary_key=True, max_length=64)
    series_key: str = Field(max_length=512, index=True)
    dimension: str = Field(max_length=32)
    value: str = Field(max_length=400)
    department: str = Field(max_length=128)
    spend_source: str = Field(max_length=16)
    category: str | None = Field(default=None, max_length=128)
    vendor: str | None = Field(default=None, max_length=256)
    period_start: date
    period_end: date
    peak: date
    expected: Decimal = Field(sa_type=ExactNumeric(18, 4))
    actual: Decimal = Field(sa_type=ExactNumeric(18, 4))
    currency: str = Field(max_length=3)
    score: Decimal = Field(sa_type=ExactNumeric(7, 4))
    shape: str = Field(max_length=16)
    status: str = Field(max_length=8, index=True)
    root_causes: str = Field(default="[]", sa_type=Text)
    """JSON list of {dimension, value, impact}: what drove it, biggest first."""
    feedback: str | None = Field(default=None, max_length=16)
    feedback_day: date | None = None
    """the service clock's day when the feedback was given: detection uses it from that day on."""


class LicenceReportRow(DsaTable, table=True):
    """Every report of an SLI licence finding DSA has read: the ROI ledger's facts for licences.

    All reports are kept (not the latest only) so the ledger reads the finding's life in event
    order whatever order the reports arrived in.
    """

    __tablename__ = "roi_licence_reports"

    violation_id: str = Field(primary_key=True, max_length=128)
    reported_at: datetime = Field(primary_key=True, sa_type=UtcDateTime)
    digest: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=128)
    status: str = Field(max_length=16)
    nature: str | None = Field(default=None, max_length=16)
    monthly_exposure: Decimal = Field(sa_type=ExactNumeric(18, 4))
    currency: str = Field(max_length=3)
    exposure_known: bool = True
    summary: str = Field(default="", sa_type=Text)


class RenewalAdviceRow(DsaTable, table=True):
    """DSA's latest rule-3 analysis per contract renewal: the ROI ledger's facts for renewals."""

    __tablename__ = "roi_renewals"

    contract_id: str = Field(primary_key=True, max_length=128)
    renewal_date: date = Field(primary_key=True)
    analysed_at: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)
    vendor: str = Field(max_length=256)
    department: str | None = Field(default=None, max_length=128)
    recommendation: str = Field(max_length=16)
    term_months: int
    forecast_next_term: Decimal = Field(sa_type=ExactNumeric(18, 4))
    spend_12m: Decimal = Field(sa_type=ExactNumeric(18, 4))
    annual_value: Decimal = Field(sa_type=ExactNumeric(18, 4))
    currency: str = Field(max_length=3)


class AllocationAdviceRow(DsaTable, table=True):
    """Every RAM allocation advice DSA has read (``resource.allocation.recommended``): the ROI
    ledger's facts for allocation savings. All kept: a later advice for a client ends the earlier."""

    __tablename__ = "roi_allocations"

    client_id: str = Field(primary_key=True, max_length=128)
    advised_at: datetime = Field(primary_key=True, sa_type=UtcDateTime)
    digest: str = Field(primary_key=True, max_length=64)
    period: str = Field(max_length=7)
    monthly_saving: Decimal = Field(sa_type=ExactNumeric(18, 4))
    currency: str = Field(max_length=3)
    summary: str = Field(default="", sa_type=Text)
    moves: str = Field(default="[]", sa_type=Text)
    """JSON list of {work_id, kind, to_technician_id, monthly_saving}"""


class TicketAssignmentRow(DsaTable, table=True):
    """A ticket's assigned technician per ``psa.ticket.updated`` state: the sign that a RAM move
    was acted on. Every state kept (by ``updated_at``), so arrival order does not matter."""

    __tablename__ = "roi_ticket_assignments"

    ticket_id: str = Field(primary_key=True, max_length=128)
    updated_at: datetime = Field(primary_key=True, sa_type=UtcDateTime)
    digest: str = Field(primary_key=True, max_length=64)
    technician_id: str | None = Field(default=None, max_length=128)


class TimeEntryRow(DsaTable, table=True):
    """Every version of a time entry logged on a ticket (``psa.time_entry.logged``): the hours
    that measure what a RAM move saved. Only ticket work is kept, and only what costing it needs;
    all versions are kept (the latest by event time, then digest, is read), so arrival order does
    not matter and a batch writes them with one insert."""

    __tablename__ = "roi_time_entries"

    time_entry_id: str = Field(primary_key=True, max_length=128)
    logged_at: datetime = Field(primary_key=True, sa_type=UtcDateTime)
    digest: str = Field(primary_key=True, max_length=64)
    ticket_id: str = Field(max_length=128, index=True)
    technician_id: str = Field(max_length=128)
    work_date: date
    hours: Decimal = Field(sa_type=ExactNumeric(9, 4))
    multiplier: Decimal = Field(sa_type=ExactNumeric(9, 4))


class TechnicianRatesRow(DsaTable, table=True):
    """Every version of a technician's cost rates (``psa.technician.upserted``, full state: the
    latest by event time, then digest, is read)."""

    __tablename__ = "roi_technician_rates"

    technician_id: str = Field(primary_key=True, max_length=128)
    upserted_at: datetime = Field(primary_key=True, sa_type=UtcDateTime)
    digest: str = Field(primary_key=True, max_length=64)
    cost_rates: str = Field(default="[]", sa_type=Text)
    """JSON list of {effective_from, effective_to, hourly_cost, currency}"""
