"""SLI's votes in the consensus protocol: reads its own store, decides through ``domain/voting``."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from sqlmodel import select

from msp_events.consensus import VoteChoice
from msp_events.runtime.consensus import Consensus, consumed_about
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.consensus import DecisionProposed

from sli.domain.voting import ClientLicences, SeatsOfVendor, vote_on_renewal, vote_on_repricing
from sli.store.tables import Finding, Subscription


def vote(uow: UnitOfWork, proposal: DecisionProposed) -> VoteChoice:
    if proposal.action == "raise_client_price" and "client_id" in proposal.parameters:
        return _on_repricing(uow, proposal.parameters["client_id"])
    if proposal.action != "renew_vendor_contract":
        return VoteChoice("abstain", f"SLI has no view on {proposal.action}", Decimal(0))
    vendor = proposal.parameters.get("vendor", "")
    rows = uow.session.exec(select(Subscription).where(Subscription.status == "active")).all()
    mine = [r for r in rows if r.vendor.casefold() == vendor.casefold()]
    choice = vote_on_renewal(
        vendor or "the vendor's", [SeatsOfVendor(r.quantity, r.consumed_units) for r in mine]
    )
    return replace(choice, evidence_event_ids=_subscription_events(uow, mine))


def _subscription_events(uow: UnitOfWork, rows: list[Subscription]) -> tuple[str, ...]:
    """The latest ``licensing.subscription.upserted`` SLI read for each subscription it weighed."""
    subjects = [f"subscription/{r.subscription_id}" for r in sorted(rows, key=lambda r: r.subscription_id)]
    return tuple(consumed_about(uow.session, "licensing.subscription.upserted", subjects))


CONSENSUS = Consensus("sli", vote=vote)


def _on_repricing(uow: UnitOfWork, client_id: str) -> VoteChoice:
    subscriptions = uow.session.exec(
        select(Subscription).where(Subscription.client_id == client_id, Subscription.status == "active")
    ).all()
    findings = uow.session.exec(
        select(Finding).where(Finding.client_id == client_id, Finding.status == "open")
    ).all()
    unbilled = [f for f in findings if f.finding_class in ("unbilled", "under_billed")]
    currencies = sorted({f.currency for f in unbilled if f.currency})
    licences = ClientLicences(
        subscriptions=len(subscriptions),
        unbilled_seats=sum(f.seats for f in unbilled),
        unbilled_monthly=sum((f.monthly_amount or Decimal(0) for f in unbilled), Decimal(0)),
        unused_seats=sum(f.seats for f in findings if f.finding_class == "unused"),
        currency=currencies[0] if currencies else None,
    )
    return replace(
        vote_on_repricing(client_id, licences),
        evidence_event_ids=_subscription_events(uow, list(subscriptions)),
    )
