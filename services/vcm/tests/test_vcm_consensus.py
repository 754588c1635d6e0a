"""VCM as proposer, alone, fed its renewal and the agents' votes: in process and on Kafka +
PostgreSQL, with the same outputs byte for byte.

The log (hand-counted): the Acme Backup MSA (36,000 USD a year, notice due 30 Nov 2026) and the 2
August tick: the first reminder, above the 10,000 threshold, so VCM proposes renewing to DSA (weight
2), SLI and CPI (1 each), deadline 9 August. DSA votes reject on 3 August and changes to approve on
5 August (before the close: the later vote replaces it); SLI rejects on 4 August, and the broker
delivers its vote twice (same id: the inbox drops it). CPI says nothing. The 10 August tick passes
the deadline: DSA approves (2 of 4), SLI rejects, CPI missing counts as abstaining: 2 * 2 = 4 is
not more than 4, so not approved, but CPI approving would have carried it (2 * 3 > 4), so the
outcome is *expired*, decided at the deadline. CPI's vote of 12 August comes late: recorded,
changes nothing. The 2 August tick replayed (a clock retry) proposes nothing again.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session

from msp_events import Envelope, eventlog
from msp_events.agent_names import ServiceName
from msp_events.runtime.consensus import ballots_of
from msp_events.testing.replay import ReplayResult, replay
from msp_events.types.consensus import DecisionVoteCast, Vote

from vcm.app import create_service
from vcm.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from vcm_facts import arrived, document, tick

DECISION = "renewal/VC-f4fe5d33b881/2026-11-30"


def day(d: int) -> datetime:
    return datetime(2026, 8, d, tzinfo=UTC)


def vote(voter: ServiceName, choice: Vote, on: int) -> Envelope[DecisionVoteCast]:
    data = DecisionVoteCast(
        decision_id=DECISION,
        voter=voter,
        vote=choice,
        reason=f"{voter}: {choice}",
        cast_at=day(on),
        confidence=Decimal("0.8"),
    )
    return Envelope.build(data, source=f"msp.{voter}", time=day(on))


def log() -> list[Envelope[Any]]:
    sli = vote("sli", "reject", 4)
    return [
        arrived(document(received_at=datetime(2026, 1, 5, 9, tzinfo=UTC))),
        tick(day(2)),
        vote("dsa", "reject", 3),
        sli,
        sli,
        vote("dsa", "approve", 5),
        tick(day(10)),
        vote("cpi", "approve", 12),
        tick(day(2)),
    ]


def check(result: ReplayResult, url: str) -> None:
    assert result.dead_letters == []
    [proposed] = [e for e in result.outputs if e.type == "decision.proposed"]
    assert (proposed.data.decision_id, proposed.data.expires_at) == (DECISION, day(9))
    [reached] = [e for e in result.outputs if e.type == "decision.reached"]
    r = reached.data
    assert (r.outcome, r.approvals, r.rejections, r.abstentions) == ("expired", 1, 1, 1)
    assert [(b.voter, b.vote, b.cast_at) for b in r.ballots] == [
        ("dsa", "approve", day(5)),
        ("sli", "reject", day(4)),
    ]
    assert (r.missing_voters, r.decided_at, reached.time) == (["cpi"], day(9), day(9))
    assert reached.causationid == proposed.id
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            recorded = [(b.voter, b.vote, b.cast_at) for b in ballots_of(session, DECISION)]
    finally:
        engine.dispose()
    assert recorded == [
        ("dsa", "reject", day(3)),
        ("sli", "reject", day(4)),
        ("dsa", "approve", day(5)),
        ("cpi", "approve", day(12)),  # late: recorded, not counted
    ]


async def test_votes_replace_duplicates_drop_the_deadline_expires_and_a_late_vote_is_kept(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/vcm.db"
    result = await replay(create_service, Settings(MSP_TRANSPORT="inprocess"), log(), database_url=url)
    check(result, url)


@pytest.mark.integration
async def test_the_same_decision_on_kafka_and_postgresql(
    tmp_path: Path, kafka_bootstrap: str, postgres_url: str
) -> None:
    sqlite = f"sqlite:///{tmp_path}/vcm.db"
    in_process = await replay(create_service, Settings(MSP_TRANSPORT="inprocess"), log(), database_url=sqlite)
    on_kafka = await replay(
        create_service,
        Settings(MSP_TRANSPORT="kafka"),
        log(),
        transport="kafka",
        database_url=postgres_url,
        kafka_bootstrap=kafka_bootstrap,
        timeout_s=120,
    )
    check(on_kafka, postgres_url)
    assert [eventlog.dumps(e) for e in on_kafka.outputs] == [eventlog.dumps(e) for e in in_process.outputs]
