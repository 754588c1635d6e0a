"""SLI's REST API: subscriptions, the three-way licence table per client, findings, renewals and
savings. Bad input is a 422 naming the parameter, an unknown client a 404; never a 500."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlmodel import Session

from msp_events.money import Money
from msp_events.runtime.api import EntityId, Limit, Offset
from msp_events.runtime.store import service_clock
from msp_events.runtime.uow import GLOBAL_CLOCK

from sli.domain.reconciliation import CLASSES
from sli.domain.subscriptions import SubscriptionVersion
from sli.store.repository import SubscriptionRepository
from sli.store.tables import Finding, LicenceLine, RenewalReview

router = APIRouter(tags=["subscriptions"])


class SubscriptionOut(BaseModel):
    subscription_id: str
    client_id: str
    tenant_id: str | None
    vendor: str
    distributor: str | None
    sku_id: str
    sku_part_number: str | None
    product_name: str
    quantity: int
    consumed_units: int | None
    unassigned_seats: int | None
    unit_cost: Money | None
    unit_price: Money
    billing_term: str
    commitment_term_months: int | None
    commitment_end_date: date | None
    auto_renew: bool | None
    status: str
    updated_at: datetime

    @classmethod
    def of(cls, s: SubscriptionVersion) -> SubscriptionOut:
        return cls(
            subscription_id=s.subscription_id,
            client_id=s.client_id,
            tenant_id=s.tenant_id,
            vendor=s.vendor,
            distributor=s.distributor,
            sku_id=s.sku_id,
            sku_part_number=s.sku_part_number,
            product_name=s.product_name,
            quantity=s.quantity,
            consumed_units=s.consumed_units,
            unassigned_seats=s.unassigned_seats,
            unit_cost=s.unit_cost,
            unit_price=s.unit_price,
            billing_term=s.billing_term,
            commitment_term_months=s.commitment_term_months,
            commitment_end_date=s.commitment_end_date,
            auto_renew=s.auto_renew,
            status=s.status,
            updated_at=s.as_of,
        )


@router.get(
    "/subscriptions",
    response_model=list[SubscriptionOut],
    summary="Licence subscriptions bought at the distributor, by client and product",
)
def list_subscriptions(
    request: Request,
    client_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    status: Annotated[Literal["active", "pending", "trial", "suspended", "cancelled"] | None, Query()] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[SubscriptionOut]:
    with Session(request.app.state.service.engine) as session:
        subscriptions = SubscriptionRepository(session).list(
            client_id=client_id, status=status, limit=limit, offset=offset
        )
    return [SubscriptionOut.of(s) for s in subscriptions]


# -- the three-way table ---------------------------------------------------------------------------

FindingClass = Literal["unbilled", "under_billed", "over_billed", "over_deployed", "unused", "expired"]
LineClass = Literal[
    "unbilled", "under_billed", "over_billed", "over_deployed", "unused", "expired", "properly_licensed"
]
MoneyNature = Literal["leakage", "saving", "credit"]
MAX_AMOUNT = Decimal(10) ** 12


def _money(amount: Decimal | None, currency: str | None) -> Money | None:
    return None if amount is None or currency is None else Money(amount=amount, currency=currency)


def _cents(amount: Decimal | None, currency: str | None) -> Money | None:
    return _money(None if amount is None else amount.quantize(Decimal("0.01")), currency)


class FindingOut(BaseModel):
    finding_id: str = Field(description="stable id (the license.compliance.violation violation_id)")
    client_id: str
    sku_id: str
    sku_part_number: str | None
    product_name: str
    finding_class: FindingClass
    kind: str = Field(description="license.compliance.violation kind")
    status: Literal["open", "resolved"]
    seats: int
    monthly: Money | None = Field(description="money per month; null when the unit amount is unknown")
    nature: MoneyNature
    action: str
    action_text: str = Field(description="the exact action")
    inactive_users: list[str]
    subscription_id: str | None
    agreement_id: str | None
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None

    @classmethod
    def of(cls, f: Finding) -> FindingOut:
        return cls(
            finding_id=f.finding_id,
            client_id=f.client_id,
            sku_id=f.sku_id,
            sku_part_number=f.sku_part_number,
            product_name=f.product_name,
            finding_class=f.finding_class,  # type: ignore[arg-type]
            kind=f.kind,
            status=f.status,  # type: ignore[arg-type]
            seats=f.seats,
            monthly=_cents(f.monthly_amount, f.currency),
            nature=f.nature,  # type: ignore[arg-type]
            action=f.action,
            action_text=f.action_text,
            inactive_users=[u for u in f.inactive_users.split("\n") if u],
            subscription_id=f.subscription_id,
            agreement_id=f.agreement_id,
            opened_at=f.opened_at,
            updated_at=f.updated_at,
            resolved_at=f.resolved_at,
        )


class LicenceLineOut(BaseModel):
    sku_id: str
    sku_part_number: str | None
    product_name: str
    line_class: LineClass = Field(description="the most urgent finding's class, else properly_licensed")
    subscription_id: str | None = Field(description="representative subscription: in force, most seats")
    subscription_status: str | None = Field(description="its status; 'lapsed' = past a non-renewing end")
    subscriptions: int
    purchased: int | None = Field(description="seats bought on subscriptions in force; null = none known")
    assigned: int = Field(description="seats assigned in the tenant")
    engaged: int = Field(description="assigned seats used within the window or provisioned in the grace")
    idle: int
    installed: int = Field(description="devices with the software installed")
    billed: Decimal | None = Field(description="seats billed on the client's agreements; null = no line")
    unit_cost: Money | None
    list_price: Money | None
    billed_price: Money | None
    agreement_id: str | None
    commitment_end_date: date | None
    reconciled_on: date
    findings: list[FindingOut] = Field(description="the line's open findings, most urgent first")


@router.get(
    "/clients/{client_id}/licenses",
    response_model=list[LicenceLineOut],
    tags=["reconciliation"],
    summary="A client's three-way licence table: bought, assigned/installed and billed per SKU, classified",
    responses={404: {"description": "no licence line for the client"}, 422: {"description": "a bad id"}},
)
def client_licences(request: Request, client_id: Annotated[EntityId, Path()]) -> list[LicenceLineOut]:
    with Session(request.app.state.service.engine) as session:
        lines = list(
            session.execute(
                select(LicenceLine).where(LicenceLine.client_id == client_id).order_by(LicenceLine.sku_id)  # type: ignore[arg-type]
            ).scalars()
        )
        if not lines:
            raise HTTPException(
                404, f"no licence lines for client {client_id!r} (unknown, or not reconciled yet)"
            )
        by_sku: dict[str, list[FindingOut]] = defaultdict(list)
        for f in session.execute(
            select(Finding).where(Finding.client_id == client_id).where(Finding.status == "open")  # type: ignore[arg-type]
        ).scalars():
            by_sku[f.sku_id].append(FindingOut.of(f))
    order = {c: i for i, c in enumerate(CLASSES)}
    return [
        LicenceLineOut(
            sku_id=r.sku_id,
            sku_part_number=r.sku_part_number,
            product_name=r.product_name,
            line_class=r.line_class,  # type: ignore[arg-type]
            subscription_id=r.subscription_id,
            subscription_status=r.subscription_status,
            subscriptions=r.subscriptions,
            purchased=r.purchased,
            assigned=r.assigned,
            engaged=r.engaged,
            idle=r.idle,
            installed=r.installed,
            billed=r.billed,
            unit_cost=_money(r.unit_cost_amount, r.unit_cost_currency),
            list_price=_money(r.list_price_amount, r.list_price_currency),
            billed_price=_money(r.billed_price_amount, r.billed_price_currency),
            agreement_id=r.agreement_id,
            commitment_end_date=r.commitment_end_date,
            reconciled_on=r.reconciled_on,
            findings=sorted(by_sku.get(r.sku_id, []), key=lambda f: order[f.finding_class]),
        )
        for r in lines
    ]


@router.get(
    "/findings",
    response_model=list[FindingOut],
    tags=["reconciliation"],
    summary="Licence findings, largest money per month first",
)
def list_findings(
    request: Request,
    kind: Annotated[FindingClass | None, Query(description="finding class")] = None,
    min_monthly: Annotated[
        Decimal | None,
        Query(ge=0, le=MAX_AMOUNT, description="only findings worth at least this per month (known money)"),
    ] = None,
    status: Annotated[Literal["open", "resolved"], Query()] = "open",
    client_id: Annotated[EntityId | None, Query()] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[FindingOut]:
    query = select(Finding).where(Finding.status == status)  # type: ignore[arg-type]
    if kind is not None:
        query = query.where(Finding.finding_class == kind)  # type: ignore[arg-type]
    if client_id is not None:
        query = query.where(Finding.client_id == client_id)  # type: ignore[arg-type]
    if min_monthly is not None:
        query = query.where(Finding.monthly_amount >= min_monthly)  # type: ignore[operator]
    query = query.order_by(
        Finding.monthly_amount.is_(None),  # type: ignore[union-attr]
        Finding.monthly_amount.desc(),  # type: ignore[union-attr]
        Finding.finding_id,
    )
    with Session(request.app.state.service.engine) as session:
        rows = session.execute(query.offset(offset).limit(limit)).scalars().all()
    return [FindingOut.of(f) for f in rows]


class RenewalOut(BaseModel):
    subscription_id: str
    client_id: str
    sku_id: str
    product_name: str
    renewal_date: date
    days_left: int = Field(description="days from the service clock to the renewal")
    reminder_days: int = Field(description="reminder in force: 90, 60, 30 or 14 days before")
    quantity: int
    engaged: int = Field(description="engaged users of the SKU")
    recommended: int = Field(
        description="engaged x (1 + buffer), rounded up, less other subscriptions' seats"
    )
    change: int = Field(description="recommended - quantity (negative: remove at renewal)")
    monthly_saving: Money | None = Field(description="cost saved per month at the recommended quantity")
    action_text: str


def _today(session: Session) -> date | None:
    now = session.execute(select(service_clock.c.now).where(service_clock.c.clock == GLOBAL_CLOCK)).scalar()
    return None if now is None else now.date()


@router.get(
    "/renewals",
    response_model=list[RenewalOut],
    tags=["reconciliation"],
    summary="Committed subscriptions renewing soon, right-sized to their engaged users",
)
def list_renewals(
    request: Request,
    within_days: Annotated[
        int,
        Query(ge=0, le=90, description="renewing within this many days of the clock (reviews start at 90)"),
    ] = 90,
    client_id: Annotated[EntityId | None, Query()] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[RenewalOut]:
    with Session(request.app.state.service.engine) as session:
        query = select(RenewalReview).order_by(RenewalReview.renewal_date, RenewalReview.subscription_id)  # type: ignore[arg-type]
        if client_id is not None:
            query = query.where(RenewalReview.client_id == client_id)  # type: ignore[arg-type]
        rows = session.execute(query).scalars().all()
        today = _today(session)
    out = []
    for r in rows:
        days_left = (r.renewal_date - (today or r.reviewed_on)).days
        if 0 <= days_left <= within_days:
            out.append(
                RenewalOut(
                    subscription_id=r.subscription_id,
                    client_id=r.client_id,
                    sku_id=r.sku_id,
                    product_name=r.product_name,
                    renewal_date=r.renewal_date,
                    days_left=days_left,
                    reminder_days=r.reminder_days,
                    quantity=r.quantity,
                    engaged=r.engaged,
                    recommended=r.recommended,
                    change=r.change,
                    monthly_saving=_cents(r.monthly_saving, r.currency),
                    action_text=r.action_text,
                )
            )
    return out[offset : offset + limit]


class SavingsTotal(BaseModel):
    currency: str
    nature: MoneyNature = Field(description="leakage (revenue or cost leaking), saving, or credit owed")
    monthly: Money
    findings: int


class Savings(BaseModel):
    open: list[SavingsTotal] = Field(description="money per month at stake in open findings")
    realised: list[SavingsTotal] = Field(
        description="money per month recovered: resolved findings at their last published amount"
    )
    unknown_money: int = Field(description="open findings whose money is unknown (no unit cost or price)")


@router.get(
    "/savings", response_model=Savings, tags=["reconciliation"], summary="Monthly totals, realised vs open"
)
def savings(request: Request) -> Savings:
    totals: dict[tuple[str, str, str], tuple[Decimal, int]] = {}
    unknown = 0
    with Session(request.app.state.service.engine) as session:
        rows = session.execute(
            select(Finding.status, Finding.nature, Finding.currency, Finding.monthly_amount)
        ).all()  # type: ignore[call-overload]
    for status, nature, currency, amount in rows:
        if amount is None or currency is None:
            unknown += status == "open"
            continue
        total, n = totals.get((status, currency, nature), (Decimal(0), 0))
        totals[(status, currency, nature)] = (total + amount, n + 1)

    def of(status: str) -> list[SavingsTotal]:
        return [
            SavingsTotal(
                currency=c,
                nature=k,
                monthly=Money(amount=t.quantize(Decimal("0.01")), currency=c),
                findings=n,  # type: ignore[arg-type]
            )
            for (s, c, k), (t, n) in sorted(totals.items())
            if s == status
        ]

    return Savings(open=of("open"), realised=of("resolved"), unknown_money=unknown)
