"""SPO's votes in the consensus protocol: reads its own store, decides through ``domain/voting``."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from sqlmodel import col, select

from msp_events.consensus import VoteChoice
from msp_events.runtime.consensus import Consensus, consumed_about
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.consensus import DecisionProposed

from spo import winning
from spo.domain.voting import ClientOutlook, vote_on_repricing
from spo.store.tables import ClientFact, ClientSignal, Opportunity


def vote(uow: UnitOfWork, proposal: DecisionProposed) -> VoteChoice:
    client_id = proposal.parameters.get("client_id")
    if proposal.action != "raise_client_price" or client_id is None:
        return VoteChoice("abstain", f"SPO has no view on {proposal.action}", Decimal(0))
    winning.flush_held(uow)  # the batch's held deal changes are the open deals this vote reads
    session = uow.session
    signal = session.get(ClientSignal, client_id)
    deals = session.exec(
        select(Opportunity)
        .where(Opportunity.client_id == client_id, Opportunity.status == "open")
        .order_by(col(Opportunity.opportunity_id))
    ).all()
    outlook = ClientOutlook(
        churn_probability=None if signal is None else signal.churn_probability,
        open_deals=len(deals),
        open_monthly=sum((d.recurring_monthly_amount or Decimal(0) for d in deals), Decimal(0)),
        known=signal is not None or bool(deals) or session.get(ClientFact, client_id) is not None,
    )
    evidence = [
        *consumed_about(session, "client.churn.risk.changed", [f"client/{client_id}"]),
        *consumed_about(
            session, "crm.opportunity.upserted", [f"opportunity/{d.opportunity_id}" for d in deals]
        ),
    ]
    return replace(vote_on_repricing(client_id, outlook), evidence_event_ids=tuple(evidence))


CONSENSUS = Consensus("spo", vote=vote)
