"""Loading and saving SLI's aggregates, mapping table rows to domain values."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, select

from msp_events.money import Money

from sli.domain.subscriptions import SubscriptionVersion
from sli.store.tables import Subscription


class SubscriptionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, subscription_id: str) -> SubscriptionVersion | None:
        row = self.session.get(Subscription, subscription_id)
        return None if row is None else _to_domain(row)

    def save(self, s: SubscriptionVersion, product_id: str | None = None) -> None:
        row = self.session.get(Subscription, s.subscription_id) or Subscription(
            subscription_id=s.subscription_id,
            client_id=s.client_id,
            vendor="",
            sku_id="",
            product_name="",
            quantity=0,
            unit_price_amount=Decimal(0),
            unit_price_currency="",
            billing_term="",
            status="",
            as_of=s.as_of,
            digest="",
        )
        row.client_id, row.tenant_id = s.client_id, s.tenant_id
        row.vendor, row.distributor = s.vendor, s.distributor
        row.sku_id, row.sku_part_number, row.product_name = s.sku_id, s.sku_part_number, s.product_name
        row.quantity, row.consumed_units = s.quantity, s.consumed_units
        row.product_id = product_id
        row.unit_cost_amount = None if s.unit_cost is None else s.unit_cost.amount
        row.unit_cost_currency = None if s.unit_cost is None else s.unit_cost.currency
        row.unit_price_amount, row.unit_price_currency = s.unit_price.amount, s.unit_price.currency
        row.billing_term, row.commitment_term_months = s.billing_term, s.commitment_term_months
        row.commitment_end_date, row.auto_renew, row.status = s.commitment_end_date, s.auto_renew, s.status
        row.as_of, row.digest = s.as_of, s.digest
        self.session.add(row)

    def list(
        self, *, client_id: str | None = None, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[SubscriptionVersion]:
        query = (
            select(Subscription)
            .order_by(Subscription.client_id, Subscription.product_name, Subscription.subscription_id)
            .offset(offset)
            .limit(limit)
        )
        if client_id is not None:
            query = query.where(Subscription.client_id == client_id)
        if status is not None:
            query = query.where(Subscription.status == status)
        return [_to_domain(row) for row in self.session.exec(query)]


def _to_domain(row: Subscription) -> SubscriptionVersion:
    return SubscriptionVersion(
        subscription_id=row.subscription_id,
        client_id=row.client_id,
        tenant_id=row.tenant_id,
        vendor=row.vendor,
        distributor=row.distributor,
        sku_id=row.sku_id,
        sku_part_number=row.sku_part_number,
        product_name=row.product_name,
        quantity=row.quantity,
        consumed_units=row.consumed_units,
        unit_cost=None
        if row.unit_cost_amount is None or row.unit_cost_currency is None
        else Money(amount=row.unit_cost_amount, currency=row.unit_cost_currency),
        unit_price=Money(amount=row.unit_price_amount, currency=row.unit_price_currency),
        billing_term=row.billing_term,
        commitment_term_months=row.commitment_term_months,
        commitment_end_date=row.commitment_end_date,
        auto_renew=row.auto_renew,
        status=row.status,
        as_of=row.as_of,
        digest=row.digest,
    )
