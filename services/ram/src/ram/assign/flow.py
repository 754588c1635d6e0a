"""The assignment's separable part as a min-cost flow (OR-Tools ``SimpleMinCostFlow``), rounded.

Why: at thousands of tickets CP-SAT's model (one boolean per qualified pair) finds nothing in a
minute; a network-flow relaxation of the same objective solves in well under a second. Each item
sends its hours (tenths) from the source either to a qualified technician (unit cost: its pair
cost per tenth) or straight to the sink (its unassigned penalty per tenth); a technician passes at
most their available tenths. The flow may split an item across technicians, so:

* its cost is a **lower bound** on every assignment's objective (the load-balance term, left out,
  is never negative);
* the assignment is **rounded**: an item carried whole by one technician keeps them; a split item
  goes, costliest penalty first, to the cheapest qualified technician with room left, else stays
  unassigned. The result obeys every hard rule; ``evaluate`` prices it, balance term included.

Per-tenth costs are scaled by ``SCALE`` and rounded to integers (the solver's arithmetic); the
rounding moves the flow's cost by at most half a scaled unit per tenth, so the bound is lowered by
that much (``total tenths / (2 x SCALE)`` cents, rounded up) to stay a bound.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.graph.python import min_cost_flow

from ram.domain.assignment import AssignmentProblem, cents, pair_cents, qualifies

SCALE = 5040


@dataclass(frozen=True)
class FlowResult:
    assignment: dict[str, str | None]
    lower_bound_cents: int
    """The flow's cost: no assignment of this problem costs less (to a cent)."""
    split_items: int
    """Items the flow divided between technicians (rounded afterwards)."""


def flow_assignment(problem: AssignmentProblem) -> FlowResult:
    items, resources = problem.items, problem.resources
    n, m = len(items), len(resources)
    source, sink = n + m, n + m + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    pair_arcs: dict[int, tuple[int, int]] = {}
    total = 0
    for i, w in enumerate(items):
        flow.add_arc_with_capacity_and_unit_cost(source, i, w.tenths, 0)
        flow.add_arc_with_capacity_and_unit_cost(
            i, sink, w.tenths, _per_tenth(cents(w.unassigned_cost), w.tenths)
        )
        for j, r in enumerate(resources):
            if qualifies(r, w):
                arc = flow.add_arc_with_capacity_and_unit_cost(
                    i, n + j, w.tenths, _per_tenth(pair_cents(r, w), w.tenths)
                )
                pair_arcs[arc] = (i, j)
        total += w.tenths
    for j, r in enumerate(resources):
        flow.add_arc_with_capacity_and_unit_cost(n + j, sink, r.available_tenths, 0)
    flow.set_node_supply(source, total)
    flow.set_node_supply(sink, -total)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow: status {status}")  # every item can go to the sink
    carried: dict[int, list[tuple[int, int]]] = {}
    for arc, (i, j) in pair_arcs.items():
        f = flow.flow(arc)
        if f > 0:
            carried.setdefault(i, []).append((f, j))
    left = [r.available_tenths for r in resources]
    out: dict[str, str | None] = {w.id: None for w in items}
    split: list[int] = []
    for i, w in enumerate(items):
        parts = carried.get(i, [])
        if len(parts) == 1 and parts[0][0] == w.tenths:
            j = parts[0][1]
            out[w.id] = resources[j].id
            left[j] -= w.tenths
        elif parts:
            split.append(i)
    split.sort(key=lambda i: (-cents(items[i].unassigned_cost), items[i].id))
    for i in split:
        w = items[i]
        options = [j for j, r in enumerate(resources) if qualifies(r, w) and left[j] >= w.tenths]
        if options:
            j = min(options, key=lambda j: (pair_cents(resources[j], w), resources[j].id))
            if pair_cents(resources[j], w) < cents(w.unassigned_cost):
                out[w.id] = resources[j].id
                left[j] -= w.tenths
    slack = -(-total // (2 * SCALE))
    return FlowResult(out, flow.optimal_cost() // SCALE - slack, len(split))


def _per_tenth(cost_cents: int, tenths: int) -> int:
    return round(cost_cents * SCALE / tenths)
