"""SPO's REST API: the pipeline with each deal's win probability, how it was scored and why."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from msp_events.money import Money
from msp_events.runtime.api import EntityId, Limit, Offset
from msp_events.runtime.store import service_clock
from msp_events.types.crm import OpportunityStage

from spo import pipeline, proposing, rendering, winning
from spo.domain.forecast import SIMULATIONS, Band, forecast, hygiene
from spo.domain.opportunities import weighted
from spo.store.scores import ModelRepository, ScoreRepository
from spo.store.tables import Opportunity, Proposal, Suggestion, WinModelRow

router = APIRouter(tags=["opportunities"])


class Reason(BaseModel):
    feature: str
    value: str
    contribution: float = Field(description="log-odds it adds to the win chance against the average deal")


class OpportunityOut(BaseModel):
    opportunity_id: str
    name: str
    client_id: str | None
    prospect_name: str | None
    stage: str
    status: str
    probability: Decimal | None = Field(description="win probability entered in the CRM, percent")
    win_probability: Decimal | None = Field(description="SPO's calibrated win probability, 0-1")
    method: str | None = Field(description="model (learned) or stage_base_rate (too few closed deals)")
    why: str | None = Field(description="one sentence: what raises and what lowers the chance")
    reasons: list[Reason] = Field(description="top contributing features with signed contributions")
    scored_at: datetime | None
    expected_close_date: date
    estimated_recurring_monthly: Money | None
    weighted_recurring_monthly: Money | None
    recurring_term_months: int | None
    estimated_one_time: Money | None
    weighted_one_time: Money | None
    primary_sales_rep: str | None
    updated_at: datetime

    @classmethod
    def of(cls, o: Opportunity) -> OpportunityOut:
        mrr = _money(o.recurring_monthly_amount, o.recurring_monthly_currency)
        one_time = _money(o.one_time_amount, o.one_time_currency)
        return cls(
            opportunity_id=o.opportunity_id,
            name=o.name,
            client_id=o.client_id,
            prospect_name=o.prospect_name,
            stage=o.stage,
            status=o.status,
            probability=o.probability,
            win_probability=o.win_probability,
            method=o.win_method,
            why=o.win_why,
            reasons=[Reason(**r) for r in json.loads(o.win_reasons or "[]")],
            scored_at=o.scored_at,
            expected_close_date=o.expected_close_date,
            estimated_recurring_monthly=mrr,
            weighted_recurring_monthly=weighted(mrr, o.probability),
            recurring_term_months=o.recurring_term_months,
            estimated_one_time=one_time,
            weighted_one_time=weighted(one_time, o.probability),
            primary_sales_rep=o.primary_sales_rep,
            updated_at=o.as_of,
        )


class ScoreOut(BaseModel):
    scored_at: datetime
    win_probability: Decimal
    method: str
    model_version: int | None
    why: str


class OpportunityDetail(OpportunityOut):
    history: list[ScoreOut] = Field(description="every change of the win probability, oldest first")


class WinModelOut(BaseModel):
    version: int
    trained_at: datetime
    trained_for: str
    method: str
    closed_deals: int
    family: str | None
    cv_auc: str | None
    note: str

    @classmethod
    def of(cls, m: WinModelRow) -> WinModelOut:
        return cls(
            version=m.version,
            trained_at=m.trained_at,
            trained_for=m.trained_for,
            method=m.method,
            closed_deals=m.closed_deals,
            family=m.family,
            cv_auc=m.cv_auc,
            note=m.note,
        )


@router.get(
    "/opportunities",
    response_model=list[OpportunityOut],
    summary="The pipeline, each deal with SPO's win probability, the method that scored it and why",
)
def list_opportunities(
    request: Request,
    status: Annotated[Literal["open", "won", "lost"] | None, Query()] = None,
    stage: Annotated[OpportunityStage | None, Query()] = None,
    sort: Annotated[
        Literal["close_date", "probability"],
        Query(description="close_date (soonest first) or probability (likeliest first)"),
    ] = "close_date",
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[OpportunityOut]:
    query = select(Opportunity)
    if status is not None:
        query = query.where(Opportunity.status == status)
    if stage is not None:
        query = query.where(Opportunity.stage == stage)
    if sort == "probability":
        query = query.order_by(
            col(Opportunity.win_probability).is_(None),
            col(Opportunity.win_probability).desc(),
            col(Opportunity.opportunity_id),
        )
    else:
        query = query.order_by(col(Opportunity.expected_close_date), col(Opportunity.opportunity_id))
    with Session(request.app.state.service.engine) as session:
        rows = list(session.exec(query.offset(offset).limit(limit)))
    return [OpportunityOut.of(o) for o in rows]


@router.get(
    "/opportunities/{opportunity_id}",
    response_model=OpportunityDetail,
    summary="One deal, its current win probability and the history of its scores",
    responses={404: {"description": "no such opportunity"}},
)
def get_opportunity(request: Request, opportunity_id: Annotated[EntityId, Path()]) -> OpportunityDetail:
    with Session(request.app.state.service.engine) as session:
        row = session.get(Opportunity, opportunity_id)
        if row is None:
            raise HTTPException(404, f"no opportunity {opportunity_id!r}")
        history = ScoreRepository(session).history(opportunity_id)
    return OpportunityDetail(
        **OpportunityOut.of(row).model_dump(),
        history=[
            ScoreOut(
                scored_at=h.scored_at,
                win_probability=h.probability,
                method=h.method,
                model_version=h.model_version,
                why=h.why,
            )
            for h in history
        ],
    )


@router.get(
    "/win-model",
    response_model=WinModelOut,
    tags=["win model"],
    summary="The win model in use: learned or stage base rates, on how many closed deals, how good",
    responses={404: {"description": "no model yet (no clock.ticked seen)"}},
)
def get_win_model(request: Request) -> WinModelOut:
    with Session(request.app.state.service.engine) as session:
        latest = ModelRepository(session).latest()
    if latest is None:
        raise HTTPException(404, "no win model yet: the first clock.ticked of a month trains one")
    return WinModelOut.of(latest)


@router.post(
    "/win-model/retrain",
    response_model=WinModelOut,
    tags=["win model"],
    summary="Retrain now (at the service clock's time) and rescore the open pipeline",
    responses={409: {"description": "the service has seen no clock.ticked yet: it has no 'now'"}},
)
def retrain_win_model(request: Request) -> WinModelOut:
    service = request.app.state.service
    config = winning.WinConfig.of(service.settings)
    with Session(service.engine) as session:
        now = _service_now(session, "retraining")
        model = winning.retrain(session, now, config)
        winning.rescore_open(session, now, config)
        session.commit()
        return WinModelOut.of(model)


def _service_now(session: Session, what: str) -> datetime:
    """The service clock (the latest ``clock.ticked``): the API never reads the wall clock."""
    now = session.execute(sa_select(service_clock.c.now)).first()
    if now is None:
        raise HTTPException(409, f"no clock.ticked seen yet: {what} needs the service's 'now'")
    return now[0]  # type: ignore[no-any-return]


def _money(amount: Decimal | None, currency: str | None) -> Money | None:
    return None if amount is None or currency is None else Money(amount=amount, currency=currency)


class BandOut(BaseModel):
    p10: Money
    p50: Money
    p90: Money


class MonthOut(BaseModel):
    month: str
    deals: int
    weighted_one_time: Money
    weighted_recurring_monthly: Money
    one_time_bookings: BandOut = Field(description="simulated one-time bookings, P10 / P50 / P90")
    recurring_monthly_bookings: BandOut = Field(description="simulated new MRR booked, P10 / P50 / P90")


class FlagOut(BaseModel):
    opportunity_id: str
    kind: str
    detail: str


class ForecastOut(BaseModel):
    as_of: date
    simulations: int
    months: list[MonthOut]
    hygiene: list[FlagOut]


@router.get(
    "/pipeline/forecast",
    response_model=ForecastOut,
    tags=["pipeline"],
    summary="Weighted pipeline and P10/P50/P90 bookings by expected close month, with hygiene flags",
    responses={409: {"description": "the service has seen no clock.ticked yet: it has no 'now'"}},
)
def pipeline_forecast(
    request: Request,
    months: Annotated[int, Query(ge=1, le=24, description="months ahead, this one included")] = 6,
) -> ForecastOut:
    service = request.app.state.service
    config = winning.WinConfig.of(service.settings)
    with Session(service.engine) as session:
        today = _service_now(session, "the forecast").date()
        rows = list(session.exec(select(Opportunity).where(Opportunity.status == "open")))
    deals = [pipeline.deal(o, config) for o in rows]
    months_out = [
        MonthOut(
            month=m.month,
            deals=m.deals,
            weighted_one_time=Money(amount=m.weighted_one_time, currency=m.currency),
            weighted_recurring_monthly=Money(amount=m.weighted_recurring_monthly, currency=m.currency),
            one_time_bookings=_band(m.one_time, m.currency),
            recurring_monthly_bookings=_band(m.recurring_monthly, m.currency),
        )
        for m in forecast(deals, today, months, seed=config.seed)
    ]
    flags = [
        FlagOut(opportunity_id=f.opportunity_id, kind=f.kind, detail=f.detail) for f in hygiene(deals, today)
    ]
    return ForecastOut(as_of=today, simulations=SIMULATIONS, months=months_out, hygiene=flags)


def _band(band: Band, currency: str) -> BandOut:
    return BandOut(
        p10=Money(amount=band.p10, currency=currency),
        p50=Money(amount=band.p50, currency=currency),
        p90=Money(amount=band.p90, currency=currency),
    )


class SuggestionOut(BaseModel):
    suggestion_id: str
    client_id: str
    kind: str
    reason: str
    status: str = Field(description="open, acted_on or expired")
    title: str
    summary: str
    estimated_recurring_monthly: Money | None
    win_probability_pct: Decimal
    opened_on: date
    act_by: date
    closed_on: date | None
    proposal_id: str | None = Field(description="the proposal drafted for it, once generated")


@router.get(
    "/suggestions",
    response_model=list[SuggestionOut],
    tags=["suggestions"],
    summary="Opportunities found in delivery data: renewals, T&M conversion, whitespace, true-ups, repricing",
)
def list_suggestions(
    request: Request,
    status: Annotated[Literal["open", "acted_on", "expired"] | None, Query()] = None,
    client_id: Annotated[EntityId | None, Query()] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[SuggestionOut]:
    query = select(Suggestion)
    if status is not None:
        query = query.where(Suggestion.status == status)
    if client_id is not None:
        query = query.where(Suggestion.client_id == client_id)
    query = (
        query.order_by(col(Suggestion.opened_on), col(Suggestion.suggestion_id)).offset(offset).limit(limit)
    )
    with Session(request.app.state.service.engine) as session:
        rows = list(session.exec(query))
        proposals = {
            p.suggestion_id: p.proposal_id
            for p in session.exec(select(Proposal).where(Proposal.status == "generated"))
        }
    return [
        SuggestionOut(
            suggestion_id=r.suggestion_id,
            client_id=r.client_id,
            kind=r.kind,
            reason=r.reason,
            status=r.status,
            title=r.title,
            summary=r.summary,
            estimated_recurring_monthly=_money(r.estimated_recurring_monthly, r.currency),
            win_probability_pct=r.win_probability_pct,
            opened_on=r.opened_on,
            act_by=r.act_by,
            closed_on=r.closed_on,
            proposal_id=proposals.get(r.suggestion_id),
        )
        for r in rows
    ]


@router.get(
    "/proposals/{proposal_id}",
    tags=["proposals"],
    summary="A drafted proposal: Markdown (default) or PDF (Accept: application/pdf)",
    response_class=Response,
    responses={
        200: {
            "description": "the proposal",
            "content": {"text/markdown": {"schema": {"type": "string"}}, "application/pdf": {}},
        },
        404: {"description": "no generated proposal with that id"},
    },
)
def get_proposal(request: Request, proposal_id: Annotated[EntityId, Path()]) -> Response:
    with Session(request.app.state.service.engine) as session:
        found = proposing.load_dated(session, proposal_id)
    if found is None:
        raise HTTPException(404, f"no generated proposal {proposal_id!r}")
    proposal, generated_at = found
    writer = getattr(request.app.state, "text_writer", None)
    if "application/pdf" in request.headers.get("accept", ""):
        return Response(rendering.as_pdf(proposal, generated_at, writer), media_type="application/pdf")
    return Response(rendering.as_markdown(proposal, writer), media_type="text/markdown; charset=utf-8")
