"""Opportunities from delivery data as a use case: once a day, at the day's first tick, the five
rules run over what SPO knows and each suggestion is opened or closed with an event.

``sales.opportunity.identified`` (1.1) is published when a suggestion opens (status ``open``) and
when it closes (status ``closed``, ``closed_reason`` acted_on or expired), with the same
``suggestion_id``: consumers keep one record per suggestion.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from msp_events.money import Money
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import SalesOpportunityIdentified

from spo import proposing
from spo.domain.suggestions import KIND_WIN_RATE, Candidate, Open, Rules, candidates, reconcile
from spo.proposing import ProposalConfig
from spo.store import facts
from spo.store.tables import Run, Suggestion

JOB = "suggestions"


def due(session: Session, today: date) -> bool:
    """True (and remembered) the first time ``today`` is seen."""
    run = session.get(Run, JOB)
    if run is not None and run.day >= today:
        return False
    run = run or Run(job=JOB, day=today)
    run.day = today
    session.add(run)
    return True


def run_rules(uow: UnitOfWork, rules: Rules, proposals: ProposalConfig | None = None) -> None:
    today = uow.now.date()
    session = uow.session
    if not due(session, today):
        return
    found = candidates(facts.load(session), today, rules)
    rows = list(session.exec(select(Suggestion).where(Suggestion.status != "acted_on")))
    open_now = [
        Open(r.suggestion_id, r.client_id, r.kind, r.reason, r.act_by) for r in rows if r.status == "open"
    ]
    expired = {(r.client_id, r.kind, r.reason) for r in rows if r.status == "expired" and r.suppressed}
    changes = reconcile(found, open_now, expired, today)
    by_id = {r.suggestion_id: r for r in rows}
    for suggestion_id, reason in changes.closed:
        row = by_id[suggestion_id]
        row.status, row.closed_on, row.suppressed = reason, today, reason == "expired"
        session.add(row)
        uow.emit(_event(row, status="closed", closed_reason=reason))
    for key in changes.released:
        for r in rows:
            if (r.client_id, r.kind, r.reason) == key and r.status == "expired":
                r.suppressed = False
                session.add(r)
    for suggestion_id, c in changes.opened:
        row = _row(suggestion_id, c, today)
        session.add(row)
        uow.emit(_event(row, status="open", closed_reason=None))
        proposing.request(uow, row, proposals or ProposalConfig())


def _row(suggestion_id: str, c: Candidate, today: date) -> Suggestion:
    return Suggestion(
        suggestion_id=suggestion_id,
        client_id=c.client_id,
        kind=c.kind,
        reason=c.reason,
        status="open",
        suppressed=False,
        title=c.title,
        summary=c.summary,
        estimated_recurring_monthly=c.recurring_monthly,
        currency=c.currency,
        win_probability_pct=KIND_WIN_RATE[c.kind],
        agreement_id=c.agreement_id,
        sku_id=c.sku_id,
        seats=c.seats,
        opened_on=today,
        act_by=c.act_by,
    )


def _event(row: Suggestion, *, status: str, closed_reason: str | None) -> SalesOpportunityIdentified:
    mrr = row.estimated_recurring_monthly
    return SalesOpportunityIdentified(
        suggestion_id=row.suggestion_id,
        client_id=row.client_id,
        kind=row.kind,  # type: ignore[arg-type]
        title=row.title,
        estimated_recurring_monthly=None if mrr is None else Money(amount=mrr, currency=row.currency),
        win_probability_pct=row.win_probability_pct,
        agreement_id=row.agreement_id,
        sku_id=row.sku_id,
        act_by=row.act_by,
        summary=row.summary,
        status=status,  # type: ignore[arg-type]
        closed_reason=closed_reason,  # type: ignore[arg-type]
    )
