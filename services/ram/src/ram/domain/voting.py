"""How RAM votes on raising a client's price: from the work the client takes and what a better
allocation would save.

When RAM recommended moving the client's work to cheaper qualified technicians, the margin can be
restored without touching the price: RAM rejects, naming the monthly saving. When the client's
hours go largely unbilled (20 % or more over the last three months), the price does not cover
the work: RAM approves. Otherwise it abstains (the workload says nothing either way). Confidence:
the share of the last three months in which the client had logged work. With no logged work it
abstains. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from msp_events.consensus import VoteChoice

UNBILLED = Decimal("0.2")
PLACES = Decimal("0.01")


@dataclass(frozen=True)
class ClientWorkload:
    hours: Decimal
    hours_billed: Decimal
    months_with_work: int
    """Of the last three months."""
    saving: Decimal | None
    """Monthly saving of RAM's latest re-allocation recommendation for the client, if any."""
    currency: str | None


def vote_on_repricing(client_id: str, work: ClientWorkload) -> VoteChoice:
    if work.hours <= 0:
        return VoteChoice("abstain", f"RAM has no logged work for client {client_id}", Decimal(0))
    confidence = (Decimal(min(work.months_with_work, 3)) / 3).quantize(PLACES)
    unbilled = (work.hours - work.hours_billed) / work.hours
    text = f"client {client_id}: {work.hours} h worked, {work.hours_billed} h billed in 3 months"
    if work.saving is not None and work.saving > 0:
        return VoteChoice(
            "reject",
            f"{text}; moving its work saves {work.saving} {work.currency} a month: re-allocate first",
            confidence,
        )
    if unbilled >= UNBILLED:
        share = (unbilled * 100).quantize(PLACES)
        return VoteChoice(
            "approve", f"{text} ({share} % unbilled): the price does not cover the work", confidence
        )
    return VoteChoice("abstain", f"{text}: the workload is billed; no allocation saving either", confidence)
