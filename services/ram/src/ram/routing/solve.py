"""Solve a routing problem: pick the solver, run it, build the plan and have it checked."""

from __future__ import annotations

from typing import Literal

from ram.routing.indexed import Budget, IndexedProblem
from ram.routing.ortools_solver import solve_ortools
from ram.routing.plan import Plan, assemble
from ram.routing.problem import RoutingProblem
from ram.routing.travel import TravelModel

SolverChoice = Literal["auto", "pyvrp", "ortools"]


class NoFeasiblePlan(RuntimeError):
    """PyVRP, asked for by name, ended its budget without any feasible plan."""


class SolverCannotExpress(ValueError):
    """PyVRP was asked for, but the problem has a constraint only OR-Tools can express."""


def solve(
    problem: RoutingProblem,
    *,
    time_limit: float = 5.0,
    seed: int = 0,
    solver: SolverChoice = "auto",
    travel: TravelModel | None = None,
    iterations: int | None = None,
    first_feasible: bool = False,
    pyvrp_defaults: bool = False,
) -> Plan:
    """The best plan found within ``time_limit`` seconds, with the checker's verdict in ``check``.

    ``iterations`` bounds the search by work done instead (PyVRP iterations, OR-Tools solutions),
    so the same problem gives the same plan on any machine: the service plans that way, because a
    replayed log must publish the same plans; ``time_limit`` then only caps a slow machine.
    ``first_feasible`` stops at the first feasible plan (the benchmark's time to a first plan);
    ``pyvrp_defaults`` runs PyVRP untuned (the benchmark's baseline).
    """
    ip = IndexedProblem(problem, travel)
    budget = Budget(time_limit, seed, iterations, first_feasible, pyvrp_defaults)
    needs = problem.needs_ortools()
    if solver == "pyvrp" and needs:
        raise SolverCannotExpress(f"PyVRP cannot express {', '.join(needs)}; use --solver ortools or auto")
    if solver == "ortools" or (solver == "auto" and needs):
        note = (
            "asked for OR-Tools"
            if solver == "ortools"
            else f"OR-Tools: PyVRP cannot express {', '.join(needs)}"
        )
        return assemble(ip, solve_ortools(ip, budget), "ortools", note)
    from ram.routing.pyvrp_solver import solve_pyvrp

    choices = solve_pyvrp(ip, budget)
    if choices is None and solver == "auto":
        note = "OR-Tools: PyVRP found no feasible plan within its budget"
        return assemble(ip, solve_ortools(ip, budget), "ortools", note)
    if choices is None:
        raise NoFeasiblePlan("PyVRP found no feasible plan within its budget; try --solver ortools or auto")
    return assemble(ip, choices, "pyvrp", "PyVRP (hybrid genetic search)")
