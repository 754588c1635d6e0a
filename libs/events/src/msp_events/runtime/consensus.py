"""The consensus protocol's plumbing, shared by every agent: the proposer's side and the voter's.

A service keeps its *judgement* in its own ``domain/`` (how it votes, when it proposes); what is the
same everywhere lives here, so six services do not each re-implement it:

* **Proposer**: ``propose`` publishes ``decision.proposed`` once per ``decision_id`` (derived from
  the cause, so a replay proposes nothing new) and keeps it in the runtime's ``consensus_proposal``
  table; ``on_vote`` records every ballot (duplicates, late ones and replacements too) in
  ``consensus_ballot`` and closes the decision when the shared tally (``msp_events.consensus``)
  says so; ``close_due`` does the same for deadlines, called from the service's ``clock.ticked``
  handler. ``decision.reached`` is published once, derived from the proposal's envelope and dated
  ``decided_at``, so whichever event closes the decision, its id and bytes are the same.
* **Voter**: ``on_proposed`` ignores a proposal that does not name this service, else asks the
  service's vote function (which reads its own store) and publishes ``decision.vote.cast`` dated
  the service's "now", with the ids of the events its vote rests on: those the vote function
  names, then those of the proposal's evidence this service consumed itself (its inbox).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session

from msp_events.consensus import CastBallot, VoteChoice, tally
from msp_events.envelope import Envelope
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.store import consensus_ballot, consensus_proposal, inbox
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.consensus import DecisionProposed, DecisionReached, DecisionVoteCast

__all__ = [
    "Consensus",
    "DecisionState",
    "VoteChoice",
    "ballots_of",
    "consumed",
    "consumed_about",
    "decisions",
    "latest_by_subject",
]


VoteFunction = Callable[[UnitOfWork, DecisionProposed], VoteChoice]
"""Reads the voter's own store (inside the unit of work) and decides, through its pure domain."""

DecidedHook = Callable[[UnitOfWork, DecisionReached], None]
"""What the proposer does once a decision is reached (act on ``approved``, mark a case ...)."""


@dataclass(frozen=True)
class DecisionState:
    """A proposer's view of one of its decisions, for its API."""

    proposal: DecisionProposed
    reached: DecisionReached | None
    ballots: list[CastBallot] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.reached.outcome if self.reached is not None else "open"


@dataclass
class Consensus:
    """One service's part in the protocol: ``vote`` makes it a voter, ``proposes`` a proposer."""

    service: str
    vote: VoteFunction | None = None
    proposes: bool = False
    on_decided: DecidedHook | None = None

    def wire(self, router: HandlerRouter) -> None:
        """Add the protocol's handlers to the service's router (``app.py``/``handlers.py`` call it)."""
        if self.vote is not None:
            router.handles(DecisionProposed)(self.on_proposed)
        if self.proposes:
            router.handles(DecisionVoteCast)(self.on_vote)

    # -- proposer ---------------------------------------------------------------------------------
    def propose(self, uow: UnitOfWork, proposal: DecisionProposed) -> bool:
        """Publish ``proposal`` unless this decision was proposed before; True if published now."""
        if proposal.proposer != self.service:
            raise ValueError(f"{self.service} cannot propose on behalf of {proposal.proposer}")
        known = uow.session.execute(
            select(consensus_proposal.c.decision_id).where(
                consensus_proposal.c.decision_id == proposal.decision_id
            )
        ).first()
        if known is not None:
            return False
        envelope = uow.emit(proposal)
        uow.session.execute(
            consensus_proposal.insert().values(
                decision_id=proposal.decision_id,
                payload=proposal.model_dump_json(),
                event_source=envelope.source,
                event_id=envelope.id,
                correlation_id=envelope.correlationid or envelope.id,
                expires_at=proposal.expires_at,
            )
        )
        return True

    def on_vote(self, uow: UnitOfWork, event: Envelope[DecisionVoteCast]) -> None:
        """Record a ballot for one of this service's decisions, then close it if the tally can."""
        d = event.data
        row = uow.session.execute(
            select(consensus_proposal.c.outcome).where(consensus_proposal.c.decision_id == d.decision_id)
        ).first()
        if row is None:
            return  # another agent's decision: its proposer counts it
        exists = uow.session.execute(
            select(consensus_ballot.c.event_id).where(
                consensus_ballot.c.decision_id == d.decision_id, consensus_ballot.c.event_id == event.id
            )
        ).first()
        if exists is None:
            uow.session.execute(
                consensus_ballot.insert().values(
                    decision_id=d.decision_id,
                    event_id=event.id,
                    voter=d.voter,
                    vote=d.vote,
                    reason=d.reason,
                    confidence=None if d.confidence is None else str(d.confidence),
                    evidence=json.dumps(d.evidence_event_ids),
                    cast_at=d.cast_at,
                )
            )
        if row.outcome is None:  # decided once: a later ballot is recorded and changes nothing
            self._close(uow, d.decision_id)

    def close_due(self, uow: UnitOfWork) -> None:
        """Close every open decision whose deadline the service clock has passed (on a tick)."""
        due = uow.session.execute(
            select(consensus_proposal.c.decision_id)
            .where(consensus_proposal.c.outcome.is_(None), consensus_proposal.c.expires_at <= uow.now)
            .order_by(consensus_proposal.c.expires_at, consensus_proposal.c.decision_id)
        ).all()
        for (decision_id,) in due:
            self._close(uow, decision_id)

    def _close(self, uow: UnitOfWork, decision_id: str) -> None:
        row = uow.session.execute(
            select(consensus_proposal).where(consensus_proposal.c.decision_id == decision_id)
        ).one()
        proposal = DecisionProposed.model_validate_json(row.payload)
        reached = tally(proposal, ballots_of(uow.session, decision_id), uow.now)
        if reached is None:
            return
        uow.emit_effect_of(
            reached,
            source=row.event_source,
            id=row.event_id,
            correlationid=row.correlation_id,
            time=reached.decided_at,
        )
        uow.session.execute(
            consensus_proposal.update()
            .where(consensus_proposal.c.decision_id == decision_id)
            .values(outcome=reached.outcome, decided_at=reached.decided_at, result=reached.model_dump_json())
        )
        if self.on_decided is not None:
            self.on_decided(uow, reached)

    # -- voter ------------------------------------------------------------------------------------
    def on_proposed(self, uow: UnitOfWork, event: Envelope[DecisionProposed]) -> None:
        """Vote on a proposal that names this service (from its own store), else ignore it."""
        proposal = event.data
        if self.vote is None or self.service not in proposal.required_voters:
            return
        choice = self.vote(uow, proposal)
        # the proposal's evidence this voter read too (its inbox holds it), after its own
        evidence = list(
            dict.fromkeys([*choice.evidence_event_ids, *consumed(uow.session, proposal.evidence_event_ids)])
        )
        cast_at = uow.now
        uow.emit(
            DecisionVoteCast(
                decision_id=proposal.decision_id,
                voter=self.service,
                vote=choice.vote,
                reason=choice.reason,
                cast_at=cast_at,
                confidence=choice.confidence,
                evidence_event_ids=evidence,
            ),
            time=cast_at,
        )


def ballots_of(session: Session, decision_id: str) -> list[CastBallot]:
    """Every ballot received for a decision (counted or not), in cast order."""
    rows = session.execute(
        select(consensus_ballot)
        .where(consensus_ballot.c.decision_id == decision_id)
        .order_by(consensus_ballot.c.cast_at, consensus_ballot.c.event_id)
    ).all()
    return [
        CastBallot(
            cast_at=r.cast_at,
            event_id=r.event_id,
            voter=r.voter,
            vote=r.vote,
            reason=r.reason,
            confidence=None if r.confidence is None else Decimal(r.confidence),
        )
        for r in rows
    ]


def decisions(session: Session, *, subject: str | None = None) -> list[DecisionState]:
    """The decisions this service proposed (optionally about one subject), oldest deadline first."""
    query = select(consensus_proposal).order_by(
        consensus_proposal.c.expires_at, consensus_proposal.c.decision_id
    )
    out = []
    for row in session.execute(query).all():
        proposal = DecisionProposed.model_validate_json(row.payload)
        if subject is not None and proposal.subject != subject:
            continue
        reached = None if row.result is None else DecisionReached.model_validate_json(row.result)
        out.append(DecisionState(proposal, reached, ballots_of(session, row.decision_id)))
    return out


def consumed(session: Session, event_ids: list[str]) -> list[str]:
    """Those of ``event_ids`` this service has handled (its inbox holds them), in the given order:
    a voter cites as evidence only events it really read."""
    if not event_ids:
        return []
    seen = {r[0] for r in session.execute(select(inbox.c.event_id).where(inbox.c.event_id.in_(event_ids)))}
    return [i for i in event_ids if i in seen]


def latest_by_subject(session: Session, action: str) -> dict[str, DecisionState]:
    """Per subject (``client/C-1``, ``contract/VC-1``), this service's latest decision on
    ``action`` (the latest deadline wins): what an API shows next to the entity."""
    return {d.proposal.subject: d for d in decisions(session) if d.proposal.action == action}


def consumed_about(session: Session, type_name: str, subjects: list[str], *, latest: int = 1) -> list[str]:
    """Ids of the ``latest`` events of ``type_name`` this service consumed about each of
    ``subjects`` (``subscription/S-1``, ``client/C-1``), newest first per subject, subjects in
    the given order: the evidence a vote cites for the facts it read from its own store."""
    out: list[str] = []
    for subject in subjects:
        rows = session.execute(
            select(inbox.c.event_id)
            .where(inbox.c.type == type_name, inbox.c.subject == subject)
            .order_by(inbox.c.event_time.desc(), inbox.c.event_id)
            .limit(latest)
        ).all()
        out.extend(r[0] for r in rows)
    return out
