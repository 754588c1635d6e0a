"""Loading and saving SPO's opportunities, mapping table rows to domain values.

Set-wise and on the table (SQLAlchemy Core), not through ORM objects: a batch of deal changes is
read with one query and written with one upsert (``load``, ``upsert``), because building, tracking
and flushing an ORM object per deal cost more than the rest of a message's work. The CRM columns
are written here, the score columns by ``store.scores.ScoreRepository``: neither overwrites the
other's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, select
from sqlmodel import Session

from msp_events.money import Money
from msp_events.runtime.store import insert_for

from spo.domain.opportunities import OpportunityVersion
from spo.store.tables import Opportunity

TABLE: Table = Opportunity.__table__  # type: ignore[attr-defined]
CRM_COLUMNS = (
    "name",
    "client_id",
    "prospect_name",
    "stage",
    "status",
    "probability",
    "expected_close_date",
    "recurring_monthly_amount",
    "recurring_monthly_currency",
    "recurring_term_months",
    "one_time_amount",
    "one_time_currency",
    "primary_sales_rep",
    "last_activity_at",
    "closed_on",
    "as_of",
    "digest",
    "source",
    "opportunity_type",
    "rating",
    "created_on",
    "pipeline_change_date",
    "furthest_stage",
    "prospect_industry",
    "prospect_employee_count",
    "products",
)
CHUNK = 500


class OpportunityRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, opportunity_id: str) -> OpportunityVersion | None:
        return self.load([opportunity_id]).get(opportunity_id)

    def load(self, opportunity_ids: Iterable[str]) -> dict[str, OpportunityVersion]:
        """The stored versions of these opportunities (one query per 500)."""
        ids = sorted(set(opportunity_ids))
        out: dict[str, OpportunityVersion] = {}
        for start in range(0, len(ids), CHUNK):
            query = select(TABLE).where(TABLE.c.opportunity_id.in_(ids[start : start + CHUNK]))
            out.update((row.opportunity_id, _to_domain(row)) for row in self.session.execute(query))
        return out

    def save(self, o: OpportunityVersion) -> None:
        self.upsert([o])

    def upsert(self, opportunities: Iterable[OpportunityVersion]) -> None:
        """Write the CRM columns of these versions in one statement (their scores stay)."""
        rows = [_columns(o) for o in opportunities]
        if not rows:
            return
        self.session.flush()  # ORM changes first: the statement below runs on the connection
        insert = insert_for(self.session.get_bind().dialect.name, TABLE)
        statement = insert.on_conflict_do_update(
            index_elements=["opportunity_id"], set_={c: insert.excluded[c] for c in CRM_COLUMNS}
        )
        self.session.execute(statement, rows)

    def all(self, status: str | None = None) -> list[OpportunityVersion]:
        return [o for o, _ in self.with_scored_at(status)]

    def with_scored_at(self, status: str | None = None) -> list[tuple[OpportunityVersion, datetime | None]]:
        """Every opportunity (of ``status``) with the time its current score was taken."""
        query = select(TABLE).order_by(TABLE.c.opportunity_id)
        if status is not None:
            query = query.where(TABLE.c.status == status)
        return [(_to_domain(row), row.scored_at) for row in self.session.execute(query)]

    def scored_since(self, client_id: str, since: datetime) -> list[tuple[OpportunityVersion, datetime]]:
        """The client's open deals whose current score was taken at or after ``since``, each with
        that time."""
        query = (
            select(TABLE)
            .where(TABLE.c.client_id == client_id, TABLE.c.status == "open", TABLE.c.scored_at >= since)
            .order_by(TABLE.c.opportunity_id)
        )
        return [(_to_domain(row), row.scored_at) for row in self.session.execute(query)]

    def closed(self) -> list[OpportunityVersion]:
        query = select(TABLE).where(TABLE.c.status != "open").order_by(TABLE.c.opportunity_id)
        return [_to_domain(row) for row in self.session.execute(query)]

    def list(
        self, *, status: str | None = None, stage: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[OpportunityVersion]:
        query = (
            select(TABLE)
            .order_by(TABLE.c.expected_close_date, TABLE.c.opportunity_id)
            .offset(offset)
            .limit(limit)
        )
        if status is not None:
            query = query.where(TABLE.c.status == status)
        if stage is not None:
            query = query.where(TABLE.c.stage == stage)
        return [_to_domain(row) for row in self.session.execute(query)]


def _split(money: Money | None) -> tuple[Decimal | None, str | None]:
    return (None, None) if money is None else (money.amount, money.currency)


def _money(amount: Decimal | None, currency: str | None) -> Money | None:
    return None if amount is None or currency is None else Money(amount=amount, currency=currency)


def _columns(o: OpportunityVersion) -> dict[str, Any]:
    recurring, recurring_currency = _split(o.estimated_recurring_monthly)
    one_time, one_time_currency = _split(o.estimated_one_time)
    return {
        "opportunity_id": o.opportunity_id,
        "name": o.name,
        "client_id": o.client_id,
        "prospect_name": o.prospect_name,
        "stage": o.stage,
        "status": o.status,
        "probability": o.probability,
        "expected_close_date": o.expected_close_date,
        "recurring_monthly_amount": recurring,
        "recurring_monthly_currency": recurring_currency,
        "recurring_term_months": o.recurring_term_months,
        "one_time_amount": one_time,
        "one_time_currency": one_time_currency,
        "primary_sales_rep": o.primary_sales_rep,
        "last_activity_at": o.last_activity_at,
        "closed_on": o.closed_on,
        "as_of": o.as_of,
        "digest": o.digest,
        "source": o.source,
        "opportunity_type": o.opportunity_type,
        "rating": o.rating,
        "created_on": o.created_on,
        "pipeline_change_date": o.pipeline_change_date,
        "furthest_stage": o.furthest_stage,
        "prospect_industry": o.prospect_industry,
        "prospect_employee_count": o.prospect_employees,
        "products": None if o.products is None else json.dumps(list(o.products)),
    }


def _to_domain(row: Any) -> OpportunityVersion:
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
        prospect_industry=row.prospect_industry,
        prospect_employees=row.prospect_employee_count,
        products=None if row.products is None else tuple(json.loads(row.products)),
    )
