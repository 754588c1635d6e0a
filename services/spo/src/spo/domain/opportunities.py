"""The pipeline: which version of an opportunity is current, and what it is worth weighted.

CRM exports and webhooks arrive late and out of order; the version with the latest change time
wins. Two different versions stamped with the same time are ordered by their digest, so replaying
the same facts in any order leaves the same pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from msp_events.money import Money

HUNDRED = Decimal(100)
AMOUNT_SCALE = Decimal("0.0001")
"""Weighted values keep the precision amounts are stored with (NUMERIC(18, 4))."""


@dataclass(frozen=True)
class OpportunityVersion:
    opportunity_id: str
    name: str
    client_id: str | None
    prospect_name: str | None
    stage: str
    status: str
    probability: Decimal | None
    """Win probability in percent (0-100) as entered in the CRM; None = not entered."""
    expected_close_date: date
    estimated_recurring_monthly: Money | None
    recurring_term_months: int | None
    estimated_one_time: Money | None
    primary_sales_rep: str | None
    last_activity_at: datetime | None
    closed_on: date | None
    as_of: datetime
    digest: str
    """Fingerprint of the payload this version came from; breaks ties between equal ``as_of``."""
    source: str | None = None
    opportunity_type: str | None = None
    rating: str | None = None
    created_on: date | None = None
    pipeline_change_date: date | None = None
    furthest_stage: str | None = None
    prospect_industry: str | None = None
    prospect_employees: int | None = None
    products: tuple[str, ...] | None = None
    """catalog products or service categories quoted (sorted, unique); None = the CRM did not say"""
    """the furthest stage any version reached (the current one behind it is a stage regression);
    a maximum, so it does not depend on the order versions arrive in"""

    @property
    def weighted_recurring_monthly(self) -> Money | None:
        return weighted(self.estimated_recurring_monthly, self.probability)

    @property
    def weighted_one_time(self) -> Money | None:
        return weighted(self.estimated_one_time, self.probability)


def supersedes(incoming: OpportunityVersion, current: OpportunityVersion | None) -> bool:
    """True when ``incoming`` should replace ``current``; an equal version changes nothing."""
    return current is None or (incoming.as_of, incoming.digest) > (current.as_of, current.digest)


def weighted(value: Money | None, probability_pct: Decimal | None) -> Money | None:
    """``value * probability / 100`` in the value's currency, half-up to 4 places; None if either is unknown.

    Recurring and one-time values are weighted separately and never added together: a monthly
    amount and a one-off amount are different quantities.
    """
    if value is None or probability_pct is None:
        return None
    amount = (value.amount * probability_pct / HUNDRED).quantize(AMOUNT_SCALE, rounding=ROUND_HALF_UP)
    return Money(amount=amount, currency=value.currency)


STAGE_ORDER = ("identified", "qualified", "assessment", "proposed", "verbal")


def further(a: str | None, b: str | None) -> str | None:
    """The later of two pipeline stages (None = unknown)."""
    known = [s for s in (a, b) if s in STAGE_ORDER]
    return max(known, key=STAGE_ORDER.index) if known else None
