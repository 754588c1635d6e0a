"""CPI's REST API: clients with their margin, and month-by-month profitability of a client or an
agreement (figures, drivers, licence leakage and data-quality counters)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, FieldSerializationInfo, SerializerFunctionWrapHandler, field_serializer
from sqlalchemy import func, select
from sqlmodel import Session

from msp_events.runtime.api import EntityId, Limit, Month, Offset
from msp_events.runtime.consensus import latest_by_subject

from cpi.churn.repository import latest_scores
from cpi.domain.alerts import Policy, band_of, drivers, problem_client
from cpi.domain.ledger import MonthFigures, MonthLines, figures
from cpi.domain.months import add_months, months_between
from cpi.domain.quality import quality
from cpi.store import ledger
from cpi.store.repository import ClientRepository, client_month_lines, lines_of
from cpi.store.tables import Agreement, LedgerClose, LedgerRow, LicenceLeakage

router = APIRouter(tags=["clients"])

MonthQuery = Annotated[Month | None, Query(description="month, YYYY-MM")]
FromQuery = Annotated[Month | None, Query(alias="from", description="first month, YYYY-MM")]
ToQuery = Annotated[Month | None, Query(alias="to", description="last month, YYYY-MM")]
DEFAULT_MONTHS = 12
BAD_REQUEST = "a month not YYYY-MM in 1900-01..2999-12, from after to, or an id with control characters"


def _policy(request: Request) -> Policy:
    config = getattr(request.app.state, "ledger_policy", None)
    if isinstance(config, Policy):
        return config
    from cpi.app import ledger_config

    return ledger_config(request.app.state.service.settings).policy


@dataclass(frozen=True)
class Places:
    """How many decimal places a response field shows (None: as computed)."""

    places: int | None


class Rounded(BaseModel):
    """A response whose every decimal is shown half-up to 2 places, because in CPI's answers a
    decimal is money, hours, a percentage or a rate (README "Rounding"); a field that is none of
    these says so with ``Places``. Rounding here, once, rather than where each figure is put in,
    keeps a new field from leaking the ledger's 4 decimals (the revenue lines and hours did)."""

    @field_serializer("*", mode="wrap")
    def _rounded(
        self, value: Any, handler: SerializerFunctionWrapHandler, info: FieldSerializationInfo
    ) -> Any:
        if isinstance(value, Decimal):
            field = type(self).model_fields[info.field_name]
            places = next((m.places for m in field.metadata if isinstance(m, Places)), 2)
            if places is not None:
                value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        return handler(value)


class ClientOut(Rounded):
    client_id: str
    name: str
    status: str
    tier: str | None
    currency: str | None
    month: str | None = Field(
        default=None, description="month the figures are for (latest closed by default)"
    )
    gross_margin_pct: Decimal | None = None
    band: str | None = None
    effective_rate: Decimal | None = None
    problem_client: bool | None = Field(
        default=None, description="the month and the one before it both below 20 % (None: no figures)"
    )
    churn_risk: Annotated[Decimal | None, Places(None)] = Field(
        default=None, description="churn probability 0-1, when scored"
    )
    churn_band: str | None = None
    repricing: Literal["open", "approved", "rejected", "expired"] | None = Field(
        default=None,
        description=(
            "the agents' latest decision on raising the client's price (proposed after 3 months in "
            "the critical band): open while SPO, RAM and SLI vote, then its outcome"
        ),
    )
    repricing_decision_id: str | None = Field(default=None, description="that decision's id")


SortKey = Literal["name", "margin", "effective_rate", "churn_risk"]


@router.get(
    "/clients",
    response_model=list[ClientOut],
    summary="Clients CPI knows, by name, margin, effective rate or churn risk",
)
def list_clients(
    request: Request,
    status: Annotated[Literal["prospect", "active", "inactive", "churned"] | None, Query()] = None,
    sort: Annotated[SortKey, Query(description="name (A-Z) or a figure; figures sort nulls last")] = "name",
    order: Annotated[
        Literal["asc", "desc"] | None, Query(description="default: asc for name, desc else")
    ] = None,
    month: MonthQuery = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[ClientOut]:
    policy = _policy(request)
    with Session(request.app.state.service.engine) as session:
        month = month or _default_month(session)
        everyone = ClientRepository(session).list(status=status, limit=1_000_000, offset=0)
        lines = client_month_lines(session, [add_months(month, -1), month]) if month else {}
        risks = latest_scores(session)
        repricings = latest_by_subject(session, "raise_client_price")
    out = []
    for c in everyone:
        row = ClientOut(client_id=c.client_id, name=c.name, status=c.status, tier=c.tier, currency=c.currency)
        if (c.client_id, month) in lines:
            f = figures(lines[(c.client_id, month)][0], policy.target_pct)
            row.month, row.gross_margin_pct, row.effective_rate = month, f.gross_margin_pct, f.effective_rate
            row.band = band_of(f.gross_margin_pct, policy) if f.gross_margin_pct is not None else None
            before = lines.get((c.client_id, add_months(month, -1)))
            earlier = figures(before[0], policy.target_pct).gross_margin_pct if before else None
            row.problem_client = problem_client(f.gross_margin_pct, earlier, policy)
        if (risk := risks.get(c.client_id)) is not None:
            row.churn_risk, row.churn_band = risk.probability, risk.band
        if (decision := repricings.get(f"client/{c.client_id}")) is not None:
            row.repricing = decision.status  # type: ignore[assignment]  # open or an outcome
            row.repricing_decision_id = decision.proposal.decision_id
        out.append(row)
    if sort != "name":
        field = {
            "margin": "gross_margin_pct",
            "effective_rate": "effective_rate",
            "churn_risk": "churn_risk",
        }[sort]
        descending = order != "asc"
        known = [r for r in out if getattr(r, field) is not None]
        known.sort(key=lambda r: (getattr(r, field), r.name, r.client_id), reverse=descending)
        out = known + [r for r in out if getattr(r, field) is None]
    elif order == "desc":
        out.reverse()
    return out[offset : offset + limit]


def _default_month(session: Session) -> str | None:
    close = session.get(LedgerClose, "ledger")
    if close is not None and close.last_closed_month is not None:
        return close.last_closed_month
    latest = session.execute(select(func.max(LedgerRow.month))).scalar_one_or_none()
    return str(latest) if latest is not None else None


# -- profitability --------------------------------------------------------------------------------


class Amounts(Rounded):
    fees: Decimal
    labour: Decimal
    products: Decimal
    licences: Decimal
    other: Decimal
    total: Decimal


class Costs(Rounded):
    labour: Decimal
    additions: Decimal
    licences: Decimal
    products: Decimal
    other: Decimal
    total: Decimal


class WriteDownOut(Rounded):
    time_value: Decimal = Field(description="hours x the rate billed on each entry (the raw figure)")
    cap: Decimal = Field(description="the agreement's monthly fee")
    written_value: Decimal = Field(description="time value capped at the fee")
    write_down: Decimal
    effective_rate_raw: Decimal | None
    effective_rate_written: Decimal | None


class DriverOut(Rounded):
    line: str
    change: Decimal
    detail: str


class QualityOut(Rounded):
    uncosted_hours: Decimal
    unlinked_hours: Decimal
    uncosted_revenue: Decimal
    currency_mismatches: int
    lines_matched_by_product: int = Field(
        description="product/licence invoice lines costed by an addition matched by product id only"
    )
    licence_cost_unmatched: Decimal = Field(
        description="licence cost taken from invoice lines no addition or subscription matches"
    )
    warnings: list[str]


class LeakageOut(Rounded):
    monthly_exposure: Decimal = Field(description="licence leakage at stake (not in the margin)")
    findings: int


class MonthOut(Rounded):
    month: str
    currency: str
    revenue: Amounts
    cost: Costs
    profit: Decimal
    gross_margin_pct: Decimal | None
    band: str | None
    problem_client: bool = Field(description="this and the previous month both below 20 %")
    effective_rate: Decimal | None
    contribution_rate: Decimal | None
    efficiency_index: Annotated[Decimal | None, Places(4)]
    labour_hours: Decimal
    hours_used: Decimal
    hours_included: Decimal | None = None
    burn_pct: Decimal | None = None
    write_down: WriteDownOut | None = None
    licence_leakage: LeakageOut
    drivers: list[DriverOut] = Field(description="vs the previous month, biggest effect on profit first")
    data_quality: QualityOut


class LeakageFinding(Rounded):
    violation_id: str
    month: str
    kind: str
    sku_id: str
    seats_affected: int
    monthly_exposure: Decimal
    currency: str
    summary: str


class ClientProfitability(Rounded):
    client_id: str
    name: str
    currency: str | None
    target_margin_pct: Decimal
    months: list[MonthOut]
    licence_findings: list[LeakageFinding]
    held_facts: dict[str, int] = Field(description="facts waiting for master data (client, technician)")


class AgreementProfitability(Rounded):
    agreement_id: str
    client_id: str
    name: str
    agreement_type: str
    currency: str
    monthly_fee: Decimal | None
    included_hours_per_month: Decimal | None
    target_margin_pct: Decimal
    months: list[MonthOut]


def _range(session: Session, start: str | None, end: str | None, where: Any) -> list[str]:
    if start is not None and end is not None and start > end:
        raise RequestValidationError(
            [{"loc": ("query", "from"), "msg": f"from ({start}) is after to ({end})", "type": "value_error"}]
        )
    if end is None:
        latest = session.execute(select(func.max(LedgerRow.month)).where(where)).scalar_one_or_none()
        end = start if latest is None or (start is not None and latest < start) else str(latest)
        if end is None:
            return []
    start = start or add_months(end, -(DEFAULT_MONTHS - 1))
    months = list(months_between(start, end))
    if len(months) > 120:
        raise RequestValidationError(
            [{"loc": ("query", "from"), "msg": "at most 120 months at a time", "type": "value_error"}]
        )
    return months


def _month_out(
    month: str,
    currency: str,
    lines: MonthLines,
    previous: MonthLines | None,
    policy: Policy,
    *,
    hours_included: Decimal | None = None,
    fixed_fee: Decimal | None = None,
) -> MonthOut:
    f: MonthFigures = figures(lines, policy.target_pct, hours_included=hours_included, fixed_fee=fixed_fee)
    dq = quality(lines)
    return MonthOut(
        month=month,
        currency=currency,
        revenue=Amounts(
            fees=lines.revenue_fee,
            labour=lines.revenue_labour,
            products=lines.revenue_product,
            licences=lines.revenue_licence,
            other=lines.revenue_other,
            total=f.billed,
        ),
        cost=Costs(
            labour=lines.cost_labour,
            additions=lines.cost_addition,
            licences=lines.cost_licence,
            products=lines.cost_product,
            other=lines.cost_other,
            total=f.cost,
        ),
        profit=f.profit,
        gross_margin_pct=f.gross_margin_pct,
        band=band_of(f.gross_margin_pct, policy) if f.gross_margin_pct is not None else None,
        problem_client=problem_client(
            f.gross_margin_pct,
            figures(previous, policy.target_pct).gross_margin_pct if previous else None,
            policy,
        ),
        effective_rate=f.effective_rate,
        contribution_rate=f.contribution_rate,
        efficiency_index=f.efficiency_index,
        labour_hours=f.labour_hours,
        hours_used=f.hours_used,
        hours_included=f.hours_included,
        burn_pct=f.burn_pct,
        write_down=WriteDownOut(**vars(f.write_down)) if f.write_down is not None else None,
        licence_leakage=LeakageOut(monthly_exposure=lines.leakage, findings=lines.leakage_findings),
        drivers=[DriverOut(line=d.line, change=d.change, detail=d.detail) for d in drivers(lines, previous)],
        data_quality=QualityOut(
            uncosted_hours=dq.uncosted_hours,
            unlinked_hours=dq.unlinked_hours,
            uncosted_revenue=dq.uncosted_revenue,
            currency_mismatches=dq.currency_mismatches,
            lines_matched_by_product=dq.lines_matched_by_product,
            licence_cost_unmatched=dq.licence_cost_unmatched,
            warnings=dq.warnings(),
        ),
    )


@router.get(
    "/clients/{client_id}/profitability",
    response_model=ClientProfitability,
    summary="A client's monthly margin series with drivers, leakage and data-quality counters",
    responses={404: {"description": "unknown client"}, 422: {"description": BAD_REQUEST}},
)
def client_profitability(
    request: Request,
    client_id: Annotated[EntityId, Path()],
    start: FromQuery = None,
    end: ToQuery = None,
) -> ClientProfitability:
    policy = _policy(request)
    with Session(request.app.state.service.engine) as session:
        client = ClientRepository(session).get(client_id)
        if client is None:
            raise HTTPException(404, f"no client {client_id!r}")
        months = _range(session, start, end, LedgerRow.client_id == client_id)
        lines = client_month_lines(session, [add_months(months[0], -1), *months], client_id) if months else {}
        findings = (
            session.execute(
                select(LicenceLeakage)
                .where(LicenceLeakage.client_id == client_id)  # type: ignore[arg-type]
                .where(LicenceLeakage.month.in_(months))  # type: ignore[attr-defined]
                .order_by(LicenceLeakage.month, LicenceLeakage.violation_id)  # type: ignore[arg-type]
            )
            .scalars()
            .all()
        )
        held = ledger.held_counts(session, client_id)
    series = []
    for month in months:
        if (client_id, month) not in lines:
            continue
        current, currency = lines[(client_id, month)]
        before = lines.get((client_id, add_months(month, -1)))
        series.append(_month_out(month, currency, current, before[0] if before else None, policy))
    return ClientProfitability(
        client_id=client_id,
        name=client.name,
        currency=client.currency,
        target_margin_pct=policy.target_pct,
        months=series,
        licence_findings=[
            LeakageFinding(
                violation_id=f.violation_id,
                month=f.month,
                kind=f.kind,
                sku_id=f.sku_id,
                seats_affected=f.seats_affected,
                monthly_exposure=f.exposure,
                currency=f.currency,
                summary=f.summary,
            )
            for f in findings
        ],
        held_facts=held,
    )


@router.get(
    "/agreements/{agreement_id}/profitability",
    response_model=AgreementProfitability,
    summary="An agreement's monthly figures: margin, effective rate, prepaid burn, fixed-fee write-down",
    responses={404: {"description": "unknown agreement"}, 422: {"description": BAD_REQUEST}},
)
def agreement_profitability(
    request: Request,
    agreement_id: Annotated[EntityId, Path()],
    start: FromQuery = None,
    end: ToQuery = None,
) -> AgreementProfitability:
    policy = _policy(request)
    with Session(request.app.state.service.engine) as session:
        agreement = session.get(Agreement, agreement_id)
        if agreement is None:
            raise HTTPException(404, f"no agreement {agreement_id!r}")
        months = _range(session, start, end, LedgerRow.agreement_id == agreement_id)
        rows = (
            session.execute(
                select(LedgerRow)
                .where(LedgerRow.agreement_id == agreement_id)  # type: ignore[arg-type]
                .where(LedgerRow.client_id == agreement.client_id)  # type: ignore[arg-type]
                .where(LedgerRow.month.in_([add_months(months[0], -1), *months] if months else []))  # type: ignore[attr-defined]
            )
            .scalars()
            .all()
        )
    by_month = {r.month: (lines_of([getattr(r, c) for c in ledger.COLUMNS]), r.currency) for r in rows}
    series = []
    for month in months:
        if month not in by_month:
            continue
        current, currency = by_month[month]
        before = by_month.get(add_months(month, -1))
        series.append(
            _month_out(
                month,
                currency,
                current,
                before[0] if before else None,
                policy,
                hours_included=agreement.monthly_included_hours,
                fixed_fee=agreement.monthly_fee if agreement.fixed_fee else None,
            )
        )
    return AgreementProfitability(
        agreement_id=agreement.agreement_id,
        client_id=agreement.client_id,
        name=agreement.name,
        agreement_type=agreement.agreement_type,
        currency=agreement.currency,
        monthly_fee=agreement.monthly_fee,
        included_hours_per_month=agreement.monthly_included_hours,
        target_margin_pct=policy.target_pct,
        months=series,
    )
