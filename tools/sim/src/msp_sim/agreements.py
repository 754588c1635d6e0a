"""Client agreements over time: renewals, the yearly price escalator, notice and cancellation.

An agreement renews at its term end (auto-renewal, 12 months) and its fixed fee rises by a 3-7 %
escalator then (msp-benchmarks §2) — except on agreements planted with margin erosion, whose fee
is deliberately never repriced. A churning client gives notice (end date set, auto-renew off) and
the agreement is cancelled on the churn date.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from msp_events import Money
from msp_events.types.psa import Addition, AgreementUpserted

from msp_sim.problems import Plan
from msp_sim.rng import cents, stream
from msp_sim.timeline import add_months
from msp_sim.world import Client, Subscription


def renewal_dates(client: Client, start: date, end: date) -> list[date]:
    """First days of the renewal terms that begin inside [start, end]."""
    a = client.agreement
    if a.end_date is None or not a.auto_renew or not a.renewal_term_months:
        return []
    out = []
    term_end = a.end_date
    while term_end < end:
        if term_end + timedelta(days=1) >= start:
            out.append(term_end + timedelta(days=1))
        term_end = add_months(term_end, a.renewal_term_months)
    return out


def repriced(plan: Plan, client_id: str) -> bool:
    return client_id not in plan.scope_creep and client_id not in plan.cost_rises


def fee_on(seed: int, plan: Plan, client: Client, start: date, day: date) -> Decimal:
    """The fixed fee in force on ``day``: the base fee with each renewal's escalator applied."""
    fee = client.agreement.bill_amount
    if client.agreement.agreement_type != "managed_services" or not repriced(plan, client.client_id):
        return fee
    for renewal in renewal_dates(client, start, day):
        rng = stream(seed, "escalator", client.client_id, renewal.isoformat())
        fee = cents(fee * Decimal(str(round(1 + rng.uniform(0.03, 0.07), 4))))
    return fee


def billed_quantity(plan: Plan, sub: Subscription, day: date) -> int:
    """Seats invoiced: the purchased quantity, less a planted billing shortfall once it starts."""
    problem = plan.licences.get(sub.subscription_id)
    quantity = len(sub.assigned_users)
    if problem is not None and problem.kind == "assigned_unbilled" and day >= problem.from_date:
        quantity -= problem.billed_shortfall
    return quantity


def agreement_event(
    seed: int, plan: Plan, client: Client, start: date, day: date, at: datetime, currency: str
) -> AgreementUpserted:
    """The agreement's full state as of ``day`` (cancelled once ``day`` is after the churn date)."""
    a = client.agreement
    churn = plan.churn.get(client.client_id)
    end_date = a.term_end_on_or_after(day)
    auto_renew = a.auto_renew
    cancelled = False
    cancelled_date = None
    reason = None
    if churn is not None and day >= churn.notice_on:
        end_date, auto_renew = churn.churned_on, False
        if day > churn.churned_on:
            cancelled, cancelled_date = True, churn.churned_on
            reason = (
                "Client gave notice: not renewing"
                if churn.mechanism == "non_renewal"
                else "Terminated for convenience"
            )

    def money(x: Decimal) -> Money:
        return Money(amount=x, currency=currency)

    additions = [
        Addition(
            addition_id=sub.addition_id,
            product_id=f"M365-{sub.sku.part_number}",
            description=sub.sku.product_name,
            quantity=Decimal(billed_quantity(plan, sub, day)),
            unit_price=money(sub.unit_price),
            unit_cost=money(sub.unit_cost),
            vendor_sku=sub.sku.sku_id,
            effective_date=sub.start_date,
            cancelled_date=cancelled_date,
        )
        for sub in client.subscriptions
    ]
    return AgreementUpserted(
        agreement_id=a.agreement_id,
        client_id=client.client_id,
        name=a.name,
        agreement_type=a.agreement_type,
        start_date=a.start_date,
        end_date=end_date,
        billing_cycle=a.billing_cycle,
        bill_amount=money(fee_on(seed, plan, client, start, day)),
        included_hours=a.included_hours,
        carry_over_unused=False if a.included_hours is not None else None,
        hourly_rate=money(a.hourly_rate),
        overage_rate=money(a.overage_rate) if a.overage_rate is not None else None,
        covers_labour=a.covers_labour,
        auto_renew=auto_renew,
        renewal_term_months=a.renewal_term_months,
        notice_period_days=a.notice_period_days,
        cancelled=cancelled,
        cancelled_date=cancelled_date,
        cancellation_reason=reason,
        additions=additions,
        updated_at=at,
    )
