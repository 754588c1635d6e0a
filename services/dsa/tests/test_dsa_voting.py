"""DSA's vote on a renewal, from its stored analysis, counted by hand."""

from __future__ import annotations

from decimal import Decimal

from dsa.domain.voting import RenewalView, vote_on_renewal


def view(recommendation: str, months: int = 12, budget: bool = True) -> RenewalView:
    return RenewalView("Acme", recommendation, Decimal(36000), Decimal(36000), "USD", months, budget)


def test_a_stable_renewal_is_approved_with_the_share_of_months_seen() -> None:
    choice = vote_on_renewal(view("renew", months=9), "Acme")
    assert (choice.vote, choice.confidence) == ("approve", Decimal("0.75"))  # 9 / 12
    assert choice.reason == "Acme: 36000 USD spent in 12 months against 36000 a year, stable: renew"


def test_without_a_budget_the_confidence_is_halved() -> None:
    assert vote_on_renewal(view("renew", budget=False), "Acme").confidence == Decimal("0.50")


def test_renegotiate_and_cancel_reject_renewing_as_it_stands() -> None:
    assert vote_on_renewal(view("renegotiate"), "Acme").vote == "reject"
    cancel = vote_on_renewal(view("cancel", months=6), "Acme")
    assert (cancel.vote, cancel.confidence) == ("reject", Decimal("0.50"))
    assert "no spend in the last 3 months" in cancel.reason


def test_no_analysis_or_no_spend_at_all_abstains() -> None:
    assert vote_on_renewal(None, "Acme").vote == "abstain"
    nothing = vote_on_renewal(view("cancel", months=0), "Acme")
    assert (nothing.vote, nothing.confidence) == ("abstain", Decimal(0))
