"""The cross-agent rules as expectations on a run's events: one function per rule.

Each takes the whole event list of a run (facts and derived events) and returns the chains it found,
failing with a message when a rule output does not lead back to its trigger. A new rule (the
consensus chains, rule 4) is one more function in ``RULES``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from msp_events.envelope import Envelope

from msp_replay.trace import trace

Events = list[Envelope[Any]]


@dataclass(frozen=True)
class Chain:
    trigger: Envelope[Any]
    output: Envelope[Any]


def _index(events: Events) -> dict[str, Envelope[Any]]:
    return {e.id: e for e in events}


def caused_by(events: Events, output_type: str, trigger_type: str) -> list[Chain]:
    """Every ``output_type`` event with its direct cause, which must be a ``trigger_type`` event in
    the log, in the same correlation (the same original fact), reachable by ``msp_replay.trace``."""
    by_id = _index(events)
    chains = []
    for output in (e for e in events if e.type == output_type):
        assert output.causationid, f"{output_type} {output.id} has no causationid"
        trigger = by_id.get(output.causationid)
        assert trigger is not None, (
            f"{output_type} {output.id}: its cause {output.causationid} is not in the log"
        )
        assert trigger.type == trigger_type, f"{output_type} {output.id} was caused by a {trigger.type}"
        assert output.correlationid == trigger.correlationid, f"{output.id}: correlation broken"
        path = trace(events, output.id)
        assert path.missing_cause is None, f"{output.id}: the chain's root cause is missing"
        assert path.root.envelope.id == output.correlationid, f"{output.id}: correlationid is not the root"
        assert not path.root.envelope.causationid, f"{output.id}: the chain does not start at a fact"
        chains.append(Chain(trigger, output))
    return chains


def rule1_margin_drop_replans(events: Events) -> list[Chain]:
    """CPI's margin drop → RAM's re-plan with a monthly saving, for the same client."""
    chains = caused_by(events, "resource.allocation.recommended", "client.profitability.changed")
    for c in chains:
        assert c.trigger.data.direction == "down"
        assert c.output.data.client_id == c.trigger.data.client_id
        assert c.output.data.monthly_saving.amount > 0, f"{c.output.id}: no monthly saving"
        assert c.output.data.moves, f"{c.output.id}: a recommendation without moves"
    return chains


def rule2_opportunity_compliance(events: Events) -> list[Chain]:
    """SPO's licence opportunity → SLI's compliance answer → SPO's proposal carries it (or no_answer)."""
    chains = caused_by(events, "license.compliance.checked", "sales.opportunity.identified")
    for c in chains:
        assert c.output.data.suggestion_id == c.trigger.data.suggestion_id
    answers = {c.output.data.suggestion_id: c.output for c in chains}
    for proposal in (e for e in events if e.type == "sales.proposal.generated"):
        answer = answers.get(proposal.data.suggestion_id)
        if proposal.data.licence_check in ("ok", "issues"):
            assert answer is not None, f"{proposal.id} claims an SLI answer that was never sent"
            assert proposal.data.licence_check == answer.data.status, f"{proposal.id} misreports SLI's answer"
        elif answer is not None:  # SLI answered but the proposal did not use it: only as a timeout
            assert proposal.data.licence_check == "no_answer", f"{proposal.id} ignores SLI's answer"
    return chains


def rule3_renewal_spend(events: Events) -> list[Chain]:
    """VCM's renewal notice → DSA's 12-month spend analysis of that contract, one per notice."""
    chains = caused_by(events, "spend.vendor.analyzed", "contract.renewal.due")
    for c in chains:
        assert c.output.data.contract_id == c.trigger.data.contract_id
    notices = [e.id for e in events if e.type == "contract.renewal.due"]
    assert sorted(c.trigger.id for c in chains) == sorted(notices), "a renewal notice without one analysis"
    return chains


def rule4_consensus(events: Events) -> list[Chain]:
    """A proposal → a vote from each required voter that answered → one ``decision.reached``,
    caused by the proposal, whose ballots are the voters' votes and whose missing voters are the
    others. Returns one chain per decision (proposal → outcome)."""
    votes = caused_by(events, "decision.vote.cast", "decision.proposed")
    reached = caused_by(events, "decision.reached", "decision.proposed")
    outcomes = Counter(c.output.data.decision_id for c in reached)
    assert [d for d, n in outcomes.items() if n > 1] == [], "a decision was published twice"
    voted: dict[str, set[str]] = {}
    for c in votes:
        assert c.output.data.decision_id == c.trigger.data.decision_id
        assert c.output.data.voter in c.trigger.data.required_voters, f"{c.output.id}: an unasked voter"
        voted.setdefault(c.output.data.decision_id, set()).add(c.output.data.voter)
    for c in reached:
        proposal, outcome = c.trigger.data, c.output.data
        assert outcome.decision_id == proposal.decision_id and outcome.proposer == proposal.proposer
        counted = {b.voter for b in outcome.ballots}
        assert counted <= voted.get(proposal.decision_id, set()), f"{c.output.id}: a ballot nobody cast"
        assert set(outcome.missing_voters) == set(proposal.required_voters) - counted
    return reached


RULES: dict[str, Callable[[Events], list[Chain]]] = {
    "rule 1: margin drop -> re-plan": rule1_margin_drop_replans,
    "rule 2: opportunity -> compliance check": rule2_opportunity_compliance,
    "rule 3: renewal -> spend analysis": rule3_renewal_spend,
    "rule 4: proposal -> votes -> one decision": rule4_consensus,
}
