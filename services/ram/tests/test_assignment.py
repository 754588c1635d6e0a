"""Assignment: CP-SAT reaches the optimum that enumeration finds on small cases; hard rules hold."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal

import pytest

from ram.assign.cpsat import solve_assignment
from ram.assign.flow import flow_assignment
from ram.domain.assignment import (
    AssignmentProblem,
    Resource,
    WorkItem,
    evaluate,
    explain,
    greedy,
)

SKILLS = ("network", "m365", "voip")


def small(seed: int, items: int = 5, resources: int = 3) -> AssignmentProblem:
    rng = random.Random(seed)
    res = tuple(
        Resource(
            id=f"R{j}",
            skills=frozenset(rng.sample(SKILLS, rng.randint(1, 3))),
            available_tenths=rng.choice([0, 40, 60, 80]),
            hourly_cost=Decimal(rng.randint(30, 70)),
            hourly_rate=Decimal(rng.choice([120, 150, 180])),
            earliest_start=rng.choice([0, 10, 30]),
        )
        for j in range(resources)
    )
    its = tuple(
        WorkItem(
            id=f"W{i}",
            tenths=rng.choice([5, 10, 20, 30]),
            required_skills=frozenset(rng.sample(SKILLS, rng.randint(0, 1))),
            preferred_skills={rng.choice(SKILLS): Decimal(rng.randint(5, 40))} if rng.random() < 0.5 else {},
            fix_by=rng.choice([None, 20, 40, 80]),
            sla_breach_cost=Decimal(rng.choice([50, 200])),
            billable=rng.random() < 0.4,
            unassigned_cost=Decimal(rng.choice([150, 400])),
        )
        for i in range(items)
    )
    return AssignmentProblem(items=its, resources=res, balance_cost_per_point=Decimal("0.50"))


def enumerate_optimum(problem: AssignmentProblem) -> int:
    options: list[str | None] = [None, *(r.id for r in problem.resources)]
    values = []
    for combo in itertools.product(options, repeat=len(problem.items)):
        value = evaluate(problem, {w.id: c for w, c in zip(problem.items, combo, strict=True)})
        if value is not None:
            values.append(value)
    return min(values)


@pytest.mark.parametrize("seed", range(12))
def test_cpsat_finds_the_enumerated_optimum(seed: int) -> None:
    problem = small(seed)
    result = solve_assignment(problem, time_limit=5)
    assert result.optimal
    assert result.objective_cents == enumerate_optimum(problem)
    assert evaluate(problem, result.assignment) == result.objective_cents


def test_hard_rules_skills_availability_and_capacity() -> None:
    ada = Resource("ada", frozenset({"network"}), available_tenths=30, hourly_cost=Decimal(40))
    bob = Resource("bob", frozenset({"network", "voip"}), available_tenths=0, hourly_cost=Decimal(10))
    cy = Resource("cy", frozenset({"voip"}), available_tenths=80, hourly_cost=Decimal(90))
    items = (
        WorkItem("switch", 20, frozenset({"network"})),
        WorkItem("router", 20, frozenset({"network"})),  # ada has room for one of the two
        WorkItem("phones", 10, frozenset({"voip"})),  # bob is on PTO: only cy
    )
    result = solve_assignment(AssignmentProblem(items, (ada, bob, cy)))
    a = result.assignment
    assert a["phones"] == "cy"
    assert {a["switch"], a["router"]} == {"ada", None}


def test_cpsat_is_never_worse_than_the_greedy_dispatcher() -> None:
    for seed in range(5):
        problem = small(100 + seed, items=12, resources=4)
        greedy_value = evaluate(problem, greedy(problem))
        assert greedy_value is not None
        assert solve_assignment(problem, time_limit=5).objective_cents <= greedy_value


def test_each_assignment_is_explained_in_one_sentence() -> None:
    r = Resource("ada", frozenset({"network"}), 80, Decimal("45"), Decimal("150"), earliest_start=10)
    w = WorkItem("T-7", 20, frozenset({"network"}), {"voip": Decimal(10)}, fix_by=40, billable=True)
    text = explain(AssignmentProblem((w,), (r,)), w, r)
    assert text == (
        "T-7 -> ada: holds the required skills; lacks preferred voip; 2 h cost 90.00 USD, "
        "billable 300.00 USD; 1 h of SLA slack."
    )
    late = WorkItem("T-8", 20, fix_by=15)
    assert "fix-by missed by 1.5 h" in explain(AssignmentProblem((late,), (r,)), late, r)
    assert "left unassigned" in explain(AssignmentProblem((late,), (r,)), late, None)


@pytest.mark.parametrize("seed", range(12))
def test_min_cost_flow_bounds_the_optimum_from_below_and_rounds_to_a_feasible_assignment(seed: int) -> None:
    problem = small(seed)
    best = enumerate_optimum(problem)
    result = flow_assignment(problem)
    value = evaluate(problem, result.assignment)
    assert value is not None  # every hard rule holds after rounding
    assert result.lower_bound_cents <= best <= value


def test_min_cost_flow_is_optimal_when_nothing_is_split() -> None:
    # equal sizes and no balance price: the relaxation is integral, so the rounding changes nothing
    res = tuple(
        Resource(id=f"R{j}", skills=frozenset(SKILLS), available_tenths=20, hourly_cost=Decimal(30 + 10 * j))
        for j in range(3)
    )
    its = tuple(WorkItem(id=f"W{i}", tenths=10, unassigned_cost=Decimal(100)) for i in range(5))
    problem = AssignmentProblem(items=its, resources=res, balance_cost_per_point=Decimal(0))
    result = flow_assignment(problem)
    # two hours each on R0 (30) and R1 (40), one on R2 (50): 60 + 80 + 50 = 190.00
    assert result.split_items == 0
    assert evaluate(problem, result.assignment) == enumerate_optimum(problem) == 19_000
    assert 19_000 - result.lower_bound_cents <= 1
