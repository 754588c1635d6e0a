"""Proposals as a use case: drafted when a suggestion opens; one for licensed products first asks
SLI (SLI answers every ``sales.opportunity.identified`` naming a SKU or of a licence kind with
``license.compliance.checked``) and waits for the answer until ``wait_until`` in event time (the
service clock), then goes out with the answer or with ``no_answer``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from sqlmodel import Session, select

from msp_events.money import Money
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import LicenseComplianceChecked, ProposalLine, SalesProposalGenerated

from spo.domain.proposals import lines_for, totals
from spo.store.tables import LicenceCheck, Proposal, Suggestion

PROPOSAL_NAMESPACE = uuid.UUID("0f3c2a71-5d8e-4b6a-9c1f-7e2d4a6b8c90")
LICENCE_KINDS = frozenset({"licence_true_up", "seat_reduction"})


@dataclass(frozen=True)
class ProposalConfig:
    tax_pct: Decimal = Decimal(0)
    licence_wait_days: int = 2


@cache
def template() -> dict[str, Any]:
    text = resources.files("spo").joinpath("templates/proposal.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


def proposal_id(suggestion_id: str) -> str:
    return str(uuid.uuid5(PROPOSAL_NAMESPACE, suggestion_id))


def needs_licence_check(s: Suggestion) -> bool:
    return s.kind in LICENCE_KINDS or s.sku_id is not None


def request(uow: UnitOfWork, s: Suggestion, config: ProposalConfig) -> None:
    """Draft now, or wait for SLI's answer when licensed products are involved."""
    session = uow.session
    pid = proposal_id(s.suggestion_id)
    if session.get(Proposal, pid) is not None:
        return
    row = Proposal(proposal_id=pid, suggestion_id=s.suggestion_id, client_id=s.client_id, status="pending")
    if needs_licence_check(s) and session.get(LicenceCheck, s.suggestion_id) is None:
        row.wait_until = uow.now.date() + timedelta(days=config.licence_wait_days)
        session.add(row)
        return
    session.add(row)
    _generate(uow, row, s, config)


def on_checked(uow: UnitOfWork, c: LicenseComplianceChecked, config: ProposalConfig) -> None:
    session = uow.session
    check = session.get(LicenceCheck, c.suggestion_id) or LicenceCheck(
        suggestion_id=c.suggestion_id, status=c.status, summary=c.summary
    )
    check.status, check.summary = c.status, c.summary
    session.add(check)
    row = session.exec(select(Proposal).where(Proposal.suggestion_id == c.suggestion_id)).first()
    suggestion = session.get(Suggestion, c.suggestion_id)
    if row is not None and row.status == "pending" and suggestion is not None:
        _generate(uow, row, suggestion, config)


def on_tick(uow: UnitOfWork, config: ProposalConfig) -> None:
    """Pending proposals whose wait is over go out without SLI's answer."""
    session = uow.session
    today = uow.now.date()
    for row in session.exec(
        select(Proposal).where(Proposal.status == "pending").order_by(Proposal.proposal_id)
    ):
        suggestion = session.get(Suggestion, row.suggestion_id)
        if suggestion is not None and row.wait_until is not None and today > row.wait_until:
            _generate(uow, row, suggestion, config)


def _generate(uow: UnitOfWork, row: Proposal, s: Suggestion, config: ProposalConfig) -> None:
    check = uow.session.get(LicenceCheck, s.suggestion_id)
    if not needs_licence_check(s):
        answer, answer_summary = "not_needed", None
    elif check is None:
        answer, answer_summary = (
            "no_answer",
            f"SLI had not answered by {row.wait_until}; check before sending.",
        )
    else:
        answer, answer_summary = check.status, check.summary
    monthly = s.estimated_recurring_monthly or Decimal(0)
    seats = s.seats
    lines = lines_for(template(), s.kind, s.title, monthly, seats)
    t = totals(lines, config.tax_pct)
    cur = s.currency
    data = SalesProposalGenerated(
        proposal_id=row.proposal_id,
        suggestion_id=s.suggestion_id,
        client_id=s.client_id,
        kind=s.kind,
        title=s.title,
        lines=[
            ProposalLine(
                description=x.description,
                billing="recurring_monthly" if x.recurring else "one_time",
                quantity=x.quantity,
                unit_price=Money(amount=x.unit_price, currency=cur),
                discount_pct=x.discount_pct,
                total=Money(amount=x.total, currency=cur),
            )
            for x in lines
        ],
        recurring_monthly_total=Money(amount=t.recurring_monthly, currency=cur),
        one_time_total=Money(amount=t.one_time, currency=cur),
        tax_pct=config.tax_pct,
        recurring_monthly_tax=Money(amount=t.recurring_tax, currency=cur),
        one_time_tax=Money(amount=t.one_time_tax, currency=cur),
        licence_check=answer,  # type: ignore[arg-type]
        licence_check_summary=answer_summary,
        act_by=s.act_by,
        summary=s.summary,
    )
    row.status, row.payload, row.generated_at = "generated", data.model_dump_json(), uow.now
    uow.session.add(row)
    uow.emit(data)


def load(session: Session, pid: str) -> SalesProposalGenerated | None:
    found = load_dated(session, pid)
    return None if found is None else found[0]


def load_dated(session: Session, pid: str) -> tuple[SalesProposalGenerated, datetime] | None:
    """The generated proposal and when SPO generated it (its PDF's creation date)."""
    row = session.get(Proposal, pid)
    if row is None or row.payload is None:
        return None
    generated = row.generated_at or datetime(1970, 1, 1, tzinfo=UTC)  # generated before spo_0007
    return SalesProposalGenerated.model_validate_json(row.payload), generated
