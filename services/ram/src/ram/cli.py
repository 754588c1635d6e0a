"""``msp-ram``: plan a day of onsite visits from one JSON problem file, as the agent does.

``route`` refuses a malformed problem with one line per field at fault (exit 2) and writes the plan
with the checker's verdict; it exits 1 when the checker rejects the plan, so a script never
dispatches an infeasible one.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ram.routing.problem import ProblemError, parse_problem
from ram.routing.solve import SolverCannotExpress, SolverChoice, solve


def route(args: argparse.Namespace) -> int:
    try:
        problem = parse_problem(Path(args.problem).read_bytes())
    except OSError as exc:
        print(f"msp-ram: cannot read {args.problem}: {exc.strerror}", file=sys.stderr)
        return 2
    except ProblemError as exc:
        print(f"msp-ram: {args.problem}: {exc}", file=sys.stderr)
        return 2
    solver: SolverChoice = args.solver or "auto"
    try:
        plan = solve(problem, time_limit=args.time_limit, seed=args.seed, solver=solver)
    except SolverCannotExpress as exc:
        print(f"msp-ram: {exc}", file=sys.stderr)
        return 2
    Path(args.out).write_text(plan.model_dump_json(indent=2) + "\n")
    served = sum(len(r.stops) for r in plan.routes)
    verdict = "feasible" if plan.check.feasible else "INFEASIBLE: " + "; ".join(plan.check.violations)
    print(
        f"{plan.solver}: {served} visits on {len(plan.routes)} routes, {len(plan.dropped)} dropped, "
        f"objective {plan.objective} {plan.currency}, {verdict} -> {args.out}"
    )
    return 0 if plan.check.feasible else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="msp-ram", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("route", help="plan the onsite visits of one day")
    r.add_argument("--problem", required=True, help="the problem JSON (format: services/ram/README.md)")
    r.add_argument("--out", required=True, help="where to write the plan JSON")
    r.add_argument("--time-limit", type=float, default=5.0, help="seconds of search (default 5)")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument(
        "--solver",
        choices=["pyvrp", "ortools"],
        default=None,
        help="default: PyVRP unless it cannot express the problem",
    )
    r.set_defaults(func=route)
    args = parser.parse_args(argv)
    return int(args.func(args))


def entry() -> None:
    sys.exit(main())
