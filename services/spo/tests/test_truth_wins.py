"""The win model against the simulator's planted win drivers (``truth.sales``).

``msp-sim`` seed 3, 60 clients, 24 months plants three drivers in its CRM history (referral new
logos win about twice as often, existing clients with an eroding margin win less, stalled deals
keep a third of their chance) and marks each deal ``favoured`` or not. The model is trained the
way the service trains it (``spo.winning``: the domain's features, ``msp-spo``'s trainer) on the
deals created in the oldest 60 %, then scores the later deals as they stood at their last
open step. It must rank the deals the drivers favour above the rest; the AUCs are printed.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from msp_events import Envelope
from msp_events.types.crm import OpportunityUpserted

from msp_sim.generate import generate
from msp_sim.params import Params
from spo.domain.opportunities import OpportunityVersion, supersedes
from spo.domain.winprob import TARGET, features, outcome
from spo.handlers import opportunity_version
from spo.winmodel.train import train
from spo.winning import _table

SEED, CLIENTS, TECHNICIANS, MONTHS = 3, 60, 6, 24
HISTORY_SHARE = 0.6  # the oldest 60 % of deals by creation: history; the rest: scored


Simulated = tuple[dict[str, OpportunityVersion], dict[str, OpportunityVersion], dict[str, dict[str, Any]]]


@pytest.fixture(scope="module")
def simulated(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict[str, OpportunityVersion], dict[str, OpportunityVersion], dict[str, dict[str, object]]]:
    log = tmp_path_factory.mktemp("win-truth") / "sim.jsonl"
    generate(Params(SEED, CLIENTS, TECHNICIANS, MONTHS), log)
    latest: dict[str, OpportunityVersion] = {}
    last_open: dict[str, OpportunityVersion] = {}
    with log.open() as handle:
        for line in handle:
            if '"crm.opportunity.upserted"' not in line:
                continue
            env = Envelope[OpportunityUpserted].model_validate_json(line)
            v = opportunity_version(env.data, env.time)
            if supersedes(v, latest.get(v.opportunity_id)):
                latest[v.opportunity_id] = v
            if v.status == "open" and supersedes(v, last_open.get(v.opportunity_id)):
                last_open[v.opportunity_id] = v
    truth = json.loads(log.with_name("sim.truth.json").read_text())
    return latest, last_open, {o["opportunity_id"]: o for o in truth["sales"]["opportunities"]}


def test_the_truth_documents_the_win_drivers(simulated: Simulated) -> None:
    latest, _, truth = simulated
    assert set(truth) == set(latest)
    won = [truth[k]["outcome"] == "won" for k in truth]
    favoured = [bool(truth[k]["favoured"]) for k in truth]
    rate_favoured = np.mean([w for w, f in zip(won, favoured, strict=True) if f])
    rate_rest = np.mean([w for w, f in zip(won, favoured, strict=True) if not f])
    print(f"\n{len(truth)} deals: favoured win {rate_favoured:.0%}, the rest {rate_rest:.0%}")
    assert rate_favoured > rate_rest + 0.2


def test_the_model_ranks_the_deals_the_drivers_favour_above_the_rest(
    simulated: tuple[dict, dict, dict],
) -> None:  # type: ignore[type-arg]
    latest, last_open, truth = simulated
    created = sorted((o.created_on or date.min, k) for k, o in latest.items())
    split = created[int(len(created) * HISTORY_SHARE)][0]
    history = [o for o in latest.values() if outcome(o) is not None and o.created_on and o.created_on < split]
    rows = [features(o, None, o.closed_on or o.as_of.date()) for o in history]
    model, report = train(_table(rows, [outcome(o) or "" for o in history]), TARGET, None, None, None, seed=0)
    later = [o for k, o in sorted(last_open.items()) if o.created_on and o.created_on >= split]
    scored = model.probabilities(_table([features(o, None, o.as_of.date()) for o in later]))
    favoured = np.array([bool(truth[o.opportunity_id]["favoured"]) for o in later])
    won = np.array([truth[o.opportunity_id]["outcome"] == "won" for o in later])
    auc_favoured = roc_auc_score(favoured, scored)
    auc_won = roc_auc_score(won, scored)
    print(
        f"\ntrained {model.family} on {len(history)} closed deals (CV AUC {report.cv_auc}); "
        f"scored {len(later)} later deals at their last open step: AUC vs favoured {auc_favoured:.3f}, "
        f"vs won {auc_won:.3f}; mean p favoured {scored[favoured].mean():.3f}, "
        f"rest {scored[~favoured].mean():.3f}"
    )
    # measured 0.694 on this seed (0.5 = no ranking); the stage reached dominates the score, the
    # drivers come second, so the bound asks for a clear ranking, not a perfect one
    assert auc_favoured > 0.6
    assert scored[favoured].mean() > scored[~favoured].mean()
    assert auc_won > 0.65
