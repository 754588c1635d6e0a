"""The client side of a vendor contract: the PSA agreement it backs (``psa.agreement.upserted``).

A vendor commitment that runs past the client agreement it pays for is a cost with no revenue
behind it, so the renewal warns (``outlives_client_agreement``). Which agreement a contract backs:
the one set on it (``PATCH client_agreement_id``), else its client's only agreement not cancelled
(with several the link is ambiguous and must be set); the agreement ends on its cancellation
date when cancelled, else its end date (none: evergreen, never outlived). With no PSA agreement
linked, the date a person set (``client_agreement_end``) is used. The latest state per agreement
is kept by (event time, digest), so any delivery order agrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from msp_events.runtime.uow import UnitOfWork
from msp_events.types.psa import AgreementUpserted

from vcm.store.tables import ClientAgreement, ContractRow


def record_agreement(uow: UnitOfWork, a: AgreementUpserted) -> None:
    at, digest = uow.cause.time, a.digest()
    row = uow.session.get(ClientAgreement, a.agreement_id)
    if row is not None and (at, digest) <= (row.reported_at, row.digest):
        return
    if row is None:
        row = ClientAgreement(agreement_id=a.agreement_id, client_id=a.client_id, reported_at=at, digest="")
    row.client_id, row.end_date = a.client_id, a.end_date
    row.cancelled, row.cancelled_date = a.cancelled, a.cancelled_date
    row.reported_at, row.digest = at, digest
    uow.session.add(row)


@dataclass(frozen=True)
class BackedAgreement:
    """The client agreement a contract backs and its last day (None: no end)."""

    agreement_id: str | None
    end: date | None


def backed_agreement(session: Session, row: ContractRow) -> BackedAgreement | None:
    """See the module docstring; None when nothing links the contract to a client agreement."""
    linked: ClientAgreement | None = None
    if row.client_agreement_id is not None:
        linked = session.get(ClientAgreement, row.client_agreement_id)
    elif row.client_id is not None:
        query = select(ClientAgreement).where(ClientAgreement.client_id == row.client_id)
        live = [a for a in session.exec(query) if not a.cancelled]
        linked = live[0] if len(live) == 1 else None
    if linked is not None:
        end = linked.cancelled_date if linked.cancelled and linked.cancelled_date else linked.end_date
        return BackedAgreement(linked.agreement_id, end)
    if row.client_agreement_end is not None:
        return BackedAgreement(row.client_agreement_id, row.client_agreement_end)
    return None
