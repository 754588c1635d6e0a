"""``msp-ram route``: a plan file with the checker's verdict, or a refusal naming the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ram.cli import main
from ram.routing.generate import generate


def test_route_writes_a_checked_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    problem = tmp_path / "problem.json"
    problem.write_text(generate(12, 2, seed=3).model_dump_json())
    out = tmp_path / "plan.json"
    assert main(["route", "--problem", str(problem), "--out", str(out), "--time-limit", "0.3"]) == 0
    plan = json.loads(out.read_text())
    assert plan["solver"] == "pyvrp" and plan["check"] == {"feasible": True, "violations": []}
    assert sum(len(r["stops"]) for r in plan["routes"]) + len(plan["dropped"]) == 12
    assert "feasible" in capsys.readouterr().out


def test_a_malformed_problem_exits_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads(generate(3, 1, seed=1).model_dump_json())
    doc["visits"][1]["service_minutes"] = -5
    problem = tmp_path / "problem.json"
    problem.write_text(json.dumps(doc))
    assert main(["route", "--problem", str(problem), "--out", str(tmp_path / "plan.json")]) == 2
    assert "visits.1.service_minutes" in capsys.readouterr().err
    assert not (tmp_path / "plan.json").exists()
