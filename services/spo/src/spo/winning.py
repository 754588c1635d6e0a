"""Win probability as a use case: score an open deal, retrain the model, rescore the pipeline.

Runs inside the unit of work of the event that asked (an opportunity change, a tick), with the
time of that event: the model of the month is trained from the deals closed by then, seeded, so a
replay trains the same model and writes the same scores. Scores are state, never events.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from spo.domain.opportunities import OpportunityVersion
from spo.domain.winprob import (
    FEATURES,
    METHOD_BASE_RATE,
    METHOD_MODEL,
    TARGET,
    ClientSignals,
    base_rate,
    features,
    outcome,
)
from spo.store.repository import OpportunityRepository
from spo.store.scores import ModelRepository, ScoreRepository, SignalRepository
from spo.store.tables import WinModelRow
from spo.winmodel.model import WinModel
from spo.winmodel.table import InputError, RawTable
from spo.winmodel.train import train

PROBABILITY_SCALE = Decimal("0.0001")
_parsed: dict[tuple[str, int, str], WinModel] = {}


@dataclass(frozen=True)
class WinConfig:
    stage_base_rates: dict[str, Decimal]
    min_closed_deals: int
    seed: int

    @classmethod
    def of(cls, settings: Any) -> WinConfig:
        """From SPO's settings (``spo.settings.Settings``)."""
        return cls(
            stage_base_rates=dict(settings.stage_base_rates),
            min_closed_deals=int(settings.min_closed_deals),
            seed=int(settings.model_seed),
        )


def _model(session: Session, row: WinModelRow | None) -> WinModel | None:
    """The parsed model of ``row``, cached per database and version (a version never changes)."""
    if row is None or row.method != METHOD_MODEL:
        return None
    key = (str(session.get_bind().engine.url), row.version, row.trained_at.isoformat())
    model = _parsed.get(key)
    if model is None:
        if row.model_json is None:
            return None
        model = _parsed[key] = WinModel.loads(row.model_json)
        if len(_parsed) > 8:
            _parsed.pop(next(iter(_parsed)))
    return model


def _table(rows: list[dict[str, str]], labels: list[str] | None = None) -> RawTable:
    header = [*FEATURES, *([TARGET] if labels is not None else [])]
    cells = [
        [row[c] for c in FEATURES] + ([labels[i]] if labels is not None else []) for i, row in enumerate(rows)
    ]
    return RawTable("spo opportunities", header, cells, list(range(2, len(rows) + 2)), "utf-8", ",")


def score(
    session: Session,
    opportunities: list[OpportunityVersion],
    now: datetime,
    config: WinConfig,
) -> int:
    """Score open deals with the latest model (or the stage base rates); returns how many changed."""
    open_deals = [o for o in opportunities if o.status == "open"]
    if not open_deals:
        return 0
    latest = ModelRepository(session).latest()
    model = _model(session, latest)
    signals = SignalRepository(session)
    scores = ScoreRepository(session)
    changed = 0
    if model is None:
        for o in open_deals:
            rate, why = base_rate(o.stage, config.stage_base_rates)
            changed += scores.record(
                o.opportunity_id, now, rate.quantize(PROBABILITY_SCALE), METHOD_BASE_RATE, None, why, "[]"
            )
        return changed
    assert latest is not None
    rows = [features(o, signals.get(o.client_id), now.date()) for o in open_deals]
    for o, e in zip(open_deals, model.explain(_table(rows)), strict=True):
        reasons = json.dumps(
            [{"feature": r.column, "value": r.value, "contribution": r.contribution} for r in e.reasons]
        )
        probability = Decimal(f"{e.probability:.4f}")
        changed += scores.record(
            o.opportunity_id, now, probability, METHOD_MODEL, latest.version, e.why, reasons
        )
    return changed


def retrain(session: Session, now: datetime, config: WinConfig) -> WinModelRow:
    """Train the model of ``now``'s month from every closed deal; base rates while too few."""
    closed = OpportunityRepository(session).closed()
    month = now.strftime("%Y-%m")
    models = ModelRepository(session)
    base = WinModelRow(
        version=0,
        trained_at=now,
        trained_for=month,
        method=METHOD_BASE_RATE,
        closed_deals=len(closed),
        note=f"{len(closed)} closed deals; the model learns from {config.min_closed_deals}",
    )
    if len(closed) < config.min_closed_deals:
        return models.add(base)
    signals = SignalRepository(session).all()
    rows = [features(o, signals.get(o.client_id or "", ClientSignals()), now.date()) for o in closed]
    labels = [outcome(o) or "" for o in closed]
    try:
        model, _ = train(_table(rows, labels), TARGET, None, None, None, seed=config.seed)
    except InputError as err:
        base.note = f"{len(closed)} closed deals, not trainable: {err}"
        return models.add(base)
    auc = model.metrics["cv_auc"][model.family]
    return models.add(
        WinModelRow(
            version=0,
            trained_at=now,
            trained_for=month,
            method=METHOD_MODEL,
            closed_deals=len(closed),
            family=model.family,
            cv_auc=f"{auc:.4f}",
            model_json=model.dumps(),
            note=f"{model.family} on {len(closed)} closed deals, cross-validated ROC-AUC {auc:.4f}",
        )
    )


def on_tick(session: Session, now: datetime, config: WinConfig) -> None:
    """Retrain at the first tick of a month; rescore the open pipeline when the day moves on
    (age and days since the last activity grow every day)."""
    latest = ModelRepository(session).latest()
    retrained = latest is None or latest.trained_for < now.strftime("%Y-%m")
    if retrained:
        retrain(session, now, config)
    scores = ScoreRepository(session)
    stale = []
    for o in OpportunityRepository(session).all(status="open"):
        current = scores.current(o.opportunity_id)
        if retrained or current is None or current.scored_at is None or current.scored_at.date() < now.date():
            stale.append(o)
    score(session, stale, now, config)


def rescore_open(session: Session, now: datetime, config: WinConfig) -> int:
    return score(session, OpportunityRepository(session).all(status="open"), now, config)
