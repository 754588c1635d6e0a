"""Churn use cases, called by CPI's handlers inside the unit of work of one event.

The ``record_*`` functions keep the facts the churn features need, each with the time it became
known; ``on_clock`` retrains on schedule and rescores every client at month ends. None of them
reads the wall clock: ``at`` / ``now`` come from the event or ``uow.now``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from msp_events.runtime.merged_rows import merge_row
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.billing import InvoiceIssued, PaymentReceived
from msp_events.types.psa import AgreementUpserted, ClientUpserted, TicketUpdated

from cpi.churn.tables import (
    ChurnAgreementVersion,
    ChurnClient,
    ChurnInvoice,
    ChurnPayment,
    ChurnTicket,
)

CHURN_TICKETS = "cpi.churn_tickets"
"""The batch's held ticket changes (``msp_events.runtime.merged_rows``): ticket states are the
busiest fact CPI reads, and each changes one row; ``on_clock`` writes them before it scores."""
_TICKET_KEY = ("ticket_id",)


def record_ticket(uow: UnitOfWork, ticket: TicketUpdated, at: datetime) -> None:
    """Keep when the ticket opened and when its SLA breach and CSAT rating were first known."""
    known = ticket.updated_at or at
    merge_row(
        uow,
        CHURN_TICKETS,
        ChurnTicket.__table__,  # type: ignore[arg-type]
        _TICKET_KEY,
        (ticket.ticket_id,),
        lambda row: merge_ticket(row, ticket, known),
    )


def merge_ticket(row: dict[str, Any] | None, ticket: TicketUpdated, known: datetime) -> dict[str, Any]:
    """One version of a ticket merged into what is kept of it (the same result in any order but
    ties, which message order decides, as it did row by row)."""
    if row is None:
        row = {
            "ticket_id": ticket.ticket_id,
            "client_id": ticket.client_id,
            "opened_at": ticket.opened_at,
            "breached_at": None,
            "csat_rating": None,
            "csat_at": None,
            "updated_at": known,
        }
    if ticket.sla_breached and (row["breached_at"] is None or known < row["breached_at"]):
        row["breached_at"] = known
    if ticket.csat_rating is not None and (row["csat_at"] is None or known >= row["csat_at"]):
        # the latest rating wins; it counts from the first version that carried any rating
        row["csat_at"] = known if row["csat_at"] is None else row["csat_at"]
        row["csat_rating"] = ticket.csat_rating
    if known >= row["updated_at"]:
        row["client_id"], row["opened_at"], row["updated_at"] = ticket.client_id, ticket.opened_at, known
    return row


def record_invoice_due(uow: UnitOfWork, invoice: InvoiceIssued, at: datetime) -> None:
    """Keep the invoice's due date and total (a re-sent invoice replaces them)."""
    row = uow.session.get(ChurnInvoice, invoice.invoice_id) or ChurnInvoice(
        invoice_id=invoice.invoice_id,
        client_id=invoice.client_id,
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        total=invoice.total.amount,
    )
    row.client_id, row.invoice_date = invoice.client_id, invoice.invoice_date
    row.due_date, row.total = invoice.due_date, invoice.total.amount
    uow.session.add(row)


def record_payment(uow: UnitOfWork, payment: PaymentReceived, at: datetime) -> None:
    """Keep the payment; days late are worked out against the invoice's due date when scoring."""
    row = uow.session.get(ChurnPayment, payment.payment_id) or ChurnPayment(
        payment_id=payment.payment_id,
        invoice_id=payment.invoice_id,
        client_id=payment.client_id,
        received_on=payment.received_on,
        amount=payment.amount.amount,
    )
    row.invoice_id, row.client_id = payment.invoice_id, payment.client_id
    row.received_on, row.amount = payment.received_on, payment.amount.amount
    uow.session.add(row)


def record_client_status(uow: UnitOfWork, client: ClientUpserted, at: datetime) -> None:
    """Keep the client's tenure start and churn date (latest version wins, digest breaks ties)."""
    as_of, digest = client.updated_at or at, client.digest()
    row = uow.session.get(ChurnClient, client.client_id)
    if row is not None and (as_of, digest) <= (row.as_of, row.digest):
        return
    row = row or ChurnClient(
        client_id=client.client_id,
        status=client.status,
        created_on=client.created_on,
        as_of=as_of,
        digest=digest,
    )
    row.status, row.created_on, row.churned_on = client.status, client.created_on, client.churned_on
    row.employee_count, row.as_of, row.digest = client.employee_count, as_of, digest
    uow.session.add(row)


def record_agreement_term(uow: UnitOfWork, agreement: AgreementUpserted, at: datetime) -> None:
    """Keep every version of the agreement's term with the time it became known (no overwrite)."""
    known, digest = agreement.updated_at or at, agreement.digest()
    if uow.session.get(ChurnAgreementVersion, (agreement.agreement_id, known, digest)) is not None:
        return
    uow.session.add(
        ChurnAgreementVersion(
            agreement_id=agreement.agreement_id,
            known_at=known,
            digest=digest,
            client_id=agreement.client_id,
            agreement_type=agreement.agreement_type,
            start_date=agreement.start_date,
            end_date=agreement.end_date,
            auto_renew=agreement.auto_renew,
            cancelled=agreement.cancelled,
            cancelled_date=agreement.cancelled_date,
        )
    )


def on_clock(uow: UnitOfWork, now: datetime) -> None:
    """At the first tick of a month: retrain when due, rescore every client, publish band changes."""
    from cpi.churn.scoring import refresh  # the model code (scikit-learn) loads on the first tick

    uow.batch.flush(uow.session, CHURN_TICKETS)  # scoring reads the tickets
    refresh(uow, now)
