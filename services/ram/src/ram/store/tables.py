"""RAM's tables (SQLModel), on a metadata of their own so services never share a schema."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Text
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


class TechnicianSkill(RamTable, table=True):
    """Skills held, replaced with each technician version; an expired certification is not held."""

    __tablename__ = "technician_skills"

    technician_id: str = Field(primary_key=True, max_length=64)
    skill: str = Field(primary_key=True, max_length=128)
    expires_on: date | None = None


class TimeEntry(RamTable, table=True):
    """A logged time entry as utilisation needs it; a corrected entry (same id, later) replaces it."""

    __tablename__ = "time_entries"

    time_entry_id: str = Field(primary_key=True, max_length=128)
    technician_id: str = Field(max_length=64, index=True)
    client_id: str = Field(max_length=64)
    work_date: date = Field(index=True)
    hours: Decimal = Field(sa_type=ExactNumeric(6, 2))
    hours_billed: Decimal = Field(sa_type=ExactNumeric(6, 2))
    absence: bool
    client_work: bool
    as_of: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)


class Ticket(RamTable, table=True):
    __tablename__ = "tickets"

    ticket_id: str = Field(primary_key=True, max_length=128)
    client_id: str = Field(max_length=64, index=True)
    agreement_id: str | None = Field(default=None, max_length=64)
    priority: str = Field(max_length=2)
    status: str = Field(max_length=16)
    fix_by: datetime | None = Field(default=None, sa_type=UtcDateTime)
    estimated_hours: Decimal | None = Field(default=None, sa_type=ExactNumeric(8, 2))
    actual_hours: Decimal | None = Field(default=None, sa_type=ExactNumeric(8, 2))
    required_skill: str | None = Field(default=None, max_length=128)
    assigned_technician_id: str | None = Field(default=None, max_length=64)
    as_of: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)


class Visit(RamTable, table=True):
    __tablename__ = "visits"

    visit_id: str = Field(primary_key=True, max_length=128)
    client_id: str = Field(max_length=64, index=True)
    ticket_id: str | None = Field(default=None, max_length=128)
    latitude: float
    longitude: float
    window_start: datetime = Field(sa_type=UtcDateTime)
    window_end: datetime = Field(sa_type=UtcDateTime)
    plan_date: date = Field(index=True)
    duration_minutes: int
    required_skill: str | None = Field(default=None, max_length=128)
    priority: str = Field(max_length=2)
    status: str = Field(max_length=16)
    as_of: datetime = Field(sa_type=UtcDateTime)
    digest: str = Field(max_length=64)
    remote_possible: bool = Field(default=False)
    """The work can be done remotely (rule 1 may recommend a remote slot instead of the trip)."""


class UtilisationEvaluation(RamTable, table=True):
    """The band a technician or team was judged in for one closed period: what the alerts compare."""

    __tablename__ = "utilisation_evaluations"

    subject: str = Field(primary_key=True, max_length=200)
    granularity: str = Field(primary_key=True, max_length=5)
    period_start: date = Field(primary_key=True)
    period_end: date
    band: str = Field(max_length=16)
    utilisation_pct: Decimal = Field(sa_type=ExactNumeric(8, 1))
    available_hours: Decimal = Field(sa_type=ExactNumeric(10, 2))
    billable_hours: Decimal = Field(sa_type=ExactNumeric(10, 2))


class UtilisationState(RamTable, table=True):
    """The last day whose periods were evaluated, per granularity (so a tick evaluates each once)."""

    __tablename__ = "utilisation_state"

    granularity: str = Field(primary_key=True, max_length=5)
    evaluated_through: date


class RoutePlan(RamTable, table=True):
    """The day's plan as published by ``GET /plans/{date}`` (the checker's verdict inside)."""

    __tablename__ = "route_plans"

    plan_date: date = Field(primary_key=True)
    body: str = Field(sa_type=Text)
    solved_at: datetime = Field(sa_type=UtcDateTime)


class Recommendation(RamTable, table=True):
    __tablename__ = "recommendations"

    recommendation_id: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64, index=True)
    period: str = Field(max_length=7)
    created_at: datetime = Field(sa_type=UtcDateTime)
    body: str = Field(sa_type=Text)


class ForecastAlert(RamTable, table=True):
    """A forecast alert already published: once per technician (or team), period and band."""

    __tablename__ = "utilisation_forecast_alerts"

    subject: str = Field(primary_key=True, max_length=200)
    granularity: str = Field(primary_key=True, max_length=5)
    period_start: date = Field(primary_key=True)
    band: str = Field(primary_key=True, max_length=16)
    utilisation_pct: Decimal = Field(sa_type=ExactNumeric(8, 1))
    alerted_at: datetime = Field(sa_type=UtcDateTime)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    """Set when the booking changed and the projection left the band (the withdrawal was published)."""


class Assignment(RamTable, table=True):
    """Who RAM assigned an incoming ticket or visit to (None: nobody worth it), and why in one sentence."""

    __tablename__ = "assignments"

    work_id: str = Field(primary_key=True, max_length=128)
    kind: str = Field(max_length=8)
    client_id: str = Field(max_length=64, index=True)
    technician_id: str | None = Field(default=None, max_length=64, index=True)
    hours: Decimal = Field(sa_type=ExactNumeric(8, 1))
    explanation: str = Field(sa_type=Text)
    solver_status: str = Field(max_length=64)
    assigned_at: datetime = Field(sa_type=UtcDateTime)
    revision: int = Field(default=1)
    """1 for the first assignment; +1 each time the work changed what it needs and was re-assigned."""
    basis: str | None = Field(default=None, max_length=200)
    """What it was assigned for: required skill and estimate (``dispatch.basis``); None before ram_0005."""
