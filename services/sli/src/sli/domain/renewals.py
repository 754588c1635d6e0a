"""Renewal right-sizing: how many seats a subscription should renew with, and when to say so.

Under Microsoft NCE a committed subscription's seats can only be reduced at its commitment end,
so the licensing desk reviews each one 90 days before: the recommended quantity is the engaged
users (signed in within the inactivity window, or provisioned within the grace period) plus a
buffer (10 % by default) for starters, rounded up. Reminders fall at 90, 60, 30 and 14 days
before the renewal, and only for subscriptions that do not simply renew monthly: a monthly
subscription can be reduced at any month end, so the unused-seats finding already covers it.

When several subscriptions hold one SKU (an annual and a monthly top-up, say), the SKU's
recommended total is shared: the subscription renewing keeps what the total leaves after the
others' quantities.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal

from msp_events.money import Money

from sli.domain.reconciliation import monthly

REMINDER_DAYS = (90, 60, 30, 14)
REVIEW_DAYS = REMINDER_DAYS[0]


def renews_monthly(billing_term: str, commitment_term_months: int | None) -> bool:
    """A month-to-month subscription: a one-month commitment, or monthly billing with none."""
    if commitment_term_months is not None:
        return commitment_term_months == 1
    return billing_term == "monthly"


def reminder_stage(renewal: date, today: date) -> int | None:
    """The reminder in force ``today``: the smallest of 90/60/30/14 days not below the days left
    (45 days left: the 60-day reminder), or None outside the 90-day review window."""
    days = (renewal - today).days
    if days < 0 or days > REVIEW_DAYS:
        return None
    return min(t for t in REMINDER_DAYS if days <= t)


def recommended_quantity(engaged: int, buffer_pct: Decimal) -> int:
    """engaged x (1 + buffer), rounded up to a whole seat."""
    exact = Decimal(engaged) * (1 + buffer_pct / 100)
    return int(exact.to_integral_value(rounding=ROUND_CEILING))


@dataclass(frozen=True)
class RenewalInput:
    """A committed subscription and the SKU it shares with the client's other subscriptions."""

    subscription_id: str
    client_id: str
    sku_id: str
    product_name: str
    quantity: int
    renewal_date: date
    billing_term: str
    commitment_term_months: int | None
    unit_cost: Money | None
    engaged_on_sku: int
    """Engaged users of the SKU across the client's tenant."""
    others_on_sku: int
    """Seats the client's other live subscriptions of the SKU hold."""


@dataclass(frozen=True)
class Renewal:
    subscription_id: str
    client_id: str
    sku_id: str
    product_name: str
    renewal_date: date
    days_left: int
    reminder_days: int
    quantity: int
    engaged: int
    recommended: int
    change: int
    """recommended - quantity: negative = seats to drop at renewal."""
    monthly_saving: Money | None
    """Cost per month saved by renewing at the recommended quantity (negative when it grows)."""
    action_text: str


def review(sub: RenewalInput, today: date, buffer_pct: Decimal) -> Renewal | None:
    """The renewal review of a committed subscription inside the 90-day window, else None."""
    if renews_monthly(sub.billing_term, sub.commitment_term_months):
        return None
    stage = reminder_stage(sub.renewal_date, today)
    if stage is None:
        return None
    total = recommended_quantity(sub.engaged_on_sku, buffer_pct)
    recommended = max(0, total - sub.others_on_sku)
    change = recommended - sub.quantity
    head = f"renew {sub.product_name} (subscription {sub.subscription_id}) on {sub.renewal_date.isoformat()}"
    if change < 0:
        text = f"{head} with {recommended} seats: remove {-change}"
    elif change > 0:
        text = f"{head} with {recommended} seats: add {change}"
    else:
        text = f"{head} at {recommended} seats"
    saving = monthly(-change, sub.unit_cost)
    return Renewal(
        subscription_id=sub.subscription_id,
        client_id=sub.client_id,
        sku_id=sub.sku_id,
        product_name=sub.product_name,
        renewal_date=sub.renewal_date,
        days_left=(sub.renewal_date - today).days,
        reminder_days=stage,
        quantity=sub.quantity,
        engaged=sub.engaged_on_sku,
        recommended=recommended,
        change=change,
        monthly_saving=saving,
        action_text=text,
    )
