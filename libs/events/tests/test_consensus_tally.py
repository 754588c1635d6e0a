"""The consensus tally, counted by hand: unanimous, majority and weighted rules, replacement of a
vote, duplicates, late votes, expiry with missing voters, and order independence."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from msp_events.agent_names import ServiceName
from msp_events.consensus import CastBallot, closes_at, tally
from msp_events.types.consensus import DecisionProposed, Rule, Vote

T0 = datetime(2026, 3, 1, tzinfo=UTC)
EXPIRES = T0 + timedelta(days=7)


def proposal(rule: Rule = "unanimous", weights: dict[ServiceName, Decimal] | None = None) -> DecisionProposed:
    return DecisionProposed(
        decision_id="D-1",
        proposer="vcm",
        action="renew_vendor_contract",
        subject="contract/K-1",
        rationale="renewal above the threshold",
        required_voters=["dsa", "sli", "cpi"],
        rule=rule,
        weights=weights or {},
        proposed_at=T0,
        expires_at=EXPIRES,
    )


def ballot(voter: ServiceName, vote: Vote, day: float, eid: str = "") -> CastBallot:
    return CastBallot(
        cast_at=T0 + timedelta(days=day),
        event_id=eid or f"{voter}-{day}",
        voter=voter,
        vote=vote,
        reason=f"{voter} says {vote}",
        confidence=Decimal("0.8"),
    )


def test_unanimous_needs_every_voter_and_closes_with_the_last_first_vote() -> None:
    p = proposal()
    votes = [ballot("dsa", "approve", 1), ballot("sli", "approve", 2), ballot("cpi", "approve", 3)]
    assert tally(p, votes[:2], T0 + timedelta(days=3)) is None  # cpi missing, deadline ahead
    reached = tally(p, votes, T0 + timedelta(days=3))
    assert reached is not None
    assert (reached.outcome, reached.approvals, reached.rejections, reached.abstentions) == (
        "approved",
        3,
        0,
        0,
    )
    assert reached.decided_at == T0 + timedelta(days=3)
    assert [b.voter for b in reached.ballots] == ["dsa", "sli", "cpi"]  # the proposal's order


def test_unanimous_one_abstention_rejects_when_all_have_voted() -> None:
    votes = [ballot("dsa", "approve", 1), ballot("sli", "abstain", 2), ballot("cpi", "approve", 3)]
    reached = tally(proposal(), votes, T0 + timedelta(days=3))
    assert reached is not None and reached.outcome == "rejected"
    assert (reached.approvals, reached.rejections, reached.abstentions) == (2, 0, 1)


def test_majority_is_more_than_half_of_the_required_voters() -> None:
    # 2 of 3 approve: 2 * 2 = 4 > 3
    two = [ballot("dsa", "approve", 1), ballot("sli", "reject", 2), ballot("cpi", "approve", 3)]
    reached = tally(proposal("majority"), two, EXPIRES)
    assert reached is not None and reached.outcome == "approved"
    # 1 of 3 approves, 1 abstains, 1 rejects: 2 * 1 = 2 <= 3
    one = [ballot("dsa", "approve", 1), ballot("sli", "reject", 2), ballot("cpi", "abstain", 3)]
    reached = tally(proposal("majority"), one, EXPIRES)
    assert reached is not None and reached.outcome == "rejected"


def test_weighted_counts_the_approvers_weights_against_half_the_total() -> None:
    weights: dict[ServiceName, Decimal] = {"dsa": Decimal(3), "sli": Decimal(1), "cpi": Decimal(1)}
    # dsa alone: 3 of 5, 2 * 3 = 6 > 5 -> approved although two of three reject
    votes = [ballot("dsa", "approve", 1), ballot("sli", "reject", 1), ballot("cpi", "reject", 2)]
    reached = tally(proposal("weighted", weights), votes, T0 + timedelta(days=2))
    assert reached is not None and reached.outcome == "approved"
    assert (reached.approvals, reached.rejections) == (1, 2)
    # sli + cpi: 2 of 5 -> rejected
    votes = [ballot("dsa", "reject", 1), ballot("sli", "approve", 1), ballot("cpi", "approve", 2)]
    reached = tally(proposal("weighted", weights), votes, T0 + timedelta(days=2))
    assert reached is not None and reached.outcome == "rejected"


def test_a_weighted_proposal_must_weigh_every_required_voter() -> None:
    with pytest.raises(ValueError, match="weight for each required voter"):
        proposal("weighted", {"dsa": Decimal(1)})
    with pytest.raises(ValueError, match="only meaningful under the weighted rule"):
        proposal("majority", {"dsa": Decimal(1), "sli": Decimal(1), "cpi": Decimal(1)})


def test_a_later_vote_before_the_close_replaces_the_earlier_one() -> None:
    votes = [
        ballot("dsa", "reject", 1),
        ballot("dsa", "approve", 1.5),  # dsa changes its mind before cpi votes
        ballot("sli", "approve", 2),
        ballot("cpi", "approve", 3),
    ]
    reached = tally(proposal(), votes, T0 + timedelta(days=3))
    assert reached is not None and reached.outcome == "approved"
    assert [b.vote for b in reached.ballots] == ["approve", "approve", "approve"]


def test_a_vote_after_the_close_or_after_the_deadline_changes_nothing() -> None:
    base = [ballot("dsa", "approve", 1), ballot("sli", "approve", 2), ballot("cpi", "approve", 3)]
    before = tally(proposal(), base, T0 + timedelta(days=3))
    after_close = tally(proposal(), [*base, ballot("sli", "reject", 4)], T0 + timedelta(days=4))
    assert before == after_close
    # a missing voter's vote after expires_at: not counted, the decision expires without it
    late = [ballot("dsa", "approve", 1), ballot("sli", "approve", 2), ballot("cpi", "approve", 8)]
    reached = tally(proposal(), late, T0 + timedelta(days=8))
    assert reached is not None
    assert (reached.outcome, reached.missing_voters, reached.decided_at) == ("expired", ["cpi"], EXPIRES)


def test_the_same_ballot_twice_is_one_ballot() -> None:
    votes = [ballot("dsa", "approve", 1), ballot("sli", "approve", 2), ballot("cpi", "reject", 3)]
    assert tally(proposal(), votes, EXPIRES) == tally(proposal(), [*votes, *votes], EXPIRES)


def test_at_the_deadline_missing_voters_abstain_and_decide_expired_or_rejected() -> None:
    p = proposal("majority")
    assert tally(p, [ballot("dsa", "approve", 1)], EXPIRES - timedelta(seconds=1)) is None
    # 1 approve + 2 missing: approving would have carried it -> expired
    reached = tally(p, [ballot("dsa", "approve", 1)], EXPIRES)
    assert reached is not None
    assert (reached.outcome, reached.abstentions, reached.missing_voters) == ("expired", 2, ["sli", "cpi"])
    # 2 rejects + 1 missing: nothing could carry it -> rejected
    reached = tally(p, [ballot("dsa", "reject", 1), ballot("sli", "reject", 2)], EXPIRES + timedelta(days=1))
    assert reached is not None and reached.outcome == "rejected" and reached.decided_at == EXPIRES
    # 2 approves + 1 missing: a majority already -> approved at the deadline
    reached = tally(p, [ballot("dsa", "approve", 1), ballot("sli", "approve", 2)], EXPIRES)
    assert reached is not None and reached.outcome == "approved" and reached.decided_at == EXPIRES


def test_the_outcome_does_not_depend_on_the_order_of_the_ballots() -> None:
    votes = [
        ballot("dsa", "reject", 1),
        ballot("sli", "approve", 2),
        ballot("dsa", "approve", 2.5),
        ballot("cpi", "approve", 3),
        ballot("sli", "reject", 5),  # after the close
        ballot("spo", "approve", 1),  # not a required voter
    ]
    results = {
        tally(proposal(), list(order), EXPIRES).model_dump_json() for order in itertools.permutations(votes)
    }  # type: ignore[union-attr]
    assert len(results) == 1
    assert closes_at(proposal(), votes) == T0 + timedelta(days=3)
