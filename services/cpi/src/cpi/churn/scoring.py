"""Retraining and scoring on clock ticks (filled in below)."""

from __future__ import annotations

from datetime import date, datetime

from msp_events.runtime.uow import UnitOfWork

from cpi.churn.tables import ChurnSchedule


def refresh(uow: UnitOfWork, now: datetime) -> None:
    """Remember the month reached; scoring runs once per month."""
    schedule = uow.session.get(ChurnSchedule, "churn") or ChurnSchedule(name="churn")
    month = date(now.year, now.month, 1)
    if schedule.last_scored_month is None or schedule.last_scored_month < month:
        schedule.last_scored_month = month
    uow.session.add(schedule)
