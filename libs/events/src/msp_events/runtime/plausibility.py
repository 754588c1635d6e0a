"""Facts dated outside a plausible window are refused (dead-lettered), not believed.

A time entry dated 0001-01-01 was once accepted and grew CPI's month calendar from 6 rows to 24,294:
a typo in a source system's export must not become two thousand years of empty months. So, for the
event types whose registry entry names ``fact_dates`` (a time entry's ``work_date``, an invoice's
``invoice_date`` ...), every message is checked before its handler runs:

* each fact date must lie in [reference - ``years_back``, reference + ``years_ahead``] (by default
  ten years back, one ahead), where the reference is the **service clock** (the latest
  ``clock.ticked`` the service has seen) or, before any tick, the **event's own time**;
* with a service clock, the event's time must lie in that window too (without one there is nothing
  to check it against).

Types without fact dates (master data, whose event time is the record's own creation or update and
may rightly be decades old; contract end and renewal dates, rightly years ahead) are not checked,
and neither is ``clock.ticked`` itself. The rule never reads the wall clock, so a replay decides the
same; it costs a registry lookup per message, and for dated facts the clock the unit of work reads
anyway (once a batch on the fast path).

A refusal raises ``ImplausibleFact``, a ``PermanentError`` whose dead letter carries the reason
``implausible-time`` and a detail naming the field, the date, the bound and what to do. The message
is not recorded in the inbox, so after a corrected export (or a wider window: ``PLAUSIBLE_YEARS_BACK``,
``PLAUSIBLE_YEARS_AHEAD``) ``msp-replay redrive`` gets it handled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from msp_events.codec.errors import Reason
from msp_events.envelope import Envelope
from msp_events.registry import REGISTRY
from msp_events.runtime.errors import PermanentError
from msp_events.runtime.uow import UnitOfWork

ADVICE = "check the source system's export"


class ImplausibleFact(PermanentError):
    """A fact dated outside the plausibility window: dead-lettered as ``implausible-time``."""

    reason = Reason.IMPLAUSIBLE_TIME


@dataclass(frozen=True)
class PlausibilityWindow:
    years_back: int = 10
    years_ahead: int = 1

    def problem(self, envelope: Envelope[Any], clock: datetime | None) -> str | None:
        """Why ``envelope`` is implausible given the service ``clock`` (``None``: plausible)."""
        fields = REGISTRY.get(envelope.type).fact_dates
        if not fields:
            return None
        if clock is not None:
            reference, against = clock.date(), f"the service clock {clock.date().isoformat()}"
        else:
            reference, against = envelope.time.date(), f"the event's time {envelope.time.date().isoformat()}"
        for name in fields:
            value = getattr(envelope.data, name)
            if value is not None and (why := self._outside(name, value, reference, against)) is not None:
                return why
        if clock is not None:
            return self._outside("the event time", envelope.time, reference, against)
        return None

    def _outside(self, name: str, value: date, reference: date, against: str) -> str | None:
        day = value.date() if isinstance(value, datetime) else value
        if day < _years_from(reference, -self.years_back):
            return (
                f"{name} {day.isoformat()} is more than {_years(self.years_back)} before {against}; {ADVICE}"
            )
        if day > _years_from(reference, self.years_ahead):
            return (
                f"{name} {day.isoformat()} is more than {_years(self.years_ahead)} after {against}; {ADVICE}"
            )
        return None


def refuse_implausible(uow: UnitOfWork, window: PlausibilityWindow) -> None:
    """Raise ``ImplausibleFact`` when the message in hand is outside ``window``."""
    if not REGISTRY.get(uow.cause.type).fact_dates:
        return  # most messages: no clock read, nothing to check
    problem = window.problem(uow.cause, uow.clock)
    if problem is not None:
        raise ImplausibleFact(problem)


def _years_from(day: date, years: int) -> date:
    """``day`` moved by whole years (29 February becomes the 28th), clamped to the calendar."""
    year = day.year + years
    if year < date.min.year:
        return date.min
    if year > date.max.year:
        return date.max
    return day.replace(year=year, day=28) if (day.month, day.day) == (2, 29) else day.replace(year=year)


def _years(n: int) -> str:
    return f"{n} year" if n == 1 else f"{n} years"
