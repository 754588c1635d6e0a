"""RAM's utilisation alerts against the simulator's planted over- and under-used technicians.

``msp-sim`` seed 1, 15 clients, 3 technicians, 4 months: T001 is planted over-used (1.8x the
assignments of a normal technician, 110-119 % billable utilisation by month), T003 under-used
(0.3x, 34-43 %). Scored by ``services/ram/bench/utilisation_truth.py`` (rules there) on the
monthly alerts. Measured when written: recall 1.00 (2 of 2), precision 0.67 (2 of 3 flags): the
third flag is T002, the "normal" technician of this small team, at 54-56 % every month, which is
under the default 60 % line (the simulator plants relative to the team, whose median is 54 %;
RAM's bands are absolute, as the issue sets them).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from msp_sim.generate import generate
from msp_sim.params import Params

BENCH = Path(__file__).resolve().parents[1] / "bench" / "utilisation_truth.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ram_bench_utilisation_truth", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_planted_utilisation_problems_are_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "sim.jsonl"
    generate(Params(1, 15, 3, 4), log)
    score = _bench().evaluate(log, tmp_path)
    with capsys.disabled():
        print(
            "\nRAM utilisation vs simulator truth (seed 1, 15 clients, 3 technicians, 4 months): "
            + score.report()
        )
    assert score.planted == {"T001": "over", "T003": "under"}
    assert score.recall == 1.0
    assert score.false_positives == [("T002", "under")]  # 54-56 %: under the absolute 60 % line
    assert score.precision >= 0.66
