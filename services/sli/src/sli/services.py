"""SLI's use cases: each runs inside the unit of work the runtime opened for one event."""

from __future__ import annotations

from msp_events.runtime.uow import UnitOfWork

from sli.domain.subscriptions import SubscriptionVersion, supersedes
from sli.store.repository import SubscriptionRepository


def record_subscription(uow: UnitOfWork, subscription: SubscriptionVersion) -> bool:
    """Keep the subscription's latest state; returns False for a stale (older) or repeated version."""
    subscriptions = SubscriptionRepository(uow.session)
    if not supersedes(subscription, subscriptions.get(subscription.subscription_id)):
        return False
    subscriptions.save(subscription)
    return True
