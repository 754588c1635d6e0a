"""``GET /churn-risk``: clients by churn risk, with probability, band, method and top signals."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlmodel import Session

from msp_events.runtime.api import Limit, Offset

from cpi.churn.repository import ChurnRisk, current_model, latest_scores

router = APIRouter(tags=["churn"])

_RANK = {"low": 0, "medium": 1, "high": 2}


class SignalOut(BaseModel):
    signal: str
    value: float
    contribution: float = Field(description="log-odds (model) or health points lost (health score)")


class ChurnRiskOut(BaseModel):
    client_id: str
    as_of: date = Field(description="last day of the month whose signals were scored")
    probability: Decimal = Field(
        description="model: calibrated probability of churning within the horizon; "
        "health_score: 1 - health/100, a risk index, not a calibrated probability"
    )
    band: Literal["low", "medium", "high"]
    method: Literal["health_score", "model"]
    signals: list[SignalOut]
    model_trained_at: datetime | None
    training_rows: int
    scored_at: datetime


class ChurnRiskPage(BaseModel):
    method: Literal["health_score", "model"] | None = Field(description="method of the current model")
    model_trained_at: datetime | None = Field(description="when the current model was (re)trained")
    training_rows: int = Field(description="client-months in the current training set")
    training_churns: int = Field(description="churned clients in the current training set")
    total: int = Field(description="clients matching the filters")
    items: list[ChurnRiskOut]


@router.get("/churn-risk", response_model=ChurnRiskPage, summary="Clients by churn risk, riskiest first")
def churn_risk(
    request: Request,
    band: Annotated[Literal["low", "medium", "high"] | None, Query()] = None,
    min_probability: Annotated[Decimal | None, Query(ge=0, le=1)] = None,
    method: Annotated[Literal["health_score", "model"] | None, Query()] = None,
    sort: Annotated[Literal["-probability", "probability", "client_id", "-band"], Query()] = "-probability",
    limit: Limit = 100,
    offset: Offset = 0,
) -> ChurnRiskPage:
    with Session(request.app.state.service.engine) as session:
        scores = list(latest_scores(session).values())
        model = current_model(session)
    if band is not None:
        scores = [s for s in scores if s.band == band]
    if min_probability is not None:
        scores = [s for s in scores if s.probability >= min_probability]
    if method is not None:
        scores = [s for s in scores if s.method == method]
    scores.sort(key=lambda s: s.client_id)
    if sort == "-probability":
        scores.sort(key=lambda s: s.probability, reverse=True)
    elif sort == "probability":
        scores.sort(key=lambda s: s.probability)
    elif sort == "-band":
        scores.sort(key=lambda s: (-_RANK.get(s.band, 0), -s.probability))
    return ChurnRiskPage(
        method=model.method if model is not None else None,  # type: ignore[arg-type]
        model_trained_at=model.trained_at if model is not None else None,
        training_rows=model.training_rows if model is not None else 0,
        training_churns=model.training_churns if model is not None else 0,
        total=len(scores),
        items=[_out(s) for s in scores[offset : offset + limit]],
    )


def _out(s: ChurnRisk) -> ChurnRiskOut:
    return ChurnRiskOut(
        client_id=s.client_id,
        as_of=s.as_of,
        probability=s.probability,
        band=s.band,  # type: ignore[arg-type]
        method=s.method,  # type: ignore[arg-type]
        signals=[SignalOut(**x) for x in s.signals],
        model_trained_at=s.model_trained_at,
        training_rows=s.training_rows,
        scored_at=s.scored_at,
    )
