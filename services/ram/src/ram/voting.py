"""RAM's votes in the consensus protocol: reads its own store, decides through ``domain/voting``."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

from sqlmodel import col, select

from msp_events.consensus import VoteChoice
from msp_events.runtime.consensus import Consensus, consumed_about
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.consensus import DecisionProposed

from ram.domain.voting import ClientWorkload, vote_on_repricing
from ram.store.tables import Recommendation, TimeEntry


def vote(uow: UnitOfWork, proposal: DecisionProposed) -> VoteChoice:
    client_id = proposal.parameters.get("client_id")
    if proposal.action != "raise_client_price" or client_id is None:
        return VoteChoice("abstain", f"RAM has no view on {proposal.action}", Decimal(0))
    session = uow.session
    this_month = uow.now.date().replace(day=1)
    start = _months_back(this_month, 3)
    entries = session.exec(
        select(TimeEntry).where(
            TimeEntry.client_id == client_id,
            TimeEntry.client_work == True,  # noqa: E712
            TimeEntry.work_date >= start,
            TimeEntry.work_date < this_month,
        )
    ).all()
    latest = session.exec(
        select(Recommendation)
        .where(Recommendation.client_id == client_id)
        .order_by(col(Recommendation.period).desc(), col(Recommendation.recommendation_id))
        .limit(1)
    ).first()
    saving = None if latest is None else json.loads(latest.body)["monthly_saving"]
    work = ClientWorkload(
        hours=sum((e.hours for e in entries), Decimal(0)),
        hours_billed=sum((e.hours_billed for e in entries), Decimal(0)),
        months_with_work=len({e.work_date.replace(day=1) for e in entries}),
        saving=None if saving is None else Decimal(saving["amount"]),
        currency=None if saving is None else saving["currency"],
    )
    # the margin reports RAM read about the client (the last three)
    evidence = consumed_about(session, "client.profitability.changed", [f"client/{client_id}"], latest=3)
    return replace(vote_on_repricing(client_id, work), evidence_event_ids=tuple(evidence))


def _months_back(month: date, k: int) -> date:
    index = month.year * 12 + month.month - 1 - k
    return date(index // 12, index % 12 + 1, 1)


CONSENSUS = Consensus("ram", vote=vote)
