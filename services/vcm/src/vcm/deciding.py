"""VCM's part in the consensus protocol: it proposes renewals above the threshold and records the
outcome on the renewal case (the shared plumbing is ``msp_events.runtime.consensus``)."""

from __future__ import annotations

from datetime import date

from msp_events.runtime.consensus import Consensus
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import ContractRenewalDue
from msp_events.types.consensus import DecisionReached

from vcm.domain.consensus import renewal_proposal
from vcm.store.tables import RenewalCase


def record_outcome(uow: UnitOfWork, reached: DecisionReached) -> None:
    """Attach the agents' decision to the renewal case it was about (the API shows it)."""
    if reached.action != "renew_vendor_contract":
        return
    _, contract_id, deadline = reached.decision_id.split("/")
    case = uow.session.get(RenewalCase, (contract_id, date.fromisoformat(deadline)))
    if case is not None:
        case.decision = reached.outcome
        uow.session.add(case)


CONSENSUS = Consensus("vcm", proposes=True, on_decided=record_outcome)


def propose_renewal(uow: UnitOfWork, due: ContractRenewalDue, due_event_id: str, vote_days: int) -> None:
    """Ask DSA, SLI and CPI whether to renew (once per contract term)."""
    CONSENSUS.propose(
        uow,
        renewal_proposal(
            contract_id=due.contract_id,
            vendor=due.vendor,
            department=due.department,
            client_id=due.client_id,
            term_end=due.renewal_date,
            notice_deadline=due.notice_deadline,
            annual_value=due.annual_value,
            now=uow.now,
            vote_days=vote_days,
            evidence_event_ids=[due_event_id],
        ),
    )
