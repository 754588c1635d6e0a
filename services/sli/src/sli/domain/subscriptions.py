"""The subscription book: which version of a distributor subscription is current.

Distributor syncs arrive late and out of order; the version with the latest sync time wins (ties
broken by digest), so replaying the same facts in any order leaves the same book. This is the
"bought" side of the three-way check (bought vs assigned vs billed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from msp_events.money import Money


@dataclass(frozen=True)
class SubscriptionVersion:
    subscription_id: str
    client_id: str
    tenant_id: str | None
    vendor: str
    distributor: str | None
    sku_id: str
    sku_part_number: str | None
    product_name: str
    quantity: int
    consumed_units: int | None
    unit_cost: Money | None
    """MSP cost per seat per month; None when the distributor export did not carry it."""
    unit_price: Money
    billing_term: str
    commitment_term_months: int | None
    commitment_end_date: date | None
    auto_renew: bool | None
    status: str
    as_of: datetime
    digest: str
    """Fingerprint of the payload this version came from; breaks ties between equal ``as_of``."""

    @property
    def unassigned_seats(self) -> int | None:
        """Seats bought but not assigned in the tenant (negative = more assigned than bought)."""
        return None if self.consumed_units is None else self.quantity - self.consumed_units


def supersedes(incoming: SubscriptionVersion, current: SubscriptionVersion | None) -> bool:
    """True when ``incoming`` should replace ``current``; an equal version changes nothing."""
    return current is None or (incoming.as_of, incoming.digest) > (current.as_of, current.digest)
