"""Retraining and scoring on clock ticks, inside the unit of work of a ``clock.ticked`` event.

At the first tick of a month (``uow.now``), the month before is complete: retrain when due, then
score every active client on that month's features and publish ``client.churn.risk.changed`` for
each client whose band moved away from the band last published for it.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import ChurnSignal, ClientChurnRiskChanged

from cpi.churn.model import fit, training_digest
from cpi.churn.repository import current_model, load_history
from cpi.churn.settings import ChurnSettings, churn_settings
from cpi.churn.tables import ChurnModel, ChurnSchedule, ChurnScore
from cpi.domain.churn import (
    FEATURES,
    LogisticModel,
    Method,
    add_months,
    band_of,
    band_to_publish,
    churn_date,
    features_at,
    health_score,
    health_signals,
    is_active_at,
    month_start,
    months_between,
    signal_table,
    training_rows,
)


def refresh(uow: UnitOfWork, now: datetime, settings: ChurnSettings | None = None) -> None:
    """Once per month: retrain when due, rescore, publish band changes."""
    settings = settings or churn_settings()
    schedule = uow.session.get(ChurnSchedule, "churn") or ChurnSchedule(name="churn")
    month = month_start(now)
    if schedule.last_scored_month is not None and schedule.last_scored_month >= month:
        return
    table = signal_table(load_history(uow.session))
    if schedule.last_trained_at is None or months_between(schedule.last_trained_at.date(), now.date()) >= max(
        1, settings.retrain_months
    ):
        retrain(uow, table, now, settings)
        schedule.last_trained_at = now
    score_all(uow, table, add_months(month, -1), now, settings)
    schedule.last_scored_month = month
    uow.session.add(schedule)


def retrain(uow: UnitOfWork, table: dict, now: datetime, settings: ChurnSettings) -> ChurnModel:  # type: ignore[type-arg]
    rows = training_rows(table, now.date(), settings.horizon_months)
    churns = len({r.client_id for r in rows if r.churned})
    digest = training_digest(rows)
    if churns >= settings.min_outcomes and len(rows) > churns:
        model = fit(rows)
        record = ChurnModel(
            trained_at=now,
            method="model",
            training_rows=len(rows),
            training_churns=churns,
            digest=digest,
            params=json.dumps(model.to_json(), sort_keys=True),
        )
    else:
        record = ChurnModel(
            trained_at=now,
            method="health_score",
            training_rows=len(rows),
            training_churns=churns,
            digest=digest,
            params=json.dumps({"reason": f"{churns} churn outcomes < {settings.min_outcomes}"}),
        )
    existing = uow.session.get(ChurnModel, now)
    if existing is not None:
        uow.session.delete(existing)
        uow.session.flush()
    uow.session.add(record)
    uow.session.flush()
    return record


def score_all(uow: UnitOfWork, table: dict, month: date, now: datetime, settings: ChurnSettings) -> None:  # type: ignore[type-arg]
    record = current_model(uow.session)
    model = (
        LogisticModel.from_json(json.loads(record.params))
        if record is not None and record.method == "model"
        else None
    )
    method: Method = "model" if model is not None else "health_score"
    day = add_months(month, 1)
    as_of = date.fromordinal(day.toordinal() - 1)
    for client_id in sorted(table):
        ch = table[client_id]
        left = churn_date(ch)
        row = uow.session.get(ChurnScore, client_id)
        if not is_active_at(ch, day, left) or (left is not None and left <= now.date()):
            if row is not None:
                uow.session.delete(row)
            continue
        f = features_at(ch, month)
        if model is not None:
            probability = model.probability(f)
            signals = model.top_signals(f, settings.top_signals)
        else:
            probability = 1 - health_score(f) / 100
            signals = health_signals(f, settings.top_signals)
        p = Decimal(str(round(probability, 6)))
        band = band_of(float(p), method, settings.cutoffs)
        row = row or ChurnScore(
            client_id=client_id,
            as_of=as_of,
            scored_at=now,
            probability=p,
            band=band,
            method=method,
            signals="[]",
        )
        row.as_of, row.scored_at, row.probability, row.band, row.method = as_of, now, p, band, method
        row.signals = json.dumps(
            [{"signal": s, "value": round(v, 4), "contribution": c} for s, v, c in signals], sort_keys=True
        )
        row.model_trained_at = record.trained_at if model is not None and record is not None else None
        row.training_rows = record.training_rows if model is not None and record is not None else 0
        publish = band_to_publish(band, row.published_band)  # type: ignore[arg-type]
        if publish is not None:
            uow.emit(
                ClientChurnRiskChanged(
                    client_id=client_id,
                    as_of=as_of,
                    probability=p,
                    band=band,
                    previous_band=row.published_band,  # type: ignore[arg-type]
                    method=method,
                    horizon_months=settings.horizon_months,
                    signals=[
                        ChurnSignal(signal=s, value=Decimal(str(round(v, 4))), contribution=Decimal(str(c)))
                        for s, v, c in signals
                    ],
                    model_trained_at=row.model_trained_at,
                    training_rows=row.training_rows,
                    summary=_summary(band, row.published_band, p, method, [s for s, _, _ in signals]),
                )
            )
            row.published_band = band
        uow.session.add(row)


def _summary(band: str, previous: str | None, p: Decimal, method: str, signals: list[str]) -> str:
    what = (
        f"{float(p) * 100:.0f} % in the horizon"
        if method == "model"
        else f"health {100 - float(p) * 100:.0f}/100"
    )
    why = ", ".join(s.replace("_", " ") for s in signals) or "no signal stands out"
    moved = "rose" if _rank(band) > _rank(previous) else "fell"
    return f"Churn risk {moved} from {previous or 'low'} to {band} ({what}): {why}."


def _rank(band: str | None) -> int:
    return {"low": 0, "medium": 1, "high": 2}.get(band or "low", 0)


__all__ = ["FEATURES", "refresh", "retrain", "score_all"]
