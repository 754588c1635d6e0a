"""Loading the churn history from CPI's tables and reading the latest scores."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from cpi.churn.tables import (
    ChurnAgreementVersion,
    ChurnClient,
    ChurnInvoice,
    ChurnModel,
    ChurnPayment,
    ChurnScore,
    ChurnTicket,
)
from cpi.domain.churn import AgreementFact, ClientFact, History, InvoiceFact, MarginFact, TicketFact


def load_history(session: Session) -> History:
    """Every churn fact CPI holds, in a stable order (primary keys)."""
    clients = [
        ClientFact(r.client_id, r.created_on, r.status, r.churned_on)
        for r in session.exec(select(ChurnClient).order_by(ChurnClient.client_id)).scalars()  # type: ignore[call-overload]
    ]
    tickets = [
        TicketFact(*row)
        for row in session.execute(
            select(
                ChurnTicket.client_id,
                ChurnTicket.opened_at,
                ChurnTicket.breached_at,
                ChurnTicket.csat_rating,
                ChurnTicket.csat_at,
            ).order_by(ChurnTicket.ticket_id)
        )
    ]
    payments: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for invoice_id, received_on, amount in session.execute(
        select(ChurnPayment.invoice_id, ChurnPayment.received_on, ChurnPayment.amount).order_by(
            ChurnPayment.payment_id
        )
    ):
        payments[invoice_id].append((received_on, amount))
    invoices = [
        InvoiceFact(iid, cid, due, total, tuple(payments.get(iid, ())))
        for iid, cid, due, total in session.execute(
            select(
                ChurnInvoice.invoice_id, ChurnInvoice.client_id, ChurnInvoice.due_date, ChurnInvoice.total
            ).order_by(ChurnInvoice.invoice_id)
        )
    ]
    agreements = [
        AgreementFact(
            agreement_id=r.agreement_id,
            client_id=r.client_id,
            known_at=r.known_at,
            start_date=r.start_date,
            end_date=r.end_date,
            auto_renew=r.auto_renew,
            cancelled=r.cancelled,
            cancelled_date=r.cancelled_date,
            digest=r.digest,
        )
        for r in session.execute(
            select(ChurnAgreementVersion).order_by(
                ChurnAgreementVersion.agreement_id,
                ChurnAgreementVersion.known_at,
                ChurnAgreementVersion.digest,
            )
        ).scalars()
    ]
    return History(clients, tickets, invoices, agreements, load_margins(session))


def load_margins(session: Session) -> list[MarginFact]:
    """Monthly gross margin per client from the ledger (``ledger`` table), when the ledger exists."""
    try:
        from cpi.store.tables import LedgerRow  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # pragma: no cover - before the ledger
        return []
    totals: dict[tuple[str, str], list[Decimal]] = {}
    for row in session.execute(select(LedgerRow).order_by(LedgerRow.client_id, LedgerRow.month)).scalars():
        revenue = (
            row.revenue_fee
            + row.revenue_labour
            + row.revenue_product
            + row.revenue_licence
            + row.revenue_other
        )
        cost = row.cost_labour + row.cost_addition + row.cost_licence + row.cost_product + row.cost_other
        acc = totals.setdefault((row.client_id, row.month), [Decimal(0), Decimal(0)])
        acc[0] += revenue
        acc[1] += cost
    out = []
    for (client_id, month), (revenue, cost) in sorted(totals.items()):
        if revenue > 0:
            year, mon = (int(x) for x in month.split("-"))
            out.append(MarginFact(client_id, date(year, mon, 1), (revenue - cost) / revenue * 100))
    return out


def current_model(session: Session) -> ChurnModel | None:
    return session.execute(
        select(ChurnModel).order_by(ChurnModel.trained_at.desc()).limit(1)
    ).scalar_one_or_none()  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ChurnRisk:
    client_id: str
    as_of: date
    probability: Decimal
    band: str
    method: str
    signals: list[dict[str, Any]]
    model_trained_at: datetime | None
    training_rows: int
    scored_at: datetime


def latest_scores(session: Session) -> dict[str, ChurnRisk]:
    """Each scored client's latest churn risk, by client id (for ``/clients?sort=churn_risk``)."""
    return {
        r.client_id: _risk(r)
        for r in session.execute(select(ChurnScore).order_by(ChurnScore.client_id)).scalars()
    }


def _risk(r: ChurnScore) -> ChurnRisk:
    return ChurnRisk(
        client_id=r.client_id,
        as_of=r.as_of,
        probability=r.probability,
        band=r.band,
        method=r.method,
        signals=json.loads(r.signals),
        model_trained_at=r.model_trained_at,
        training_rows=r.training_rows,
        scored_at=r.scored_at,
    )
