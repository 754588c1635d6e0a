"""What the other agents had said about a client at a given moment: the as-of join of the win
model's client features.

CPI reports a client's margin (``client.profitability.changed``, one per client month) and churn
risk (``client.churn.risk.changed``) over time. A deal is featured with the reading *in force* when
it is seen: a closed deal at the start of the day it closed (what was known while it was decided),
an open deal at the time it is scored. Using the latest reading for every deal would let a deal
that closed in March learn from a margin report of June, and the model would then credit the
margin with outcomes it could not have caused.

A reading is in force from its event time (when CPI said it), not from the period it describes: a
margin of March is only known once CPI reports it in April. Among the readings known by then the
one about the latest period (margin) or date (churn) wins, so a late re-report of an older month
does not replace a newer month; equal ones are ordered by their event time and then their values.
The answer is a maximum over a set, so it does not depend on the order the readings arrived in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

from spo.domain.opportunities import OpportunityVersion


@dataclass(frozen=True)
class ClientSignals:
    """What the other agents said about a client, as one deal's features see it."""

    margin_pct: Decimal | None = None
    margin_band: str | None = None
    churn_probability: Decimal | None = None
    industry: str | None = None
    employees: int | None = None


@dataclass(frozen=True)
class MarginReading:
    """CPI's gross margin of one client month, known from ``observed_at`` (the event's time)."""

    observed_at: datetime
    period: str
    pct: Decimal
    band: str


@dataclass(frozen=True)
class ChurnReading:
    """CPI's churn risk of a client as of ``as_of``, known from ``observed_at`` (the event's time)."""

    observed_at: datetime
    as_of: date
    probability: Decimal


@dataclass(frozen=True)
class SignalHistory:
    """Every reading of one client, and its master data (industry and size: latest version)."""

    margins: tuple[MarginReading, ...] = ()
    churn: tuple[ChurnReading, ...] = ()
    industry: str | None = None
    employees: int | None = None

    def at(self, when: datetime) -> ClientSignals:
        """The readings in force at ``when`` (known at or before it)."""
        margin = max(
            (r for r in self.margins if r.observed_at <= when),
            key=lambda r: (r.period, r.observed_at, r.pct, r.band),
            default=None,
        )
        churn = max(
            (r for r in self.churn if r.observed_at <= when),
            key=lambda r: (r.as_of, r.observed_at, r.probability),
            default=None,
        )
        return ClientSignals(
            margin_pct=None if margin is None else margin.pct,
            margin_band=None if margin is None else margin.band,
            churn_probability=None if churn is None else churn.probability,
            industry=self.industry,
            employees=self.employees,
        )


def seen_at(o: OpportunityVersion, now: datetime) -> datetime:
    """When a deal's client features are taken: a closed deal at the start of its close day (UTC;
    without a close date, when the CRM closed it), an open one at ``now``, the time it is scored."""
    if o.status == "open":
        return now
    if o.closed_on is not None:
        return datetime.combine(o.closed_on, time.min, tzinfo=UTC)
    return min(o.as_of, now)
