"""CP-SAT model of the assignment objective in ``ram.domain.assignment``, term for term.

One boolean per qualified (item, technician) pair and one per item left unassigned; capacity is a
linear constraint per technician; the busiest technician's booking in percentage points is an
integer ``busiest`` with ``busiest * available >= 100 * load`` for each technician, so minimising
it rounds up exactly as ``busiest_points`` does.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from ram.assign.flow import flow_assignment
from ram.domain.assignment import AssignmentProblem, cents, evaluate, greedy, pair_cents, qualifies


@dataclass(frozen=True)
class AssignmentResult:
    assignment: dict[str, str | None]
    objective_cents: int
    optimal: bool
    status: str


def solve_assignment(
    problem: AssignmentProblem,
    *,
    time_limit: float = 10.0,
    workers: int = 1,
    deterministic_time: float | None = None,
) -> AssignmentResult:
    """Minimise the objective; ``deterministic_time`` bounds the search by work (CP-SAT's
    deterministic clock, one worker, fixed seed) so a replay finds the same assignment, with
    ``time_limit`` only as a safety cap."""
    m = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    unassigned: dict[int, cp_model.IntVar] = {}
    terms: list[cp_model.LinearExprT] = []
    for i, w in enumerate(problem.items):
        pairs = []
        for j, r in enumerate(problem.resources):
            if qualifies(r, w):
                x[i, j] = v = m.new_bool_var(f"x{i}_{j}")
                pairs.append(v)
                terms.append(pair_cents(r, w) * v)
        unassigned[i] = u = m.new_bool_var(f"u{i}")
        terms.append(cents(w.unassigned_cost) * u)
        m.add_exactly_one([*pairs, u])
    busiest = m.new_int_var(0, 100, "busiest")
    for j, r in enumerate(problem.resources):
        load = sum(problem.items[i].tenths * v for (i, jj), v in x.items() if jj == j)
        m.add(load <= r.available_tenths)
        if r.available_tenths > 0:
            m.add(busiest * r.available_tenths >= 100 * load)
    terms.append(cents(problem.balance_cost_per_point) * busiest)
    m.minimize(sum(terms))
    # Start from the better of the dispatcher's greedy answer and the rounded min-cost flow: on
    # thousands of tickets the search then improves a feasible assignment instead of looking for one.
    start, source = _start(problem)
    for (i, j), v in x.items():
        m.add_hint(v, start[problem.items[i].id] == problem.resources[j].id)
    for i, u in unassigned.items():
        m.add_hint(u, start[problem.items[i].id] is None)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 0
    if deterministic_time is not None:
        solver.parameters.max_deterministic_time = deterministic_time
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # No assignment within the time (thousands of tickets on a loaded machine): the start
        # stands, said so in the status, rather than no answer at all.
        value = evaluate(problem, start)
        assert value is not None
        return AssignmentResult(
            start, value, optimal=False, status=f"{solver.status_name(status)}: {source} kept"
        )
    out: dict[str, str | None] = {w.id: None for w in problem.items}
    for (i, j), v in x.items():
        if solver.boolean_value(v):
            out[problem.items[i].id] = problem.resources[j].id
    return AssignmentResult(
        assignment=out,
        objective_cents=round(solver.objective_value),
        optimal=status == cp_model.OPTIMAL,
        status=solver.status_name(status),
    )


def _start(problem: AssignmentProblem) -> tuple[dict[str, str | None], str]:
    greedy_start = greedy(problem)
    flow_start = flow_assignment(problem).assignment
    g, f = evaluate(problem, greedy_start), evaluate(problem, flow_start)
    assert g is not None and f is not None  # both obey the hard rules by construction
    return (flow_start, "min-cost flow") if f < g else (greedy_start, "greedy")
