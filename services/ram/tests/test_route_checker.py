"""The independent checker rejects a hand-made infeasible plan for each of its rules, once each."""

from __future__ import annotations

from typing import Any

import pytest

from ram.routing.checker import RULES, check
from ram.routing.indexed import IndexedProblem
from ram.routing.plan import Break, Dropped, Plan, RouteChoice, Stop, assemble
from ram.routing.problem import ProblemError, RoutingProblem, parse_problem

DOC: dict[str, Any] = {
    "date": "2026-12-03",
    "distance": {"model": "planar", "unit_m": 1000.0, "speed_kmh": 60.0},
    "technicians": [
        {
            "id": "T1",
            "shift": {"start": "08:00", "end": "17:00"},
            "start": {"x": 0, "y": 0},
            "capacity": 2,
            "skills": ["network"],
            "lunch_break": {"earliest": "12:00", "latest": "13:00", "minutes": 30},
        },
        {"id": "T2", "shift": {"start": "08:00", "end": "17:00"}, "start": {"x": 10, "y": 0}, "capacity": 2},
    ],
    "visits": [
        {
            "id": "A",
            "location": {"x": 5, "y": 0},
            "service_minutes": 60,
            "demand": 1,
            "skills": ["network"],
            "time_windows": [{"start": "09:00", "end": "10:00"}],
        },
        {
            "id": "B",
            "location": {"x": 5, "y": 5},
            "service_minutes": 60,
            "demand": 1,
            "time_windows": [{"start": "13:00", "end": "14:00"}],
        },
        {"id": "C", "location": {"x": 10, "y": 5}, "service_minutes": 30, "demand": 1},
        {"id": "D", "location": {"x": 0, "y": 5}, "service_minutes": 30, "demand": 1, "drop_penalty": "10"},
    ],
}
PROBLEM = RoutingProblem.model_validate(DOC)


@pytest.fixture(scope="module")
def good() -> Plan:
    ip = IndexedProblem(PROBLEM)
    choices = [RouteChoice(0, (0, 1), break_start=12 * 3600), RouteChoice(1, (2,))]
    plan = assemble(ip, choices, "ortools", "hand-made")
    assert plan.check.feasible, plan.check.violations
    return plan


def with_route(plan: Plan, i: int, **changes: Any) -> Plan:
    routes = list(plan.routes)
    routes[i] = routes[i].model_copy(update=changes)
    return plan.model_copy(update={"routes": routes})


def with_stop(plan: Plan, i: int, k: int, **changes: Any) -> Plan:
    stops = list(plan.routes[i].stops)
    stops[k] = stops[k].model_copy(update=changes)
    return with_route(plan, i, stops=stops)


def rules_broken(problem: RoutingProblem, plan: Plan) -> set[str]:
    verdict = check(problem, plan)
    assert not verdict.feasible
    return {v.split(":")[0] for v in verdict.violations}


def test_every_rule_has_a_case() -> None:
    assert set(RULES) == set(CASES)


def _stop(visit: str, at: str) -> Stop:
    return Stop(visit_id=visit, arrival=at, start=at, departure=at, wait_minutes=0)


CASES = {
    "unknown": lambda p: with_route(p, 1, technician_id="T9"),
    "served-twice": lambda p: with_route(p, 1, stops=[*p.routes[1].stops, p.routes[0].stops[0]]),
    "unaccounted": lambda p: p.model_copy(update={"dropped": []}),
    "skills": lambda p: p.model_copy(
        update={
            "routes": [
                p.routes[0].model_copy(update={"technician_id": "T2", "lunch_break": None}),
                p.routes[1],
            ]
        }
    ),
    "window": lambda p: with_stop(with_stop(p, 0, 0, start="10:30:00"), 0, 0, departure="11:30:00"),
    "travel": lambda p: with_stop(p, 1, 0, arrival="08:01:00", start="08:01:00", departure="08:31:00"),
    "service": lambda p: with_stop(p, 0, 0, departure="09:10:00"),
    "shift": lambda p: with_route(p, 1, start_time="07:00:00"),
    "capacity": lambda p: with_route(
        p.model_copy(update={"dropped": []}), 0, stops=[*p.routes[0].stops, _stop("D", "15:00:00")]
    ),
    "break": lambda p: with_route(p, 0, lunch_break=Break(start="13:10:00", end="13:40:00")),
    "locked": lambda p: p,
    "fleet": lambda p: p,
    "totals": lambda p: with_route(p, 1, distance_m=1),
}
PROBLEMS = {
    "locked": PROBLEM.model_copy(
        update={
            "technicians": (
                PROBLEM.technicians[0],
                PROBLEM.technicians[1].model_copy(update={"locked_stops": ("D",)}),
            )
        }
    ),
    "fleet": PROBLEM.model_copy(update={"fleet_limit": 1}),
}


@pytest.mark.parametrize("rule", RULES)
def test_the_checker_rejects_a_plan_breaking_one_rule(good: Plan, rule: str) -> None:
    bad = CASES[rule](good)
    assert rule in rules_broken(PROBLEMS.get(rule, PROBLEM), bad)


def test_a_dropped_visit_is_accounted_for(good: Plan) -> None:
    assert good.dropped == [
        Dropped(visit_id="D", required=False, penalty=good.dropped[0].penalty, reason=good.dropped[0].reason)
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"visits": [{"id": "X", "location": {"lat": 1}}]}, "visits.0.location"),
        ({"technicians": []}, "technicians"),
        ({"distance": {"model": "teleport"}}, "distance"),
        (
            {
                "visits": [
                    {
                        "id": "X",
                        "location": {"x": 1, "y": 1},
                        "time_windows": [{"start": "10:00", "end": "09:00"}],
                    }
                ]
            },
            "visits.0.time_windows.0",
        ),
        ({"fleet_limit": -1}, "fleet_limit"),
    ],
)
def test_a_malformed_problem_is_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    import json

    with pytest.raises(ProblemError, match=field.replace(".", r"\.")):
        parse_problem(json.dumps({**DOC, **change}))
