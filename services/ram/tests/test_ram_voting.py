"""RAM's vote on repricing a client, by hand."""

from __future__ import annotations

from decimal import Decimal

from ram.domain.voting import ClientWorkload, vote_on_repricing


def test_an_allocation_saving_rejects_repricing() -> None:
    work = ClientWorkload(Decimal(60), Decimal(10), 3, Decimal("412.50"), "USD")
    choice = vote_on_repricing("C-1", work)
    assert (choice.vote, choice.confidence) == ("reject", Decimal("1.00"))
    assert choice.reason.endswith("moving its work saves 412.50 USD a month: re-allocate first")


def test_a_fifth_or_more_unbilled_approves() -> None:
    # 50 h worked, 40 billed: exactly 20 % unbilled; work in 2 of 3 months
    choice = vote_on_repricing("C-1", ClientWorkload(Decimal(50), Decimal(40), 2, None, None))
    assert (choice.vote, choice.confidence) == ("approve", Decimal("0.67"))
    assert "(20.00 % unbilled)" in choice.reason


def test_billed_work_or_no_work_abstains() -> None:
    assert vote_on_repricing("C-1", ClientWorkload(Decimal(50), Decimal(45), 3, None, None)).vote == "abstain"
    assert vote_on_repricing("C-1", ClientWorkload(Decimal(0), Decimal(0), 0, None, None)).vote == "abstain"
