"""DSA's REST API."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from msp_events.money import Money
from msp_events.runtime.api import EntityId, Limit, Offset
from msp_events.runtime.store import service_clock

from dsa.domain.budgets import BudgetVersion
from dsa.domain.roi import Costed, Measured, Reported, month_totals
from dsa.domain.spend import SpendLine, ThresholdAlert, budget_status, month_lines, period_forecast
from dsa.store.repository import BudgetRepository, SpendRepository
from dsa.store.tables import AnomalyRow

BAD_REQUEST = "a parameter is malformed or out of range: the detail says which and why"

router = APIRouter(tags=["budgets"])


class BudgetOut(BaseModel):
    budget_id: str
    department: str
    category: str | None
    cost_center: str | None
    period_start: date
    period_end: date
    planned: Money
    alert_threshold_pct: Decimal | None
    updated_at: datetime

    @classmethod
    def of(cls, b: BudgetVersion) -> BudgetOut:
        return cls(
            budget_id=b.budget_id,
            department=b.department,
            category=b.category,
            cost_center=b.cost_center,
            period_start=b.period_start,
            period_end=b.period_end,
            planned=b.planned,
            alert_threshold_pct=b.alert_threshold_pct,
            updated_at=b.as_of,
        )


@router.get("/budgets", response_model=list[BudgetOut], summary="Department budgets by department, period")
def list_budgets(
    request: Request,
    department: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    on: Annotated[date | None, Query(description="only budgets whose period includes this date")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[BudgetOut]:
    with Session(request.app.state.service.engine) as session:
        budgets = BudgetRepository(session).list(department=department, on=on, limit=limit, offset=offset)
    return [BudgetOut.of(b) for b in budgets]


class MonthOut(BaseModel):
    category: str | None
    month: date
    planned: Money
    actual: Money
    expected_to_date: Money
    achievement: Decimal | None
    variance: Money


class AlertOut(BaseModel):
    threshold_pct: Decimal
    basis: str
    spend: Money
    limit: Money

    @classmethod
    def of(cls, a: ThresholdAlert) -> AlertOut:
        return cls(threshold_pct=a.threshold_pct, basis=a.basis, spend=_m(a.spend), limit=_m(a.limit))


class BudgetLineOut(BaseModel):
    budget_id: str
    category: str | None
    period_start: date
    period_end: date
    planned: Money
    elapsed_share: Decimal
    actual: Money
    expected_to_date: Money
    achievement: Decimal | None
    variance: Money
    remaining: Money
    forecast: Money
    forecast_method: str
    """the forecaster's backtest-chosen method (AutoETS, ...), or run_rate when it cannot forecast"""
    alerts: list[AlertOut]
    by_vendor: dict[str, Money]
    by_category: dict[str, Money]


class DepartmentBudget(BaseModel):
    department: str
    year: int
    as_of: datetime | None
    """the service clock: the latest tick or event time DSA has seen (None before any)."""
    months: list[MonthOut]
    lines: list[BudgetLineOut]


CENT, SHARE = Decimal("0.01"), Decimal("0.0001")


def _m(money: Money) -> Money:
    """Money as a ledger shows it: rounded half-up to the cent (the book keeps every digit)."""
    return Money(amount=money.amount.quantize(CENT, ROUND_HALF_UP), currency=money.currency)


def _share(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(SHARE, ROUND_HALF_UP)


def _clock(session: Session) -> datetime | None:
    row = session.execute(sa_select(service_clock.c.now)).first()
    return None if row is None else row[0]


@router.get(
    "/departments/{department}/budget",
    response_model=DepartmentBudget,
    summary="A department's budget against actual by category and month, and each budget line's alerts",
    responses={
        404: {"description": "no budget for the department in that year"},
        422: {"description": BAD_REQUEST},
    },
)
def department_budget(
    request: Request,
    department: Annotated[EntityId, Path()],
    year: Annotated[int, Query(ge=1900, le=2999, description="calendar year")],
) -> DepartmentBudget:
    with Session(request.app.state.service.engine) as session:
        now = _clock(session)
        budgets = [
            b
            for b in BudgetRepository(session).list(department=department, limit=1000)
            if b.period_start.year <= year <= b.period_end.year
        ]
        if not budgets:
            raise HTTPException(404, f"no budget for department {department!r} in {year}")
        start = min(b.period_start for b in budgets)
        end = max(b.period_end for b in budgets)
        # the whole history: the forecaster learns from the years before the budget's
        history = SpendRepository(session).lines(department=department, end=end)
    spend = [ln for ln in history if ln.day >= start]
    at = now or datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    lines = []
    for b in budgets:
        projected, method = _forecast_for(b, history, at)
        st = budget_status(b, spend, at, forecast=projected)
        lines.append(
            BudgetLineOut(
                budget_id=b.budget_id,
                category=b.category,
                period_start=b.period_start,
                period_end=b.period_end,
                planned=_m(b.planned),
                elapsed_share=_share(st.elapsed_share) or Decimal(0),
                actual=_m(st.actual),
                expected_to_date=_m(st.expected_to_date),
                achievement=_share(st.achievement),
                variance=_m(st.variance),
                remaining=_m(st.remaining),
                forecast=_m(st.forecast),
                forecast_method=method,
                alerts=[AlertOut.of(a) for a in st.alerts],
                by_vendor={k: _m(v) for k, v in st.by_vendor.items()},
                by_category={k: _m(v) for k, v in st.by_category.items()},
            )
        )
    months = [
        MonthOut(
            category=m.category,
            month=m.month,
            planned=_m(m.planned),
            actual=_m(m.actual),
            expected_to_date=_m(m.expected_to_date),
            achievement=_share(m.achievement),
            variance=_m(m.variance),
        )
        for m in month_lines(budgets, spend, year, at)
    ]
    return DepartmentBudget(department=department, year=year, as_of=now, months=months, lines=lines)


def _forecast_for(b: BudgetVersion, spend: list[SpendLine], now: datetime) -> tuple[Money | None, str]:
    """The period's spend as the backtested forecaster projects it, for alerts on forecast; the run
    rate (None) when the period is over or not started, or the history is too short to forecast."""
    from dsa.forecasting.forecast import ForecastError
    from dsa.forecasting.projection import project  # heavy (pandas, statsforecast): on demand

    if now.date() > b.period_end or now.date() < b.period_start:
        return None, "run_rate"
    mine = [ln for ln in spend if b.category is None or ln.category == b.category]
    try:
        projection = project(mine, b.planned.currency, now, b.period_end)
    except ForecastError:
        return None, "run_rate"
    projected = period_forecast(b, spend, now, projection.months)
    return (projected, projection.result.chosen) if projected is not None else (None, "run_rate")


class RootCauseOut(BaseModel):
    dimension: str
    value: str
    impact: Decimal


class AnomalyOut(BaseModel):
    anomaly_id: str
    dimension: str
    value: str
    department: str
    spend_source: str
    period_start: date
    period_end: date
    peak: date
    expected: Money
    actual: Money
    impact: Money
    impact_pct: Decimal | None
    score: Decimal
    shape: str
    status: str
    root_causes: list[RootCauseOut]
    feedback: str | None
    feedback_day: date | None

    @classmethod
    def of(cls, row: AnomalyRow) -> AnomalyOut:
        impact = row.actual - row.expected
        pct = None if row.expected == 0 else _share(impact / row.expected * 100)
        return cls(
            anomaly_id=row.anomaly_id,
            dimension=row.dimension,
            value=row.value,
            department=row.department,
            spend_source=row.spend_source,
            period_start=row.period_start,
            period_end=row.period_end,
            peak=row.peak,
            expected=_m(Money(amount=row.expected, currency=row.currency)),
            actual=_m(Money(amount=row.actual, currency=row.currency)),
            impact=_m(Money(amount=impact, currency=row.currency)),
            impact_pct=pct,
            score=row.score,
            shape=row.shape,
            status=row.status,
            root_causes=[RootCauseOut(**c) for c in json.loads(row.root_causes)],
            feedback=row.feedback,
            feedback_day=row.feedback_day,
        )


@router.get(
    "/anomalies",
    response_model=list[AnomalyOut],
    summary="Spend anomalies, biggest impact first; open ones may still grow",
    responses={422: {"description": BAD_REQUEST}},
)
def list_anomalies(
    request: Request,
    status: Annotated[Literal["open", "closed"] | None, Query(description="open or closed")] = None,
    department: Annotated[EntityId | None, Query()] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[AnomalyOut]:
    with Session(request.app.state.service.engine) as session:
        query = select(AnomalyRow)
        if status is not None:
            query = query.where(AnomalyRow.status == status)
        if department is not None:
            query = query.where(AnomalyRow.department == department)
        rows = list(session.exec(query))
    rows.sort(key=lambda r: (-(r.actual - r.expected), r.period_start, r.anomaly_id))
    return [AnomalyOut.of(r) for r in rows[offset : offset + limit]]


class FeedbackIn(BaseModel):
    label: Literal["confirmed", "expected", "false"] = Field(
        description="confirmed: a real problem; expected: known and fine (learned as normal); "
        "false: not an anomaly (the series gets less eager)"
    )


@router.post(
    "/anomalies/{anomaly_id}/feedback",
    response_model=AnomalyOut,
    summary="Say what an anomaly was; detection takes it into account from the service's current day on",
    responses={404: {"description": "unknown anomaly"}, 422: {"description": BAD_REQUEST}},
)
def give_feedback(
    request: Request, anomaly_id: Annotated[EntityId, Path()], feedback: FeedbackIn
) -> AnomalyOut:
    with Session(request.app.state.service.engine) as session:
        row = session.get(AnomalyRow, anomaly_id)
        if row is None:
            raise HTTPException(404, f"no anomaly {anomaly_id!r}")
        now = _clock(session)
        row.feedback = feedback.label
        row.feedback_day = now.date() if now is not None else row.period_end + timedelta(days=1)
        session.add(row)
        session.commit()
        session.refresh(row)
        return AnomalyOut.of(row)


class ForecastMonthOut(BaseModel):
    month: date
    mean: Decimal
    lo_80: Decimal
    hi_80: Decimal
    lo_95: Decimal
    hi_95: Decimal


class BacktestOut(BaseModel):
    method: str
    mase: float | None
    smape: float | None


class ForecastOut(BaseModel):
    department: str
    category: str | None
    currency: str
    method: str
    history_months: int
    backtest: list[BacktestOut]
    months: list[ForecastMonthOut]
    """from the month after the last complete one to the end of the financial (calendar) year."""


@router.get(
    "/forecast",
    response_model=ForecastOut,
    summary="Monthly spend forecast to the end of the year with 80/95 % intervals, method chosen by backtest",
    responses={
        404: {"description": "no spend for that department (and category)"},
        409: {"description": "too little history for a backtested forecast: the detail gives the numbers"},
        422: {"description": BAD_REQUEST},
    },
)
def spend_forecast(
    request: Request,
    department: Annotated[EntityId, Query()],
    category: Annotated[EntityId | None, Query()] = None,
) -> ForecastOut:
    from dsa.forecasting.forecast import ForecastError
    from dsa.forecasting.projection import project  # heavy (pandas, statsforecast): on demand

    with Session(request.app.state.service.engine) as session:
        now = _clock(session)
        lines = SpendRepository(session).lines(department=department)
    lines = [ln for ln in lines if category is None or ln.category == category]
    if not lines or now is None:
        raise HTTPException(404, f"no spend for {department!r}" + (f" / {category!r}" if category else ""))
    counts: dict[str, int] = {}
    for ln in lines:
        counts[ln.amount.currency] = counts.get(ln.amount.currency, 0) + 1
    currency = max(sorted(counts), key=lambda c: counts[c])
    try:
        projection = project(lines, currency, now, date(now.year, 12, 1))
    except ForecastError as error:
        raise HTTPException(409, str(error)) from None
    result = projection.result
    out = [
        ForecastMonthOut(
            month=row["ds"].date(),
            mean=_cents(row["mean"]),
            lo_80=_cents(row["lo-80"]),
            hi_80=_cents(row["hi-80"]),
            lo_95=_cents(row["lo-95"]),
            hi_95=_cents(row["hi-95"]),
        )
        for row in result.forecast.to_dict("records")
    ]
    return ForecastOut(
        department=department,
        category=category,
        currency=currency,
        method=result.chosen,
        history_months=projection.history_months,
        backtest=[
            BacktestOut(method=b.method, mase=_finite(b.mase), smape=_finite(b.smape))
            for b in result.backtests
        ],
        months=out,
    )


def _cents(value: object) -> Decimal:
    return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)


def _finite(value: float) -> float | None:
    return value if value == value and abs(value) != float("inf") else None


class KindTotalOut(BaseModel):
    expected: Money
    realised: Money


class RoiMonthOut(BaseModel):
    month: date
    currency: str
    expected: Money
    realised: Money
    realisation: Decimal | None
    """realised / expected (None when nothing was expected)"""
    by_kind: dict[str, KindTotalOut]


class RecommendationOut(BaseModel):
    rec_id: str
    agent: str
    kind: str
    subject: str
    department: str | None
    counts_from: date
    counts_until: date | None
    acted_on: date | None
    realisation: Literal["reported", "measured"]
    """``measured``: from booked spend, or (RAM's moves) the labour cost of the hours logged"""
    expected: Money
    realised: Money
    """both summed over the months asked for"""


class RoiOut(BaseModel):
    as_of: datetime | None
    """the service clock (None before any fact: the ledger is then empty)"""
    measured_through: date | None
    """the last day spend-measured savings count to: the day before the clock's (a cloud series: its
    last booked day, if earlier)"""
    months: list[RoiMonthOut]
    recommendations: list[RecommendationOut]


Month = Annotated[str, Query(pattern=r"^[1-9]\d{3}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


def _month(value: str | None) -> date | None:
    return None if value is None else date(int(value[:4]), int(value[5:7]), 1)


def _realisation(r: Reported | Measured | Costed) -> Literal["reported", "measured"]:
    """How a recommendation's realised saving is known: the agent says so, or it is measured (from
    the booked spend, or from the labour cost of the hours logged on RAM's moved tickets)."""
    return "measured" if isinstance(r, Measured | Costed) else "reported"


@router.get(
    "/roi",
    response_model=RoiOut,
    summary="What the agents' recommendations were worth: expected against realised saving per month",
    responses={422: {"description": BAD_REQUEST}},
)
def roi_ledger(
    request: Request,
    from_month: Annotated[Month | None, Query(alias="from")] = None,
    to_month: Annotated[Month | None, Query(alias="to")] = None,
    agent: Annotated[Literal["sli", "dsa", "ram"] | None, Query(description="whose recommendations")] = None,
    department: Annotated[EntityId | None, Query()] = None,
) -> RoiOut:
    from dsa.roi_runs import build_ledger

    lo, hi = _month(from_month), _month(to_month)
    if lo is not None and hi is not None and lo > hi:
        raise HTTPException(422, f"from ({from_month}) is after to ({to_month})")
    with Session(request.app.state.service.engine) as session:
        now = _clock(session)
        if now is None:
            return RoiOut(as_of=None, measured_through=None, months=[], recommendations=[])
        ledger = build_ledger(session, now.date())
    kept = [
        (rec, [e for e in entries if (lo is None or e.month >= lo) and (hi is None or e.month <= hi)])
        for rec, entries in ledger.recommendations
        if (agent is None or rec.agent == agent) and (department is None or rec.department == department)
    ]
    money = lambda amount, currency: _m(Money(amount=amount, currency=currency))  # noqa: E731
    months = []
    for t in month_totals(e for _, entries in kept for e in entries):
        months.append(
            RoiMonthOut(
                month=t.month,
                currency=t.currency,
                expected=money(t.expected, t.currency),
                realised=money(t.realised, t.currency),
                realisation=_share(t.realised / t.expected) if t.expected else None,
                by_kind={
                    k: KindTotalOut(expected=money(e, t.currency), realised=money(r, t.currency))
                    for k, (e, r) in t.by_kind.items()
                },
            )
        )
    recs = [
        RecommendationOut(
            rec_id=rec.rec_id,
            agent=rec.agent,
            kind=rec.kind,
            subject=rec.subject,
            department=rec.department,
            counts_from=rec.counts_from,
            counts_until=rec.counts_until,
            acted_on=rec.acted_on,
            realisation=_realisation(rec.realisation),
            expected=money(sum((e.expected for e in entries), Decimal(0)), rec.currency),
            realised=money(sum((e.realised for e in entries), Decimal(0)), rec.currency),
        )
        for rec, entries in kept
    ]
    recs.sort(key=lambda r: (-r.realised.amount, -r.expected.amount, r.rec_id))
    return RoiOut(as_of=now, measured_through=ledger.measured_through, months=months, recommendations=recs)
