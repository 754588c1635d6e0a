"""The consensus protocol: an agent proposes an action that touches other agents' ground, the
agents it names vote, and the outcome is recorded once.

All three types share the key ``decision_id``, so (with equal partition counts) a decision's
events land on the same partition number of each topic; the outcome is decided from the votes,
never from arrival order across topics. The tally itself is ``msp_events.consensus``.

Version history: ``decision.proposed`` and ``decision.reached`` are at major 2 (new topics
``decision.proposed.v2`` / ``decision.reached.v2``) because they gained values in closed
enumerations (the ``weighted`` rule, the ``renew_vendor_contract`` action), which a consumer built
against 1.0 would refuse; nothing consumed 1.0. ``decision.vote.cast`` 1.1 adds ``confidence`` and
``evidence_event_ids``, both optional.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from msp_events.money import Money
from msp_events.registry import SERVICES, EventData, event
from msp_events.types.common import ServiceName

ActionKind = Literal[
    "reassign_client_work",
    "reduce_licence_seats",
    "bill_unbilled_seats",
    "open_true_up_quote",
    "raise_client_price",
    "flag_problem_client",
    "cancel_vendor_contract",
    "renegotiate_vendor_contract",
    "renew_vendor_contract",
    "freeze_department_spend",
    "hire_capacity",
    "other",
]
"""What a decision would do; ``other`` needs the parameters to say what."""

Vote = Literal["approve", "reject", "abstain"]

Rule = Literal["unanimous", "majority", "weighted"]
"""How the votes decide: all required voters approve / more than half of them approve / the
approvers' weights add up to more than half of the required voters' total weight."""

SUBJECT_PATTERN = r"^[a-z_]+/\S+$"


@event(
    "decision.proposed",
    owner="agents",
    key="decision_id",
    consumers=("cpi", "spo", "ram", "sli", "dsa"),
    planned=("vcm",),
    major=2,
)
class DecisionProposed(EventData):
    """An agent proposes an action that needs the agreement of other agents.

    Example: SLI wants to cut a client's seats, which lowers CPI's revenue and may undercut a
    quote SPO is working on, so it asks both. Each required voter answers with
    ``decision.vote.cast`` before ``expires_at``; the proposer publishes ``decision.reached``.
    """

    decision_id: str = Field(
        description="unique id of the decision (derived from its cause, so replay-stable)"
    )
    proposer: ServiceName = Field(description="agent proposing")
    action: ActionKind = Field(description="what would be done if approved")
    subject: str = Field(
        pattern=SUBJECT_PATTERN,
        description="entity acted on, CloudEvents-subject style, e.g. 'client/C-1001'",
    )
    parameters: dict[str, str] = Field(
        default_factory=dict, description="action details, e.g. {'sku_id': '...', 'seats': '5'}"
    )
    estimated_monthly_impact: Money | None = Field(
        default=None, description="effect on monthly gross profit if done (negative = cost)"
    )
    rationale: str = Field(description="why, in one or two sentences, for voters and people")
    evidence_event_ids: list[str] = Field(default_factory=list, description="ids of the events that led here")
    required_voters: list[ServiceName] = Field(min_length=1, description="agents whose vote is needed")
    rule: Rule = Field(
        default="unanimous",
        description=(
            "approved if all / more than half of required voters approve, or (weighted) if the "
            "approvers' weights exceed half of the required voters' total weight"
        ),
    )
    weights: dict[ServiceName, Decimal] = Field(
        default_factory=dict,
        description="weight of each required voter under the weighted rule (positive; every voter has one)",
    )
    proposed_at: AwareDatetime = Field(description="when it was proposed (clock time)")
    expires_at: AwareDatetime = Field(
        description="votes after this are ignored; missing votes count as abstain"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.expires_at <= self.proposed_at:
            raise ValueError("expires_at must be after proposed_at")
        if len(set(self.required_voters)) != len(self.required_voters):
            raise ValueError("required_voters has duplicates")
        if self.rule == "weighted":
            if set(self.weights) != set(self.required_voters):
                raise ValueError("a weighted rule needs a weight for each required voter, and no other")
            if any(w <= 0 for w in self.weights.values()):
                raise ValueError("weights must be positive")
        elif self.weights:
            raise ValueError(f"weights are only meaningful under the weighted rule, not {self.rule!r}")
        return self


@event(
    "decision.vote.cast",
    owner="agents",
    key="decision_id",
    consumers=("cpi", "vcm"),
    planned=("spo", "ram", "sli", "dsa"),  # any agent may propose: it then counts its votes
    minor=1,
)
class DecisionVoteCast(EventData):
    """An agent voted on a proposed decision (a later vote by the same voter replaces its earlier one)."""

    decision_id: str = Field(description="decision voted on")
    voter: ServiceName = Field(description="agent voting")
    vote: Vote = Field(description="approve, reject or abstain")
    reason: str = Field(description="why, in one sentence, e.g. 'seat cut undercuts open quote Q-77'")
    cast_at: AwareDatetime = Field(description="when the vote was cast (clock time)")
    confidence: Decimal | None = Field(
        default=None,
        ge=0,
        le=1,
        description="how sure the voter is, 0..1, from how much of its own data bears on the question",
    )
    evidence_event_ids: list[str] = Field(
        default_factory=list, description="ids of the events the voter consumed that its vote rests on"
    )


class Ballot(BaseModel):
    """One counted vote."""

    model_config = ConfigDict(frozen=True)

    voter: ServiceName = Field(description="agent")
    vote: Vote = Field(description="its vote")
    reason: str = Field(description="its reason")
    confidence: Decimal | None = Field(default=None, description="its confidence, 0..1")
    cast_at: AwareDatetime | None = Field(default=None, description="when it was cast")


@event("decision.reached", owner="agents", key="decision_id", consumers=(), planned=SERVICES, major=2)
class DecisionReached(EventData):
    """A proposed decision was approved, rejected, or expired without enough votes.

    The proposer acts only on ``approved``. The action and subject are repeated so an agent can
    act on (or audit) the outcome without having kept the proposal.
    """

    decision_id: str = Field(description="decision concluded")
    proposer: ServiceName = Field(description="agent that proposed it")
    action: ActionKind = Field(description="the proposed action")
    subject: str = Field(pattern=SUBJECT_PATTERN, description="entity acted on, e.g. 'client/C-1001'")
    outcome: Literal["approved", "rejected", "expired"] = Field(description="result")
    rule: Rule = Field(default="unanimous", description="the rule the votes were counted by")
    approvals: int = Field(ge=0, description="number of approve votes")
    rejections: int = Field(ge=0, description="number of reject votes")
    abstentions: int = Field(ge=0, description="number of abstain votes, including missing ones")
    ballots: list[Ballot] = Field(default_factory=list, description="every vote counted")
    missing_voters: list[ServiceName] = Field(
        default_factory=list, description="required voters who did not vote"
    )
    decided_at: AwareDatetime = Field(description="when the outcome was determined (clock time)")

    @model_validator(mode="after")
    def _tally(self) -> Self:
        counted = {
            "approve": self.approvals,
            "reject": self.rejections,
            "abstain": self.abstentions - len(self.missing_voters),
        }
        for vote, n in counted.items():
            if sum(1 for b in self.ballots if b.vote == vote) != n:
                raise ValueError(f"tally of {vote!r} does not match the ballots")
        return self
