"""When a renewal needs the other agents' agreement, and what VCM asks them.

A renewal whose annual value reaches the desk's threshold (``CONSENSUS_THRESHOLD``, in the
contract's currency) is not VCM's alone to wave through: DSA knows the spend against budget, SLI
whether the vendor's seats are used, CPI whether the clients behind it pay for it. VCM proposes
``renew_vendor_contract`` to the three; DSA's analysis weighs double (weighted rule), because it
reads the very spend the contract commits. Pure: the facts come in, the proposal goes out.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from msp_events.money import Money
from msp_events.types.consensus import DecisionProposed

VOTERS = ("dsa", "sli", "cpi")
WEIGHTS = {"dsa": Decimal(2), "sli": Decimal(1), "cpi": Decimal(1)}


def needs_consensus(annual_value: Decimal | None, threshold: Decimal) -> bool:
    """Renewals at or above the threshold go to a vote; below it (or of unknown value) they do not."""
    return annual_value is not None and annual_value >= threshold


def renewal_decision_id(contract_id: str, notice_deadline: date) -> str:
    """One decision per contract term: derived from the facts, so a replay proposes the same one."""
    return f"renewal/{contract_id}/{notice_deadline.isoformat()}"


def renewal_proposal(
    *,
    contract_id: str,
    vendor: str,
    department: str | None,
    client_id: str | None,
    term_end: date,
    notice_deadline: date,
    annual_value: Money,
    now: datetime,
    vote_days: int,
    evidence_event_ids: list[str],
) -> DecisionProposed:
    """The proposal to renew; votes close ``vote_days`` after it, or at the notice deadline if sooner
    (a decision after the last day to give notice would be moot), but never before a day has passed."""
    deadline_at = datetime.combine(notice_deadline, datetime.min.time(), tzinfo=now.tzinfo)
    expires = min(now + timedelta(days=vote_days), deadline_at)
    expires = max(expires, now + timedelta(days=1))
    parameters = {
        "contract_id": contract_id,
        "vendor": vendor,
        "term_end": term_end.isoformat(),
        "notice_deadline": notice_deadline.isoformat(),
    }
    if department:
        parameters["department"] = department
    if client_id:
        parameters["client_id"] = client_id
    return DecisionProposed(
        decision_id=renewal_decision_id(contract_id, notice_deadline),
        proposer="vcm",
        action="renew_vendor_contract",
        subject=f"contract/{contract_id}",
        parameters=parameters,
        estimated_monthly_impact=Money(
            amount=(-annual_value.amount / 12).quantize(Decimal("0.01")), currency=annual_value.currency
        ),
        rationale=(
            f"{vendor}: renewing commits {annual_value.amount} {annual_value.currency} a year, at or above "
            f"the threshold for a joint decision; notice is due by {notice_deadline.isoformat()}."
        ),
        evidence_event_ids=evidence_event_ids,
        required_voters=list(VOTERS),
        rule="weighted",
        weights=dict(WEIGHTS),
        proposed_at=now,
        expires_at=expires,
    )
