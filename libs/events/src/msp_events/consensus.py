"""The consensus tally: given a proposal, the ballots received and "now", is the decision still
open, or approved / rejected / expired?

Pure and shared, so every proposer counts the same way and a replay counts the same again. The
outcome is a function of the *set* of ballots, never of the order they arrived in:

* Only required voters count, and only ballots cast no later than ``expires_at``; a ballot cast
  after it is recorded by the proposer but never counted.
* The decision closes at the first instant every required voter has voted (the latest of the
  voters' first ballots, ``closes_at``), or at ``expires_at`` if someone is still missing once the
  clock has passed it. Each voter's ballot is its latest one cast by then: a later vote by the same
  voter before the close replaces its earlier one, one cast after the close changes nothing, and
  the same ballot twice is one ballot.
* Missing voters count as abstaining. The outcome is ``approved`` when the rule holds, ``expired``
  when it does not but the missing votes could still have carried it, else ``rejected``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from msp_events.agent_names import ServiceName
from msp_events.types.consensus import Ballot, DecisionProposed, DecisionReached, Rule, Vote


@dataclass(frozen=True)
class VoteChoice:
    """What a voter's judgement returns: the vote, why, how sure (0..1), and the events it rests on."""

    vote: Vote
    reason: str
    confidence: Decimal
    evidence_event_ids: tuple[str, ...] = ()


@dataclass(frozen=True, order=True)
class CastBallot:
    """One received vote, as the proposer stored it (``event_id`` only breaks exact ties)."""

    cast_at: datetime
    event_id: str
    voter: ServiceName
    vote: Vote
    reason: str
    confidence: Decimal | None = None


def rule_holds(
    rule: Rule,
    required: Sequence[ServiceName],
    weights: Mapping[ServiceName, Decimal],
    approvers: Set[ServiceName],
) -> bool:
    """Whether ``approvers`` (a subset of ``required``) carry the decision under ``rule``."""
    if rule == "unanimous":
        return approvers >= set(required)
    if rule == "majority":
        return 2 * len(approvers & set(required)) > len(required)
    total = sum((weights[v] for v in required), Decimal(0))
    approved = sum((weights[v] for v in required if v in approvers), Decimal(0))
    return 2 * approved > total


def counted(proposal: DecisionProposed, ballots: Iterable[CastBallot]) -> list[CastBallot]:
    """The ballots that may count: from a required voter and cast no later than the deadline."""
    required = set(proposal.required_voters)
    return sorted(b for b in set(ballots) if b.voter in required and b.cast_at <= proposal.expires_at)


def closes_at(proposal: DecisionProposed, ballots: Iterable[CastBallot]) -> datetime | None:
    """When every required voter had voted (the latest of their first ballots), if they all have."""
    first: dict[str, datetime] = {}
    for b in counted(proposal, ballots):
        first.setdefault(b.voter, b.cast_at)
    if len(first) < len(proposal.required_voters):
        return None
    return max(first.values())


def tally(proposal: DecisionProposed, ballots: Iterable[CastBallot], now: datetime) -> DecisionReached | None:
    """The decision, or ``None`` while it is open (someone missing and ``now`` before the deadline)."""
    valid = counted(proposal, ballots)
    closed = closes_at(proposal, valid)
    if closed is None:
        if now < proposal.expires_at:
            return None
        closed = proposal.expires_at
    latest: dict[str, CastBallot] = {}
    for b in valid:  # sorted by cast time (then id): the last one by the close wins
        if b.cast_at <= closed:
            latest[b.voter] = b
    chosen = [latest[v] for v in proposal.required_voters if v in latest]
    missing = [v for v in proposal.required_voters if v not in latest]
    approvers = {b.voter for b in chosen if b.vote == "approve"}
    weights = proposal.weights
    if rule_holds(proposal.rule, proposal.required_voters, weights, approvers):
        outcome = "approved"
    elif missing and rule_holds(proposal.rule, proposal.required_voters, weights, approvers | set(missing)):
        outcome = "expired"
    else:
        outcome = "rejected"
    return DecisionReached(
        decision_id=proposal.decision_id,
        proposer=proposal.proposer,
        action=proposal.action,
        subject=proposal.subject,
        outcome=outcome,
        rule=proposal.rule,
        approvals=len(approvers),
        rejections=sum(1 for b in chosen if b.vote == "reject"),
        abstentions=sum(1 for b in chosen if b.vote == "abstain") + len(missing),
        ballots=[
            Ballot(
                voter=b.voter,
                vote=b.vote,
                reason=b.reason,
                confidence=b.confidence,
                cast_at=b.cast_at,
            )
            for b in chosen
        ],
        missing_voters=missing,
        decided_at=closed,
    )
