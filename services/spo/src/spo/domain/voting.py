"""How SPO votes on raising a client's price: from the client's churn risk and open deals.

A price rise on a client likely to leave pushes it out the door, and one in the middle of a deal
can sink the deal. SPO reads what CPI last said about the client's churn risk and the client's
open opportunities: a churn probability of 50 % or more rejects; so do open deals, which SPO
should close before the price moves; otherwise SPO approves. Its confidence is 1 when the churn
risk is known, 0.5 when only the deals are. With neither, it abstains. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from msp_events.consensus import VoteChoice

HIGH_CHURN = Decimal("0.5")
PLACES = Decimal("0.01")


@dataclass(frozen=True)
class ClientOutlook:
    churn_probability: Decimal | None
    open_deals: int
    open_monthly: Decimal
    """Recurring monthly amount of the open deals."""
    known: bool
    """Whether SPO knows the client at all (a client record, a signal or a deal)."""


def vote_on_repricing(client_id: str, outlook: ClientOutlook) -> VoteChoice:
    if not outlook.known:
        return VoteChoice("abstain", f"SPO knows nothing of client {client_id}", Decimal(0))
    confidence = Decimal(1) if outlook.churn_probability is not None else Decimal("0.5")
    churn = (
        "churn risk unknown"
        if outlook.churn_probability is None
        else f"churn risk {(outlook.churn_probability * 100).quantize(PLACES)} %"
    )
    if outlook.churn_probability is not None and outlook.churn_probability >= HIGH_CHURN:
        return VoteChoice(
            "reject", f"client {client_id}: {churn}: a price rise would push it out", confidence
        )
    if outlook.open_deals:
        return VoteChoice(
            "reject",
            f"client {client_id}: {outlook.open_deals} open deal(s) worth {outlook.open_monthly} a month; "
            f"{churn}: close them before repricing",
            confidence,
        )
    return VoteChoice("approve", f"client {client_id}: {churn}, no open deal: reprice", confidence)
