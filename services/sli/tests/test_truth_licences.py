"""SLI's licence findings against the simulator's ground truth, on a small simulation.

``msp-sim`` seed 1, 20 clients, 4 technicians, 6 months (2025-01..06) plants one of each licence
problem with the users concerned (``truth.licences[]``): C0002 over-deployed (a new starter beyond
the 11 seats bought), C0015 unused (4 users stop signing in), C0016 billed 3 seats short. The log
goes through SLI with the replay harness and is scored by ``services/sli/bench/licence_truth.py``
(the rules are there): every planted case must be found with the truth's seat count, money and
users, and nothing else may be published. Precision and recall are printed.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from msp_sim.generate import generate
from msp_sim.params import Params

SEED, CLIENTS, TECHNICIANS, MONTHS = 1, 20, 4, 6
BENCH = Path(__file__).resolve().parents[1] / "bench" / "licence_truth.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sli_bench_licence_truth", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModuleType, Any]:
    bench = _bench()
    workdir = tmp_path_factory.mktemp("licence-truth")
    log = workdir / "sim.jsonl"
    generate(Params(SEED, CLIENTS, TECHNICIANS, MONTHS), log)
    return bench, bench.evaluate(log, workdir)


def test_the_simulation_plants_each_licence_problem_with_its_users(
    evaluation: tuple[ModuleType, Any],
) -> None:
    _, e = evaluation
    kinds = sorted(p["kind"] for p in e.truth["licences"])
    assert kinds == ["assigned_unbilled", "over_deployed", "unused"]
    for p in e.truth["licences"]:
        if p["kind"] != "assigned_unbilled":
            assert p["user_ids"], p


def test_every_planted_case_is_found_with_its_seats_money_and_users(
    evaluation: tuple[ModuleType, Any],
) -> None:
    bench, e = evaluation
    print("\n" + bench.report(e))
    score = e.score
    assert [v.detail for v in score.verdicts if v.outcome == "FN"] == []
    assert (score.tp, score.fn, score.recall) == (3, 0, 1.0)
    # a monthly tenant read: each is published at the first read after it became detectable
    assert all(0 <= v.lead_days <= 31 for v in score.verdicts)


def test_nothing_else_is_published(evaluation: tuple[ModuleType, Any]) -> None:
    _, e = evaluation
    assert e.score.false_positives == []
    assert e.score.precision == 1.0
