"""How DSA votes on renewing a vendor contract: from its own rule-3 analysis of that renewal.

DSA analysed 12 months of spend with the vendor when ``contract.renewal.due`` arrived. ``renew``
(stable spend within the contract) approves; ``renegotiate`` (dearer, rising, over the contract
or anomalous) and ``cancel`` (unused) reject renewing as it stands. Its confidence grows with the
months of the window that saw spend (twelve: 1), and is halved when no budget bears on it. With no
analysis of this renewal, or no spend with the vendor in the whole window (DSA cannot tell an
unused service from one paid outside its books), it abstains. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from msp_events.consensus import VoteChoice

PLACES = Decimal("0.01")


@dataclass(frozen=True)
class RenewalView:
    """DSA's stored analysis of one renewal."""

    vendor: str
    recommendation: str
    spend_12m: Decimal
    annual_value: Decimal
    currency: str
    months_with_spend: int
    budget_known: bool


def vote_on_renewal(view: RenewalView | None, vendor: str) -> VoteChoice:
    if view is None:
        return VoteChoice("abstain", f"DSA has no spend analysis of the {vendor} renewal", Decimal(0))
    if view.months_with_spend == 0:
        return VoteChoice(
            "abstain", f"{view.vendor}: no spend with the vendor in DSA's books for 12 months", Decimal(0)
        )
    confidence = Decimal(view.months_with_spend) / 12
    if not view.budget_known:
        confidence /= 2
    confidence = confidence.quantize(PLACES)
    spend = f"{view.spend_12m} {view.currency} spent in 12 months against {view.annual_value} a year"
    if view.recommendation == "renew":
        return VoteChoice("approve", f"{view.vendor}: {spend}, stable: renew", confidence)
    if view.recommendation == "cancel":
        return VoteChoice(
            "reject", f"{view.vendor}: no spend in the last 3 months: cancel, not renew", confidence
        )
    return VoteChoice("reject", f"{view.vendor}: {spend}: renegotiate before renewing", confidence)
