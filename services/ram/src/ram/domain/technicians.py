"""The technician roster: which version of a technician is current, and what their hour costs.

PSA exports and webhooks arrive late and out of order; the version with the latest change time
wins (ties broken by digest), so replaying the same facts in any order leaves the same roster. The
cost of an hour is effective-dated: work is valued at the rate in force on the day it was done,
so a pay change never rewrites history.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from msp_events.money import Money


class InvalidCostHistory(ValueError):
    """The cost-rate history cannot be read unambiguously."""


@dataclass(frozen=True)
class CostRate:
    """One fully loaded hourly cost, in force from ``effective_from`` until replaced or ``effective_to``."""

    effective_from: date
    effective_to: date | None
    hourly_cost: Money


@dataclass(frozen=True)
class TechnicianVersion:
    technician_id: str
    name: str
    email: str | None
    work_role: str
    time_zone: str | None
    home_latitude: float | None
    home_longitude: float | None
    daily_capacity_hours: Decimal
    weekly_billable_hours_target: Decimal | None
    include_in_utilisation: bool
    hourly_rate: Money | None
    active: bool
    cost_rates: tuple[CostRate, ...]
    as_of: datetime
    digest: str
    """Fingerprint of the payload this version came from; breaks ties between equal ``as_of``."""


def supersedes(incoming: TechnicianVersion, current: TechnicianVersion | None) -> bool:
    """True when ``incoming`` should replace ``current``; an equal version changes nothing."""
    return current is None or (incoming.as_of, incoming.digest) > (current.as_of, current.digest)


def cost_history(rates: Iterable[CostRate]) -> tuple[CostRate, ...]:
    """The rates oldest first; two rates starting on the same day would make a day's cost ambiguous."""
    ordered = tuple(sorted(rates, key=lambda r: r.effective_from))
    twice = sorted(d for d, n in Counter(r.effective_from for r in ordered).items() if n > 1)
    if twice:
        raise InvalidCostHistory(f"more than one cost rate starts on {', '.join(map(str, twice))}")
    for rate in ordered:
        if rate.effective_to is not None and rate.effective_to < rate.effective_from:
            raise InvalidCostHistory(f"the cost rate from {rate.effective_from} ends before it starts")
    return ordered


def cost_rate_on(rates: Iterable[CostRate], day: date) -> CostRate | None:
    """The rate in force on ``day``: the latest ``effective_from`` on or before it.

    None when no rate had started yet, or when that latest rate had already ended (a gap in the
    history means the cost is unknown, not that an older rate applies again).
    """
    started = [r for r in rates if r.effective_from <= day]
    if not started:
        return None
    latest = max(started, key=lambda r: r.effective_from)
    return latest if latest.effective_to is None or day <= latest.effective_to else None
