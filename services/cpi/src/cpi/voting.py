"""CPI's votes in the consensus protocol: reads its own store, decides through ``domain/voting``."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import col, select

from msp_events.consensus import VoteChoice
from msp_events.runtime.consensus import Consensus
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.consensus import DecisionProposed

from cpi.domain.voting import (
    STREAK,
    JudgedMonth,
    critical_streak_starts,
    repricing_proposal,
    vote_on_renewal,
)
from cpi.store.tables import MarginJudgement


def judged_months(uow: UnitOfWork, client_id: str, limit: int) -> list[JudgedMonth]:
    """The client's judged months, latest first."""
    rows = uow.session.exec(
        select(MarginJudgement)
        .where(MarginJudgement.client_id == client_id)
        .order_by(col(MarginJudgement.month).desc())
        .limit(limit)
    ).all()
    return [JudgedMonth(r.month, r.band, r.margin_pct) for r in rows]


def vote(uow: UnitOfWork, proposal: DecisionProposed) -> VoteChoice:
    if proposal.action != "renew_vendor_contract":
        return VoteChoice("abstain", f"CPI has no view on {proposal.action}", Decimal(0))
    client_id = proposal.parameters.get("client_id")
    months = [] if client_id is None else judged_months(uow, client_id, 3)
    return vote_on_renewal(client_id, months)


CONSENSUS = Consensus("cpi", vote=vote, proposes=True)


def propose_repricing(uow: UnitOfWork, closed: str, target_pct: Decimal | None) -> None:
    """After ``closed`` is judged: propose raising the price of each client whose critical streak
    it completes (once per streak: the decision id derives from client and month)."""
    clients = uow.session.exec(
        select(MarginJudgement.client_id)
        .where(MarginJudgement.month == closed, MarginJudgement.band == "critical")
        .order_by(col(MarginJudgement.client_id))
    ).all()
    for client_id in clients:
        months = judged_months(uow, client_id, STREAK + 1)
        if critical_streak_starts(months, closed):
            CONSENSUS.propose(uow, repricing_proposal(client_id, months, closed, uow.now, target_pct))
