"""The consensus plumbing (``msp_events.runtime.consensus``) with minimal agents, in process.

"cpi" proposes ``flag_problem_client`` for every client it sees (unanimous, "dsa" and "sli",
one day to vote); "dsa" always approves and "sli" (when running) rejects, each citing the client
record it read. Counted by hand: with both voting the decision is rejected at the later vote; with "sli"
absent it stays open until the tick past the deadline, then expires with "sli" missing (approval
would have carried it), dated at the deadline, whatever event closed it.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from msp_events import Envelope
from msp_events.codec.kafka import decode
from msp_events.consensus import VoteChoice
from msp_events.envelope import derived_event_id
from msp_events.runtime.consensus import Consensus, consumed_about, decisions
from msp_events.runtime.embedded import EmbeddedSystem
from msp_events.runtime.inprocess import InProcessBus
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.service import Service
from msp_events.runtime.settings import ServiceSettings
from msp_events.runtime.uow import OwnershipError, UnitOfWork
from msp_events.types.consensus import DecisionProposed
from msp_events.types.platform import ClockTicked
from msp_events.types.psa import ClientUpserted

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def proposer(tmp: Path, bus: InProcessBus) -> Service:
    consensus = Consensus("cpi", proposes=True)
    router = HandlerRouter()

    @router.handles(ClientUpserted)
    def on_client(uow: UnitOfWork, event: Envelope[ClientUpserted]) -> None:
        consensus.propose(
            uow,
            DecisionProposed(
                decision_id=f"flag/{event.data.client_id}",
                proposer="cpi",
                action="flag_problem_client",
                subject=f"client/{event.data.client_id}",
                rationale="test",
                evidence_event_ids=[event.id],
                required_voters=["dsa", "sli"],
                proposed_at=uow.now,
                expires_at=uow.now + timedelta(days=1),
            ),
        )

    @router.handles(ClockTicked)
    def on_tick(uow: UnitOfWork, event: Envelope[ClockTicked]) -> None:
        consensus.close_due(uow)

    consensus.wire(router)
    return _service("cpi", router, tmp, bus)


def voter(name: str, vote: Any, tmp: Path, bus: InProcessBus) -> Service:
    def judge(uow: UnitOfWork, proposal: DecisionProposed) -> VoteChoice:
        cited = consumed_about(uow.session, "psa.client.upserted", [proposal.subject])
        return VoteChoice(vote, f"{name} says {vote}", Decimal("0.5"), tuple(cited))

    router = HandlerRouter()

    @router.handles(ClientUpserted)
    def read(uow: UnitOfWork, event: Envelope[ClientUpserted]) -> None:
        """The voter reads client records (its inbox keeps them), so it can cite them."""

    Consensus(name, vote=judge).wire(router)
    return _service(name, router, tmp, bus)


def _service(name: str, router: HandlerRouter, tmp: Path, bus: InProcessBus) -> Service:
    settings = ServiceSettings(
        service_name=name, MSP_TRANSPORT="inprocess", DATABASE_URL=f"sqlite:///{tmp}/{name}.db"
    )
    return Service(settings=settings, router=router, transport=bus, migrations=Path(tempfile.mkdtemp()))


def client(time: datetime) -> Envelope[ClientUpserted]:
    data = ClientUpserted(client_id="C-1", name="Contoso", status="active", created_on=date(2020, 1, 1))
    return Envelope.build(data, source="test.psa", time=time)


def tick(time: datetime) -> Envelope[ClockTicked]:
    return Envelope.build(ClockTicked(now=time), source="platform.clock", time=time)


def published(bus: InProcessBus, topic: str) -> list[Envelope[Any]]:
    return [decode(r.value, r.headers) for r in bus.records(topic)]


async def test_both_voters_decide_at_once_and_cite_what_they_consumed(tmp_path: Path) -> None:
    bus = InProcessBus()
    services = [
        proposer(tmp_path, bus),
        voter("dsa", "approve", tmp_path, bus),
        voter("sli", "reject", tmp_path, bus),
    ]
    async with EmbeddedSystem(bus, services) as system:
        fact = client(T0)
        await system.publish([fact])
        await system.settle()
        [proposal] = published(bus, "decision.proposed.v2")
        votes = {e.data.voter: e.data for e in published(bus, "decision.vote.cast")}
        # each voter read the client record too: it cites it (from its inbox) and the proposal's copy once
        assert votes["dsa"].evidence_event_ids == [fact.id] and votes["sli"].evidence_event_ids == [fact.id]
        [reached] = published(bus, "decision.reached.v2")
        assert (reached.data.outcome, reached.data.approvals, reached.data.rejections) == ("rejected", 1, 1)
        assert reached.data.decided_at == T0 and reached.time == T0
        assert reached.id == derived_event_id(proposal.source, proposal.id, "cpi", 0)
        assert reached.causationid == proposal.id


async def test_a_missing_voter_delays_the_decision_until_the_deadline_tick(tmp_path: Path) -> None:
    bus = InProcessBus()
    cpi = proposer(tmp_path, bus)
    async with EmbeddedSystem(bus, [cpi, voter("dsa", "approve", tmp_path, bus)]) as system:
        await system.publish([client(T0)])
        await system.settle()
        await system.publish([tick(T0 + timedelta(hours=23))])
        await system.settle()
        assert published(bus, "decision.reached.v2") == []  # sli missing, deadline ahead: open
        await system.publish([tick(T0 + timedelta(days=2))])
        await system.settle()
        [reached] = published(bus, "decision.reached.v2")
        r = reached.data
        assert (r.outcome, r.missing_voters, r.abstentions) == ("expired", ["sli"], 1)
        assert r.decided_at == reached.time == T0 + timedelta(days=1)
        with Session(cpi.engine) as session:
            [state] = decisions(session)
        assert state.status == "expired" and [b.voter for b in state.ballots] == ["dsa"]


def test_an_agent_publishes_only_its_own_or_the_agents_types() -> None:
    cause = client(T0)
    with Session() as session:
        uow = UnitOfWork(session, cause, "cpi")
        with pytest.raises(OwnershipError):
            uow.emit_effect_of(
                client(T0).data,
                source=cause.source,
                id=cause.id,
                correlationid=cause.id,
                time=T0,
            )
