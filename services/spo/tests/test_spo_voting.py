"""SPO's vote on repricing a client, by hand."""

from __future__ import annotations

from decimal import Decimal

from spo.domain.voting import ClientOutlook, vote_on_repricing


def test_high_churn_risk_rejects() -> None:
    choice = vote_on_repricing("C-1", ClientOutlook(Decimal("0.62"), 0, Decimal(0), True))
    assert (choice.vote, choice.confidence) == ("reject", Decimal(1))
    assert choice.reason == "client C-1: churn risk 62.00 %: a price rise would push it out"


def test_open_deals_reject_and_an_unknown_risk_halves_the_confidence() -> None:
    choice = vote_on_repricing("C-1", ClientOutlook(None, 2, Decimal(900), True))
    assert (choice.vote, choice.confidence) == ("reject", Decimal("0.5"))
    assert "2 open deal(s) worth 900 a month" in choice.reason


def test_low_risk_and_no_deal_approves_and_an_unknown_client_abstains() -> None:
    assert vote_on_repricing("C-1", ClientOutlook(Decimal("0.35"), 0, Decimal(0), True)).vote == "approve"
    assert vote_on_repricing("C-1", ClientOutlook(None, 0, Decimal(0), False)).vote == "abstain"
