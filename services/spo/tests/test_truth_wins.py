"""The win model against the simulator's planted win drivers (``truth.sales``).

``msp-sim`` plants three drivers in its CRM history (referral new logos win about twice as often,
existing clients with an eroding margin win less, stalled deals keep a third of their chance) and
marks each deal ``favoured`` or not. Only the CRM part of the simulation runs here (the pipeline
does not depend on the rest, which is most of a full run's minutes), with many clients so that
enough deals are with eroding ones. CPI is not run: it is fed what the simulator's truth implies it
reports, a month's margin of every client at the start of the next month (critical from the month
a planted erosion starts, else healthy). The model is trained the way the service trains it
(``spo.winning``: the domain's features, CPI's readings as of each deal's close, ``msp-spo``'s
trainer) on the deals created in the oldest 60 %, then scores the later deals as they stood at
their last open step. It must rank the deals the drivers favour above the rest, and an existing
client's deals with a sound margin above those with an eroding one; the AUCs are printed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from msp_events import Envelope
from msp_events.types.crm import OpportunityUpserted

from msp_sim import crm
from msp_sim.context import CarriedState, MonthContext, Observations
from msp_sim.params import Params
from msp_sim.problems import Plan, plan_problems
from msp_sim.timeline import add_months, month_end
from msp_sim.world import build_world
from spo.domain.opportunities import OpportunityVersion, supersedes
from spo.domain.signals import MarginReading, SignalHistory, seen_at
from spo.domain.winprob import TARGET, features, outcome
from spo.handlers import opportunity_version
from spo.winmodel.train import train
from spo.winning import _table

SEED, CLIENTS, TECHNICIANS, MONTHS = 3, 800, 6, 24
HISTORY_SHARE = 0.6  # the oldest 60 % of deals by creation: history; the rest: scored
SOUND, ERODED = (Decimal("42"), "healthy"), (Decimal("8"), "critical")


Simulated = tuple[
    dict[str, OpportunityVersion],
    dict[str, OpportunityVersion],
    dict[str, dict[str, Any]],
    dict[str, SignalHistory],
]


def erosion_starts(plan: Plan) -> dict[str, date]:
    starts = {c: p.starts_on for c, p in plan.scope_creep.items()}
    starts.update({c: p.effective_from for c, p in plan.cost_rises.items()})
    return starts


def cpi_readings(params: Params, clients: list[str], eroding: dict[str, date]) -> dict[str, SignalHistory]:
    """A month's margin of every client, reported at 06:00 UTC on the next month's first day."""
    out = {}
    for client_id in clients:
        readings = []
        for first in params.month_starts():
            start = eroding.get(client_id)
            pct, band = ERODED if start is not None and first >= start.replace(day=1) else SOUND
            observed = datetime.combine(add_months(first, 1), time(6), tzinfo=UTC)
            readings.append(MarginReading(observed, first.strftime("%Y-%m"), pct, band))
        out[client_id] = SignalHistory(margins=tuple(readings))
    return out


@pytest.fixture(scope="module")
def simulated() -> Simulated:
    params = Params(SEED, CLIENTS, TECHNICIANS, MONTHS)
    world, plan = plan_problems(build_world(params))
    observed = Observations()
    latest: dict[str, OpportunityVersion] = {}
    last_open: dict[str, OpportunityVersion] = {}
    for index, first in enumerate(params.month_starts()):
        lines: list[Any] = []
        crm.generate(
            MonthContext(params, world, plan, first, month_end(first), index, CarriedState(), observed, lines)
        )
        for _, _, _, text in lines:
            env = Envelope[OpportunityUpserted].model_validate_json(text)
            v = opportunity_version(env.data, env.time)
            if supersedes(v, latest.get(v.opportunity_id)):
                latest[v.opportunity_id] = v
            if v.status == "open" and supersedes(v, last_open.get(v.opportunity_id)):
                last_open[v.opportunity_id] = v
    truth = {str(o["opportunity_id"]): o for o in observed.opportunities}
    readings = cpi_readings(params, [c.client_id for c in world.clients], erosion_starts(plan))
    return latest, last_open, truth, readings


def test_the_truth_documents_the_win_drivers(simulated: Simulated) -> None:
    latest, _, truth, _ = simulated
    assert set(truth) == set(latest)
    won = [truth[k]["outcome"] == "won" for k in truth]
    favoured = [bool(truth[k]["favoured"]) for k in truth]
    rate_favoured = np.mean([w for w, f in zip(won, favoured, strict=True) if f])
    rate_rest = np.mean([w for w, f in zip(won, favoured, strict=True) if not f])
    print(f"\n{len(truth)} deals: favoured win {rate_favoured:.0%}, the rest {rate_rest:.0%}")
    assert rate_favoured > rate_rest + 0.2


def test_the_model_ranks_the_deals_the_drivers_favour_above_the_rest(simulated: Simulated) -> None:
    latest, last_open, truth, readings = simulated
    none = SignalHistory()

    def cells(o: OpportunityVersion, now: datetime) -> dict[str, str]:
        return features(o, readings.get(o.client_id or "", none).at(seen_at(o, now)), now.date())

    created = sorted((o.created_on or date.min, k) for k, o in latest.items())
    split = created[int(len(created) * HISTORY_SHARE)][0]
    history = [o for o in latest.values() if outcome(o) is not None and o.created_on and o.created_on < split]
    rows = [cells(o, o.as_of) for o in history]
    model, report = train(_table(rows, [outcome(o) or "" for o in history]), TARGET, None, None, None, seed=0)
    later = [o for k, o in sorted(last_open.items()) if o.created_on and o.created_on >= split]
    scored = model.probabilities(_table([cells(o, o.as_of) for o in later]))
    favoured = np.array([bool(truth[o.opportunity_id]["favoured"]) for o in later])
    won = np.array([truth[o.opportunity_id]["outcome"] == "won" for o in later])
    existing = np.array([o.client_id is not None for o in later])
    sound = np.array([not truth[o.opportunity_id]["eroding_margin"] for o in later])
    auc_favoured = roc_auc_score(favoured, scored)
    auc_won = roc_auc_score(won, scored)
    auc_margin = roc_auc_score(sound[existing], scored[existing])
    print(
        f"\ntrained {model.family} on {len(history)} closed deals (CV AUC {report.cv_auc}); "
        f"scored {len(later)} later deals at their last open step: AUC vs favoured {auc_favoured:.3f}, "
        f"vs won {auc_won:.3f}; mean p favoured {scored[favoured].mean():.3f}, "
        f"rest {scored[~favoured].mean():.3f}; existing clients' deals ({existing.sum()}, "
        f"{(existing & ~sound).sum()} with an eroding margin): AUC sound vs eroding {auc_margin:.3f}, "
        f"mean p {scored[existing & sound].mean():.3f} vs {scored[existing & ~sound].mean():.3f}"
    )
    # measured on this seed: vs favoured 0.820, vs won 0.879 (0.5 = no ranking; the stage reached
    # dominates, the drivers come second); sound vs eroding margin 0.849, and 0.668 without CPI's
    # readings (eroding clients' deals also stop at earlier stages): the bound needs the readings
    assert auc_favoured > 0.7
    assert scored[favoured].mean() > scored[~favoured].mean()
    assert auc_won > 0.75
    assert auc_margin > 0.75
    assert scored[existing & sound].mean() > scored[existing & ~sound].mean()
