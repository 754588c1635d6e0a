"""Win probability as a use case: score an open deal, retrain the model, rescore the pipeline.

Runs inside the unit of work of the event that asked (an opportunity change, a tick), with the
time of that event: the model of the month is trained from the deals closed by then, seeded, so a
replay trains the same model and writes the same scores. Scores are state, never events.

Within a runtime batch that defers (``UnitOfWork.batch``), a deal change is held (``hold``) and
the batch's changes are recorded set-wise before the commit (``record``): one read of the stored
versions, the versions applied in message order in memory, one upsert, and the changed deals
scored together with one model call (scoring one row costs a design matrix and one occlusion per
column, so a batch pays that once instead of per message). The scores are recorded in message
order, each at its own message's time, and every row scores alone (see ``WinModel.raw``), so the
stored deals, scores and history are the same byte for byte; a message that changes what scoring
reads (client signals, the model, the clock) or reads the deals or scores (a vote, the rules)
flushes the held ones first (``flush_held``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from msp_events.runtime.uow import UnitOfWork

from spo.domain.opportunities import OpportunityVersion, further, supersedes
from spo.domain.signals import SignalHistory, seen_at
from spo.domain.winprob import (
    FEATURES,
    METHOD_BASE_RATE,
    METHOD_MODEL,
    TARGET,
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
    return score_at(session, [(o, now) for o in opportunities], config)


def score_at(
    session: Session,
    deals: list[tuple[OpportunityVersion, datetime]],
    config: WinConfig,
) -> int:
    """Score each open deal as of its own time, all rows in one model call, and record the scores
    in the order given (a deal listed twice keeps both scores, the later one current)."""
    open_deals = [(o, at) for o, at in deals if o.status == "open"]
    if not open_deals:
        return 0
    latest = ModelRepository(session).latest()
    model = _model(session, latest)
    scores = ScoreRepository(session)
    scores.load(o.opportunity_id for o, _ in open_deals)
    changed = 0
    if model is None:
        for o, at in open_deals:
            rate, why = base_rate(o.stage, config.stage_base_rates)
            changed += scores.record(
                o.opportunity_id, at, rate.quantize(PROBABILITY_SCALE), METHOD_BASE_RATE, None, why, "[]"
            )
        scores.write()
        return changed
    assert latest is not None
    known = SignalRepository(session).histories(o.client_id for o, _ in open_deals)
    rows = [
        features(o, _client(known, o).at(seen_at(o, at)) if o.client_id else None, at.date())
        for o, at in open_deals
    ]
    for (o, at), e in zip(open_deals, model.explain(_table(rows)), strict=True):
        reasons = json.dumps(
            [{"feature": r.column, "value": r.value, "contribution": r.contribution} for r in e.reasons]
        )
        probability = Decimal(f"{e.probability:.4f}")
        changed += scores.record(
            o.opportunity_id, at, probability, METHOD_MODEL, latest.version, e.why, reasons
        )
    scores.write()
    return changed


DEFERRED_SCORES = "spo.scores"


@dataclass
class _HeldDeals:
    """The deal versions a batch's messages brought, each with its message's time: recorded and
    scored set-wise before the batch commits (``record``)."""

    config: WinConfig
    versions: list[tuple[OpportunityVersion, datetime]]

    def flush(self, session: Session) -> None:
        versions, self.versions = self.versions, []
        record(session, versions, self.config)


def record(session: Session, versions: list[tuple[OpportunityVersion, datetime]], config: WinConfig) -> None:
    """Keep each deal's latest version and score the ones that changed, as of their message's time.

    One read of the stored versions, then the versions in message order against them in memory
    (a stale or repeated version changes nothing but the furthest stage reached), one upsert of
    the changed rows and one scoring call: the same rows and scores as one message at a time."""
    if not versions:
        return
    opportunities = OpportunityRepository(session)
    current = opportunities.load(v.opportunity_id for v, _ in versions)
    changed: dict[str, OpportunityVersion] = {}
    deals: list[tuple[OpportunityVersion, datetime]] = []
    for v, at in versions:
        stored = current.get(v.opportunity_id)
        furthest = further(v.stage, stored.furthest_stage if stored else None)
        if not supersedes(v, stored):
            if stored is not None and furthest != stored.furthest_stage:
                current[v.opportunity_id] = changed[v.opportunity_id] = replace(
                    stored, furthest_stage=furthest
                )
            continue
        v = replace(v, furthest_stage=furthest)
        current[v.opportunity_id] = changed[v.opportunity_id] = v
        deals.append((v, at))
    opportunities.upsert(changed[k] for k in sorted(changed))
    score_at(session, deals, config)


def hold(uow: UnitOfWork, opportunity: OpportunityVersion, config: WinConfig) -> None:
    """Record and score ``opportunity`` as of this message's time: with the batch's other deals
    before it commits when the batch defers, else at once."""
    held = uow.batch.deferred(DEFERRED_SCORES, lambda: _HeldDeals(config, []))
    if held is None:
        record(uow.session, [(opportunity, uow.now)], config)
        return
    held.versions.append((opportunity, uow.now))


def flush_held(uow: UnitOfWork) -> None:
    """Record the scores held so far in this batch: before a message that changes what scoring
    reads (signals, the model, the clock) or reads the scores."""
    uow.batch.flush(uow.session, DEFERRED_SCORES)


NO_HISTORY = SignalHistory()


def _client(known: dict[str, SignalHistory], o: OpportunityVersion) -> SignalHistory:
    return known.get(o.client_id or "", NO_HISTORY)


def refeature(session: Session, client_id: str, observed_at: datetime, config: WinConfig) -> int:
    """A reading of ``client_id`` known from ``observed_at`` arrived: rescore, as of the time their
    current score was taken, the client's open deals scored at or after it (the reading was in
    force for them but arrived later); deals scored before it and closed deals are not affected
    (closed deals are featured from the history when the model is trained)."""
    deals = OpportunityRepository(session).scored_since(client_id, observed_at)
    return score_at(session, deals, config) if deals else 0


def training_rows(
    session: Session, now: datetime, closed: list[OpportunityVersion] | None = None
) -> tuple[list[OpportunityVersion], list[dict[str, str]], list[str]]:
    """Every closed deal (or ``closed``), its features as it stood when it closed (the readings
    in force then) and its label."""
    if closed is None:
        closed = OpportunityRepository(session).closed()
    known = SignalRepository(session).histories()
    rows = [features(o, _client(known, o).at(seen_at(o, now)), now.date()) for o in closed]
    return closed, rows, [outcome(o) or "" for o in closed]


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
    closed, rows, labels = training_rows(session, now, closed)
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
    stale = [
        o
        for o, scored_at in OpportunityRepository(session).with_scored_at(status="open")
        if retrained or scored_at is None or scored_at.date() < now.date()
    ]
    score(session, stale, now, config)


def rescore_open(session: Session, now: datetime, config: WinConfig) -> int:
    return score(session, OpportunityRepository(session).all(status="open"), now, config)
