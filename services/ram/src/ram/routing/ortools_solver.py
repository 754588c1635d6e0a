"""OR-Tools routing for the plans PyVRP cannot express: lunch breaks, locked stops, a fleet limit.

First solution by parallel cheapest insertion, then guided local search for the time given.
Pitfalls of the Python API (OR-Tools 9.x) this module works around: ``SetAllowedVehiclesForIndex``
and ``ApplyLocks`` reject Python lists, so skills go through ``VehicleVar(i).SetValues`` and the
locks through ``ApplyLocksToAllVehicles``, both after ``CloseModelWithParameters``; locks are also
pinned as hard ``NextVar`` values so local search cannot move a stop that is under way.
"""

from __future__ import annotations

import itertools

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from ram.routing.indexed import HORIZON_S, REQUIRED_COST, Budget, IndexedProblem
from ram.routing.plan import RouteChoice
from ram.routing.problem import seconds


def solve_ortools(ip: IndexedProblem, budget: Budget) -> list[RouteChoice]:
    """OR-Tools' guided local search is deterministic for a given model: the seed is not used."""
    n_nodes = 2 * ip.n_techs + len(ip.visits)
    starts = [ip.start_node(t) for t in range(ip.n_techs)]
    ends = [ip.end_node(t) for t in range(ip.n_techs)]
    manager = pywrapcp.RoutingIndexManager(n_nodes, ip.n_techs, starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    service = [0] * n_nodes
    for v in range(len(ip.visits)):
        service[ip.visit_node(v)] = ip.service_s(v)

    # Transits as matrices by node, evaluated inside OR-Tools: the same values as a Python
    # callback (so the same search and plan), without a call into Python per arc evaluated.
    time_idx = routing.RegisterTransitMatrix(
        [[service[a] + int(d) for d in ip.dur[a]] for a in range(n_nodes)]
    )
    routing.AddDimension(time_idx, HORIZON_S, HORIZON_S, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    arc_cost: dict[int, int] = {}  # one matrix per distance cost rate, shared by its technicians
    for t in range(ip.n_techs):
        unit = ip.unit_distance_cost(t)
        if unit not in arc_cost:
            arc_cost[unit] = routing.RegisterTransitMatrix(
                [[unit * int(d) for d in ip.dist[a]] for a in range(n_nodes)]
            )
        routing.SetArcCostEvaluatorOfVehicle(arc_cost[unit], t)
        time_dim.SetSpanCostCoefficientForVehicle(ip.unit_duration_cost(t), t)
        shift = ip.shift(t)
        time_dim.CumulVar(routing.Start(t)).SetRange(shift.start, shift.end)
        time_dim.CumulVar(routing.End(t)).SetRange(shift.start, shift.end)
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.Start(t)))
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(t)))

    demands = [0] * n_nodes
    for v, visit in enumerate(ip.visits):
        demands[ip.visit_node(v)] = visit.demand
    demand_idx = routing.RegisterUnaryTransitVector(demands)
    routing.AddDimensionWithVehicleCapacity(demand_idx, 0, [t.capacity for t in ip.techs], True, "load")

    for v in range(len(ip.visits)):
        index = manager.NodeToIndex(ip.visit_node(v))
        windows = ip.windows(v)
        cumul = time_dim.CumulVar(index)
        cumul.SetRange(windows[0].start, windows[-1].end)
        for a, b in itertools.pairwise(windows):
            if b.start - a.end > 1:
                cumul.RemoveInterval(a.end + 1, b.start - 1)
        penalty = ip.penalty_micro(v)
        routing.AddDisjunction([index], REQUIRED_COST if penalty is None else penalty)
        routing.AddVariableMinimizedByFinalizer(cumul)

    solver = routing.solver()
    node_visit_transits = [service[manager.IndexToNode(i)] for i in range(routing.Size())]
    breaks: dict[int, pywrapcp.IntervalVar] = {}
    for t, tech in enumerate(ip.techs):
        brk = tech.lunch_break
        if brk is None:
            continue
        interval = solver.FixedDurationIntervalVar(
            seconds(brk.earliest), seconds(brk.latest), brk.minutes * 60, True, f"lunch {tech.id}"
        )
        # Taken by whoever is still out when it may start; a day over by then needs none.
        still_out = solver.IsGreaterCstVar(time_dim.CumulVar(routing.End(t)), seconds(brk.earliest))
        solver.Add(interval.PerformedExpr() >= still_out)
        time_dim.SetBreakIntervalsOfVehicle([interval], t, node_visit_transits)
        routing.AddIntervalToAssignment(interval)
        breaks[t] = interval

    if ip.problem.fleet_limit is not None:
        solver.Add(
            solver.Sum([routing.ActiveVehicleVar(t) for t in range(ip.n_techs)]) <= ip.problem.fleet_limit
        )

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(1, int(budget.time_limit * 1000)))
    if budget.iterations is not None:
        # A work bound must end the search by itself. Guided local search counts only improving
        # solutions against the limit, so on a small day it finds the few there are and then runs
        # to the time cap: the plan (and the time taken) would depend on the machine. Greedy
        # descent stops at its local optimum, the same one on any machine.
        params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
        params.solution_limit = max(1, budget.iterations // 10)  # a solution costs ~10 PyVRP iterations
    if budget.first_feasible:
        params.solution_limit = 1
    routing.CloseModelWithParameters(params)

    for v in range(len(ip.visits)):
        allowed = [t for t in range(ip.n_techs) if ip.qualified(t, v)]
        if len(allowed) < ip.n_techs:
            routing.VehicleVar(manager.NodeToIndex(ip.visit_node(v))).SetValues([-1, *allowed])
    locks = [
        [manager.NodeToIndex(ip.visit_node(ip.visit_index[s])) for s in t.locked_stops] for t in ip.techs
    ]
    if any(locks):
        for t, chain in enumerate(locks):
            prev = routing.Start(t)
            for index in chain:
                routing.NextVar(prev).SetValue(index)
                prev = index
        routing.ApplyLocksToAllVehicles(locks, False)

    solution = routing.SolveWithParameters(params)
    if solution is None:
        return [RouteChoice(tech=t, visits=()) for t in range(ip.n_techs)]
    choices = []
    intervals = {t: solution.StartValue(b) for t, b in breaks.items() if solution.PerformedValue(b)}
    for t in range(ip.n_techs):
        index = solution.Value(routing.NextVar(routing.Start(t)))
        visits, starts = [], []
        while not routing.IsEnd(index):
            visits.append(manager.IndexToNode(index) - 2 * ip.n_techs)
            starts.append(solution.Value(time_dim.CumulVar(index)))
            index = solution.Value(routing.NextVar(index))
        brk = intervals.get(t) if visits else None
        timed = brk is not None  # the break's place depends on the solver's own times: keep them
        choices.append(
            RouteChoice(
                tech=t,
                visits=tuple(visits),
                break_start=brk,
                service_starts=tuple(starts) if timed else None,
                route_start=solution.Value(time_dim.CumulVar(routing.Start(t))) if timed else None,
            )
        )
    return choices
