"""DSA's votes in the consensus protocol: reads its own store, decides through ``domain/voting``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import select

from msp_events.consensus import VoteChoice
from msp_events.runtime.consensus import Consensus
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.consensus import DecisionProposed

from dsa.domain.voting import RenewalView, vote_on_renewal
from dsa.store.repository import BudgetRepository
from dsa.store.tables import RenewalAdviceRow, SpendLineRow


def vote(uow: UnitOfWork, proposal: DecisionProposed) -> VoteChoice:
    if proposal.action != "renew_vendor_contract":
        return VoteChoice("abstain", f"DSA has no view on {proposal.action}", Decimal(0))
    p = proposal.parameters
    vendor = p.get("vendor", "the vendor")
    row = uow.session.get(RenewalAdviceRow, (p.get("contract_id", ""), date.fromisoformat(p["term_end"])))
    return vote_on_renewal(None if row is None else _view(uow, row), vendor)


def _view(uow: UnitOfWork, row: RenewalAdviceRow) -> RenewalView:
    """The analysis as stored, with how many of the 12 months before it saw spend with the vendor."""
    end = row.analysed_at.date().replace(day=1)
    start = date(end.year - 1, end.month, 1)
    query = select(SpendLineRow).where(SpendLineRow.day >= start, SpendLineRow.day < end)
    if row.department:
        query = query.where(SpendLineRow.department == row.department)
    vendor = row.vendor.casefold()
    months = {r.day.replace(day=1) for r in uow.session.exec(query) if r.vendor.casefold() == vendor}
    budgets = BudgetRepository(uow.session).list(department=row.department, limit=1) if row.department else []
    return RenewalView(
        vendor=row.vendor,
        recommendation=row.recommendation,
        spend_12m=row.spend_12m,
        annual_value=row.annual_value,
        currency=row.currency,
        months_with_spend=len(months),
        budget_known=bool(budgets),
    )


CONSENSUS = Consensus("dsa", vote=vote)
