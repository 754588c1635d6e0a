"""When VCM asks for a vote on a renewal, and what it asks, by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from msp_events import Money
from msp_events.types.consensus import DecisionProposed

from vcm.domain.consensus import needs_consensus, renewal_proposal

NOW = datetime(2026, 8, 2, tzinfo=UTC)


def proposal(notice: date, vote_days: int = 7) -> DecisionProposed:
    return renewal_proposal(
        contract_id="VC-1",
        vendor="Acme",
        department=None,
        client_id="C-1",
        term_end=date(2027, 2, 28),
        notice_deadline=notice,
        annual_value=Money(amount=Decimal(36000), currency="USD"),
        now=NOW,
        vote_days=vote_days,
        evidence_event_ids=["E-1"],
    )


def test_the_threshold_is_inclusive_and_unknown_values_stay_with_people() -> None:
    assert needs_consensus(Decimal(10000), Decimal(10000))
    assert not needs_consensus(Decimal("9999.99"), Decimal(10000))
    assert not needs_consensus(None, Decimal(10000))


def test_the_proposal_is_weighted_and_closes_a_week_later_or_at_the_notice_deadline() -> None:
    p = proposal(date(2026, 11, 30))
    assert p.decision_id == "renewal/VC-1/2026-11-30" and p.action == "renew_vendor_contract"
    assert p.weights == {"dsa": 2, "sli": 1, "cpi": 1}
    assert p.expires_at == NOW + timedelta(days=7)
    assert p.estimated_monthly_impact.amount == Decimal("-3000.00")
    assert p.parameters["client_id"] == "C-1"
    # notice due in 4 days: the vote closes at the deadline, not a week later
    assert proposal(date(2026, 8, 6)).expires_at == datetime(2026, 8, 6, tzinfo=UTC)
    # notice due tomorrow or today: still a day to vote
    assert proposal(date(2026, 8, 2)).expires_at == NOW + timedelta(days=1)
