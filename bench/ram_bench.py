"""RAM benchmark: PyVRP against OR-Tools routing, and CP-SAT assignment against a greedy dispatcher,
side by side in one run (ratios and gaps, never timed asserts).

Routing: generated onsite days (``ram.routing.generate``: planar 30 x 30 km, technicians with their
own homes, shifts, skills and costs, a third of the visits windowed, some with two windows; every
visit required) of ``--sizes`` visits (25, 100, 400) with one technician per 8 visits. Each solver
runs once to its first feasible plan (time measured, model building included), then once per
``--limits`` second budget (1, 2, 5, 30). The reference is the best objective (route cost: labour
time + distance) any run found on that instance; the gap of a run is (objective - best) / best.
Every plan goes through the independent checker; an infeasible plan is reported as such.

Public instances: each ``--instances`` VRPLIB file (default Solomon's RC208, 100 customers, shipped
in ``services/ram/bench/instances`` with its best-known solution) is read as a RAM problem
(``ram.routing.vrplib_instance``: distance is the whole objective) and solved by PyVRP with
``--seeds`` seeds as RAM runs it and as it comes (``pyvrp-defaults``: PyVRP's default search, one
vehicle type per technician: the baseline of RAM's tuning) and by OR-Tools once per budget; the
gap is to the best-known routes measured in the same travel model (so rounding conventions cancel
out).

Assignment: ``--tickets`` (2,000) tickets to ``--technicians`` (50) (``ram.assign.generate``),
CP-SAT (``--cpsat-limit`` s, 1 worker) against the greedy dispatcher (most urgent first, to the
cheapest qualified technician with room), both scored by the same objective
(``ram.domain.assignment.evaluate``, in cents), and the min-cost-flow relaxation rounded
(``ram.assign.flow``), whose cost is a lower bound every method is measured against.

    .venv/bin/python bench/ram_bench.py [--sizes 25 100 400] [--limits 1 2 5 30]
                                        [--instances services/ram/bench/instances/RC208.vrp]
                                        [--seeds 3] [--tickets 2000 --technicians 50]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ram.assign.cpsat import solve_assignment
from ram.assign.flow import flow_assignment
from ram.assign.generate import generate_assignment
from ram.domain.assignment import evaluate, greedy
from ram.routing.generate import generate
from ram.routing.solve import solve
from ram.routing.vrplib_instance import best_known, best_known_plan, distance_units, read_vrptw

INSTANCES = Path(__file__).parents[1] / "services" / "ram" / "bench" / "instances"

SOLVERS = ("pyvrp", "pyvrp-defaults", "ortools")
"""``pyvrp-defaults``: PyVRP untuned (its default search, one vehicle type per technician), the
baseline RAM's tuning is measured against in the same run."""


@dataclass
class Run:
    solver: str
    budget: str
    seconds: float
    objective: Decimal
    feasible: bool
    dropped: int


def _solver(name: str) -> dict[str, Any]:
    return {"solver": "ortools" if name == "ortools" else "pyvrp", "pyvrp_defaults": name == "pyvrp-defaults"}


def routing(size: int, limits: list[float], seed: int) -> list[Run]:
    problem = generate(size, max(2, size // 8), seed=seed, optional=False)
    runs: list[Run] = []
    for solver in SOLVERS:
        began = time.perf_counter()
        plan = solve(problem, time_limit=max(limits), first_feasible=True, **_solver(solver))
        runs.append(
            Run(
                solver,
                "first",
                time.perf_counter() - began,
                plan.objective,
                plan.check.feasible,
                len(plan.dropped),
            )
        )
        for limit in limits:
            began = time.perf_counter()
            plan = solve(problem, time_limit=limit, seed=seed, **_solver(solver))
            runs.append(
                Run(
                    solver,
                    f"{limit:g}s",
                    time.perf_counter() - began,
                    plan.objective,
                    plan.check.feasible,
                    len(plan.dropped),
                )
            )
    return runs


def report_routing(size: int, runs: list[Run]) -> None:
    fewest = min(
        r.dropped for r in runs if r.feasible
    )  # a dropped required visit costs nothing: compare like with like
    best = min(r.objective for r in runs if r.feasible and r.dropped == fewest)
    print(f"\n{size} visits, {max(2, size // 8)} technicians; best objective found {best}")
    print("| solver | budget | wall s | objective | gap to best | feasible | dropped |")
    print("|---|---|---:|---:|---:|---|---:|")
    for r in runs:
        # a plan leaving required visits out is cheaper by what it does not do: no gap for it
        gap = f"{(r.objective - best) / best * 100:.2f} %" if r.dropped == fewest else "incomplete"
        print(
            f"| {r.solver} | {r.budget} | {r.seconds:.2f} | {r.objective} | {gap} "
            f"| {r.feasible} | {r.dropped} |"
        )


def public_instance(path: Path, limits: list[float], seeds: int) -> None:
    problem = read_vrptw(path)
    stated, routes = best_known(path.with_suffix(".sol"))
    reference = best_known_plan(problem, routes)
    assert reference.check.feasible, reference.check.violations
    ref = distance_units(reference.distance_m)
    print(
        f"\n{path.stem}: {len(problem.visits)} visits, {len(problem.technicians)} vehicles; best known "
        f"{stated} as published, {ref:.2f} in RAM's travel model (the reference)"
    )
    print("| solver | budget | runs | mean gap | best gap | worst gap | wall s (mean) | all feasible |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for limit in limits:
        for solver, runs in (("pyvrp", seeds), ("pyvrp-defaults", seeds), ("ortools", 1)):
            gaps, walls, feasible = [], [], True
            for seed in range(runs):
                began = time.perf_counter()
                plan = solve(problem, time_limit=limit, seed=seed, **_solver(solver))
                walls.append(time.perf_counter() - began)
                feasible = feasible and plan.check.feasible and not plan.dropped
                gaps.append(100 * (distance_units(plan.distance_m) / ref - 1))
            print(
                f"| {solver} | {limit:g}s | {runs} | {statistics.mean(gaps):.2f} % | {min(gaps):.2f} % "
                f"| {max(gaps):.2f} % | {statistics.mean(walls):.2f} | {feasible} |"
            )


def assignment(tickets: int, technicians: int, limit: float, seed: int) -> None:
    problem = generate_assignment(tickets, technicians, seed)
    began = time.perf_counter()
    base = greedy(problem)
    greedy_s = time.perf_counter() - began
    greedy_value = evaluate(problem, base)
    began = time.perf_counter()
    result = solve_assignment(problem, time_limit=limit)
    cpsat_s = time.perf_counter() - began
    assert greedy_value is not None and evaluate(problem, result.assignment) == result.objective_cents
    assert result.objective_cents <= greedy_value
    unassigned = sum(1 for v in result.assignment.values() if v is None)
    greedy_unassigned = sum(1 for v in base.values() if v is None)
    print(
        f"\nAssignment, {tickets} tickets x {technicians} technicians "
        "(objective in the currency, lower is better)"
    )
    print("| method | wall s | objective | vs greedy | unassigned | status |")
    print("|---|---:|---:|---:|---:|---|")
    print(f"| greedy | {greedy_s:.2f} | {greedy_value / 100:.2f} | 1.000 | {greedy_unassigned} | - |")
    ratio = result.objective_cents / greedy_value if greedy_value else float("nan")
    print(
        f"| CP-SAT | {cpsat_s:.2f} | {result.objective_cents / 100:.2f} | {ratio:.3f} "
        f"| {unassigned} | {result.status} |"
    )
    began = time.perf_counter()
    flow = flow_assignment(problem)
    flow_s = time.perf_counter() - began
    flow_value = evaluate(problem, flow.assignment)
    assert flow_value is not None
    flow_unassigned = sum(1 for v in flow.assignment.values() if v is None)
    print(
        f"| min-cost flow, rounded | {flow_s:.2f} | {flow_value / 100:.2f} | {flow_value / greedy_value:.3f} "
        f"| {flow_unassigned} | {flow.split_items} split items rounded |"
    )
    print(
        f"Lower bound (the flow's cost): {flow.lower_bound_cents / 100:.2f}; CP-SAT within "
        f"{100 * (result.objective_cents / flow.lower_bound_cents - 1):.2f} %, the rounded flow within "
        f"{100 * (flow_value / flow.lower_bound_cents - 1):.2f} % of it."
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="*", default=[25, 100, 400])
    parser.add_argument("--limits", type=float, nargs="+", default=[1, 2, 5, 30])
    parser.add_argument("--instances", type=Path, nargs="*", default=[INSTANCES / "RC208.vrp"])
    parser.add_argument("--seeds", type=int, default=3, help="PyVRP runs per budget on a public instance")
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--technicians", type=int, default=50)
    parser.add_argument("--cpsat-limit", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for size in args.sizes:
        report_routing(size, routing(size, sorted(args.limits), args.seed))
    for path in args.instances:
        public_instance(path, sorted(args.limits), args.seeds)
    assignment(args.tickets, args.technicians, args.cpsat_limit, args.seed)


if __name__ == "__main__":
    main()
