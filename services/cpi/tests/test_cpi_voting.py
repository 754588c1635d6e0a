"""CPI's vote on a renewal and its repricing proposal, by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from cpi.domain.voting import JudgedMonth, critical_streak_starts, repricing_proposal, vote_on_renewal

NOW = datetime(2026, 5, 7, tzinfo=UTC)


def months(*bands: str) -> list[JudgedMonth]:
    """Judged months ending 2026-04, latest first (bands given oldest first)."""
    out = [JudgedMonth(f"2026-{4 - i:02d}", band, Decimal(10)) for i, band in enumerate(reversed(bands))]
    return out


def test_renewal_vote_follows_the_served_clients_band() -> None:
    assert vote_on_renewal("C-1", months("healthy", "healthy", "strong")).vote == "approve"
    thin = vote_on_renewal("C-1", months("healthy", "thin"))
    assert (thin.vote, thin.confidence) == ("approve", Decimal("0.33"))  # 2 of 3 months, halved
    critical = vote_on_renewal("C-1", months("thin", "critical", "critical"))
    assert (critical.vote, critical.confidence) == ("reject", Decimal(1))
    assert critical.reason.startswith("client C-1 margin 10 % in 2026-04 (critical)")


def test_renewal_without_a_client_or_history_abstains_with_the_reason() -> None:
    assert vote_on_renewal(None, []).reason == "the contract serves no client: CPI knows no margin behind it"
    assert vote_on_renewal("C-1", []).vote == "abstain"


def test_a_streak_is_proposed_once_when_its_third_month_closes() -> None:
    assert critical_streak_starts(months("healthy", "critical", "critical", "critical"), "2026-04")
    assert critical_streak_starts(months("critical", "critical", "critical"), "2026-04")  # no earlier month
    assert not critical_streak_starts(months("critical", "critical", "critical", "critical"), "2026-04")
    assert not critical_streak_starts(months("critical", "thin", "critical"), "2026-04")
    assert not critical_streak_starts(months("critical", "critical"), "2026-04")


def test_the_repricing_proposal_derives_from_the_facts() -> None:
    p = repricing_proposal(
        "C-1", months("healthy", "critical", "critical", "critical"), "2026-04", NOW, Decimal(60)
    )
    assert p.decision_id == "reprice/C-1/2026-04" and p.subject == "client/C-1"
    assert p.parameters == {
        "client_id": "C-1",
        "months": "2026-02,2026-03,2026-04",
        "target_margin_pct": "60",
    }
    assert (p.rule, p.required_voters, p.expires_at) == (
        "majority",
        ["spo", "ram", "sli"],
        NOW + timedelta(days=7),
    )
