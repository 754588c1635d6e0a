"""How SLI votes on renewing a vendor contract: from the use of that vendor's seats.

Seats bought from the vendor are weighed against the seats the tenants really consume: with at
least 80 % in use SLI approves; below it the renewal should be renegotiated down first, so SLI
rejects, naming the unused seats. Its confidence is the share of those seats whose use SLI knows
(the distributor's consumed units). When SLI holds no subscription of the vendor it abstains. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from msp_events.consensus import VoteChoice

IN_USE = Decimal("0.8")
PLACES = Decimal("0.01")


@dataclass(frozen=True)
class SeatsOfVendor:
    """One active subscription of the vendor: seats bought, seats consumed (None: unknown)."""

    quantity: int
    consumed: int | None


def vote_on_renewal(vendor: str, seats: list[SeatsOfVendor]) -> VoteChoice:
    bought = sum(s.quantity for s in seats)
    if bought == 0:
        return VoteChoice("abstain", f"SLI holds no active {vendor} seats", Decimal(0))
    known = [s for s in seats if s.consumed is not None]
    known_bought = sum(s.quantity for s in known)
    confidence = (Decimal(known_bought) / bought).quantize(PLACES)
    if known_bought == 0:
        return VoteChoice("abstain", f"the use of {bought} {vendor} seats is unknown", confidence)
    used = sum(min(s.consumed or 0, s.quantity) for s in known)
    share = Decimal(used) / known_bought
    text = f"{used} of {known_bought} {vendor} seats in use ({(share * 100).quantize(PLACES)} %)"
    if share >= IN_USE:
        return VoteChoice("approve", f"{text}: renew", confidence)
    return VoteChoice(
        "reject", f"{text}: {known_bought - used} unused, renegotiate the seat count", confidence
    )


@dataclass(frozen=True)
class ClientLicences:
    """What SLI knows of one client's licences."""

    subscriptions: int
    unbilled_seats: int
    """Seats in open unbilled / under-billed findings: used but not charged."""
    unbilled_monthly: Decimal
    unused_seats: int
    currency: str | None


def vote_on_repricing(client_id: str, licences: ClientLicences) -> VoteChoice:
    """Billing the seats a client uses but does not pay for restores margin without a price rise:
    with unbilled seats SLI rejects repricing (bill them first); with all seats billed it approves
    (the licences are not the leak). Unused seats are a saving for the client, not a reason either
    way, so they only lower the confidence. No subscription of the client: abstain."""
    if licences.subscriptions == 0:
        return VoteChoice("abstain", f"SLI holds no licences of client {client_id}", Decimal(0))
    confidence = Decimal(1) if licences.unused_seats == 0 else Decimal("0.75")
    if licences.unbilled_seats:
        return VoteChoice(
            "reject",
            f"client {client_id}: {licences.unbilled_seats} seats used but not billed "
            f"({licences.unbilled_monthly} {licences.currency or ''} a month): bill them before repricing",
            confidence,
        )
    unused = f"; {licences.unused_seats} seats unused" if licences.unused_seats else ""
    return VoteChoice(
        "approve",
        f"client {client_id}: every licence used is billed{unused}: the leak is not licences",
        confidence,
    )
