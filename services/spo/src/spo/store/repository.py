"""Loading and saving SPO's aggregates, mapping table rows to domain values."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from msp_events.money import Money

from spo.domain.opportunities import OpportunityVersion
from spo.store.tables import Opportunity


class OpportunityRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, opportunity_id: str) -> OpportunityVersion | None:
        row = self.session.get(Opportunity, opportunity_id)
        return None if row is None else _to_domain(row)

    def save(self, o: OpportunityVersion) -> None:
        row = self.session.get(Opportunity, o.opportunity_id) or Opportunity(
            opportunity_id=o.opportunity_id,
            name="",
            stage="",
            status="",
            expected_close_date=o.expected_close_date,
            as_of=o.as_of,
            digest="",
        )
        row.name, row.client_id, row.prospect_name = o.name, o.client_id, o.prospect_name
        row.stage, row.status, row.probability = o.stage, o.status, o.probability
        row.expected_close_date = o.expected_close_date
        row.recurring_monthly_amount, row.recurring_monthly_currency = _split(o.estimated_recurring_monthly)
        row.recurring_term_months = o.recurring_term_months
        row.one_time_amount, row.one_time_currency = _split(o.estimated_one_time)
        row.primary_sales_rep, row.last_activity_at, row.closed_on = (
            o.primary_sales_rep,
            o.last_activity_at,
            o.closed_on,
        )
        row.as_of, row.digest = o.as_of, o.digest
        row.source, row.opportunity_type, row.rating = o.source, o.opportunity_type, o.rating
        row.created_on, row.pipeline_change_date = o.created_on, o.pipeline_change_date
        row.furthest_stage = o.furthest_stage
        self.session.add(row)

    def all(self, status: str | None = None) -> list[OpportunityVersion]:
        query = select(Opportunity).order_by(Opportunity.opportunity_id)
        if status is not None:
            query = query.where(Opportunity.status == status)
        return [_to_domain(row) for row in self.session.exec(query)]

    def scored_since(self, client_id: str, since: datetime) -> list[tuple[OpportunityVersion, datetime]]:
        """The client's open deals whose current score was taken at or after ``since``, each with
        that time."""
        query = (
            select(Opportunity)
            .where(
                Opportunity.client_id == client_id,
                Opportunity.status == "open",
                col(Opportunity.scored_at) >= since,
            )
            .order_by(Opportunity.opportunity_id)
        )
        return [(_to_domain(row), row.scored_at) for row in self.session.exec(query) if row.scored_at]

    def closed(self) -> list[OpportunityVersion]:
        query = select(Opportunity).where(Opportunity.status != "open").order_by(Opportunity.opportunity_id)
        return [_to_domain(row) for row in self.session.exec(query)]

    def list(
        self, *, status: str | None = None, stage: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[OpportunityVersion]:
        query = (
            select(Opportunity)
            .order_by(Opportunity.expected_close_date, Opportunity.opportunity_id)
            .offset(offset)
            .limit(limit)
        )
        if status is not None:
            query = query.where(Opportunity.status == status)
        if stage is not None:
            query = query.where(Opportunity.stage == stage)
        return [_to_domain(row) for row in self.session.exec(query)]


def _split(money: Money | None) -> tuple[Decimal | None, str | None]:
    return (None, None) if money is None else (money.amount, money.currency)


def _money(amount: Decimal | None, currency: str | None) -> Money | None:
    return None if amount is None or currency is None else Money(amount=amount, currency=currency)


def _to_domain(row: Opportunity) -> OpportunityVersion:
    return OpportunityVersion(
        opportunity_id=row.opportunity_id,
        name=row.name,
        client_id=row.client_id,
        prospect_name=row.prospect_name,
        stage=row.stage,
        status=row.status,
        probability=row.probability,
        expected_close_date=row.expected_close_date,
        estimated_recurring_monthly=_money(row.recurring_monthly_amount, row.recurring_monthly_currency),
        recurring_term_months=row.recurring_term_months,
        estimated_one_time=_money(row.one_time_amount, row.one_time_currency),
        primary_sales_rep=row.primary_sales_rep,
        last_activity_at=row.last_activity_at,
        closed_on=row.closed_on,
        as_of=row.as_of,
        digest=row.digest,
        source=row.source,
        opportunity_type=row.opportunity_type,
        rating=row.rating,
        created_on=row.created_on,
        pipeline_change_date=row.pipeline_change_date,
        furthest_stage=row.furthest_stage,
    )
