"""RAM benchmark: PyVRP against OR-Tools routing, and CP-SAT assignment against a greedy dispatcher,
side by side in one run (ratios and gaps, never timed asserts).

Routing: generated onsite days (``ram.routing.generate``: planar 30 x 30 km, technicians with their
own homes, shifts, skills and costs, a third of the visits windowed, some with two windows; every
visit required) of ``--sizes`` visits (25, 100, 400) with one technician per 8 visits. Each solver
runs once to its first feasible plan (time measured, model building included), then once per
``--limits`` second budget (1, 2, 5, 30). The reference is the best objective (route cost: labour
time + distance) any run found on that instance; the gap of a run is (objective - best) / best.
Every plan goes through the independent checker; an infeasible plan is reported as such.

Assignment: ``--tickets`` (2,000) tickets to ``--technicians`` (50) (``ram.assign.generate``),
CP-SAT (``--cpsat-limit`` s, 1 worker) against the greedy dispatcher (most urgent first, to the
cheapest qualified technician with room), both scored by the same objective
(``ram.domain.assignment.evaluate``, in cents), and the min-cost-flow relaxation rounded
(``ram.assign.flow``), whose cost is a lower bound every method is measured against.

    .venv/bin/python bench/ram_bench.py [--sizes 25 100 400] [--limits 1 2 5 30]
                                        [--tickets 2000 --technicians 50]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from decimal import Decimal

from ram.assign.cpsat import solve_assignment
from ram.assign.flow import flow_assignment
from ram.assign.generate import generate_assignment
from ram.domain.assignment import evaluate, greedy
from ram.routing.generate import generate
from ram.routing.solve import solve

SOLVERS = ("pyvrp", "ortools")


@dataclass
class Run:
    solver: str
    budget: str
    seconds: float
    objective: Decimal
    feasible: bool
    dropped: int


def routing(size: int, limits: list[float], seed: int) -> list[Run]:
    problem = generate(size, max(2, size // 8), seed=seed, optional=False)
    runs: list[Run] = []
    for solver in SOLVERS:
        began = time.perf_counter()
        plan = solve(problem, time_limit=max(limits), solver=solver, first_feasible=True)  # type: ignore[arg-type]
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
            plan = solve(problem, time_limit=limit, solver=solver, seed=seed)  # type: ignore[arg-type]
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
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--technicians", type=int, default=50)
    parser.add_argument("--cpsat-limit", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for size in args.sizes:
        report_routing(size, routing(size, sorted(args.limits), args.seed))
    assignment(args.tickets, args.technicians, args.cpsat_limit, args.seed)


if __name__ == "__main__":
    main()
