"""SLI's votes, counted by hand: a vendor's seat use (renewal) and a client's unbilled seats (repricing)."""

from __future__ import annotations

from decimal import Decimal

from sli.domain.voting import ClientLicences, SeatsOfVendor, vote_on_renewal, vote_on_repricing


def test_renewal_is_approved_at_80_percent_of_seats_in_use() -> None:
    # 40 of 50 known seats used = 80 %; 10 more seats of unknown use: confidence 50 / 60
    choice = vote_on_renewal("Acme", [SeatsOfVendor(50, 40), SeatsOfVendor(10, None)])
    assert (choice.vote, choice.confidence) == ("approve", Decimal("0.83"))
    assert choice.reason == "40 of 50 Acme seats in use (80.00 %): renew"


def test_renewal_with_unused_seats_is_rejected_to_renegotiate() -> None:
    # 30 of 50 = 60 %; consumption above the quantity counts as the quantity
    choice = vote_on_renewal("Acme", [SeatsOfVendor(40, 20), SeatsOfVendor(10, 12)])
    assert (choice.vote, choice.confidence) == ("reject", Decimal("1.00"))
    assert choice.reason == "30 of 50 Acme seats in use (60.00 %): 20 unused, renegotiate the seat count"


def test_no_seats_or_unknown_use_abstains() -> None:
    assert vote_on_renewal("Acme", []).vote == "abstain"
    unknown = vote_on_renewal("Acme", [SeatsOfVendor(5, None)])
    assert (unknown.vote, unknown.confidence) == ("abstain", Decimal("0.00"))


def test_repricing_is_rejected_while_seats_go_unbilled() -> None:
    licences = ClientLicences(
        3, unbilled_seats=4, unbilled_monthly=Decimal(80), unused_seats=0, currency="USD"
    )
    choice = vote_on_repricing("C-1", licences)
    assert (choice.vote, choice.confidence) == ("reject", Decimal(1))
    assert (
        choice.reason
        == "client C-1: 4 seats used but not billed (80 USD a month): bill them before repricing"
    )


def test_repricing_is_approved_when_licences_are_billed_and_unused_seats_lower_confidence() -> None:
    licences = ClientLicences(2, unbilled_seats=0, unbilled_monthly=Decimal(0), unused_seats=3, currency=None)
    choice = vote_on_repricing("C-1", licences)
    assert (choice.vote, choice.confidence) == ("approve", Decimal("0.75"))
    assert vote_on_repricing("C-1", ClientLicences(0, 0, Decimal(0), 0, None)).vote == "abstain"
