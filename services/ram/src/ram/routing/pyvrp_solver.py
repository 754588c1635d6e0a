"""PyVRP as the router: each technician a vehicle type of one, skills through per-profile matrices.

Several time windows become a mutually exclusive client group (one copy of the visit per window,
exactly one served, or none for an optional visit); an optional visit's drop penalty is its prize.
Visits no technician could serve alone never reach the solver (they are dropped with a reason).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from pyvrp import Client, ClientGroup, Depot, Location, ProblemData, SolveParams, VehicleType, solve
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.search import NeighbourhoodParams
from pyvrp.stop import FirstFeasible, MaxIterations, MaxRuntime, MultipleCriteria, StoppingCriterion

from ram.routing.indexed import REQUIRED_COST, Budget, IndexedProblem
from ram.routing.plan import RouteChoice

SEARCH = SolveParams(neighbourhood=NeighbourhoodParams(num_neighbours=30))
"""PyVRP's search, tuned for budgets of seconds: 30 granular neighbours instead of 60 (``make
bench-ram``: the same plans sooner on 100-visit days and on Solomon's RC208)."""

UNREACHABLE = 10**9
"""Distance and time into a visit the profile's technicians may not serve: no plan can afford it."""


def solve_pyvrp(ip: IndexedProblem, budget: Budget) -> list[RouteChoice] | None:
    """None when PyVRP ends its budget without a feasible plan even with every visit optional
    (its penalty search can, on a tight day with few iterations): the caller asks OR-Tools."""
    servable = [v for v in range(len(ip.visits)) if ip.alone_feasible[v]]
    choices = _solve(ip, servable, budget, relax_required=False)
    if choices is None:  # the required visits cannot all be served together: drop the fewest
        choices = _solve(ip, servable, budget, relax_required=True)
    return choices


def _solve(
    ip: IndexedProblem,
    servable: list[int],
    budget: Budget,
    *,
    relax_required: bool,
) -> list[RouteChoice] | None:
    n_places = 2 * ip.n_techs + len(ip.visits)
    locations = [Location(x=0, y=0) for _ in range(n_places)]
    depots = [Depot(location=ip.start_node(t)) for t in range(ip.n_techs)]
    depots += [Depot(location=ip.end_node(t)) for t in range(ip.n_techs)]
    clients: list[Client] = []
    groups: list[ClientGroup] = []
    owner: list[int] = []  # client index -> visit index
    for v in servable:
        visit = ip.visits[v]
        penalty = ip.penalty_micro(v)
        required = penalty is None and not relax_required
        prize = REQUIRED_COST if penalty is None else penalty
        windows = ip.windows(v)
        group = None
        if len(windows) > 1:
            group = len(groups)
            groups.append(ClientGroup(required=required))
        for w in windows:
            if group is not None:
                groups[group].add_client(len(clients))
            clients.append(
                Client(
                    location=ip.visit_node(v),
                    delivery=[visit.demand],
                    service_duration=ip.service_s(v),
                    tw_early=w.start,
                    tw_late=w.end,
                    prize=0 if required and group is None else prize,
                    required=required and group is None,
                    group=group,
                    name=visit.id,
                )
            )
            owner.append(v)
    dist = np.array(ip.dist, dtype=np.int64)
    dur = np.array(ip.dur, dtype=np.int64)
    profiles: dict[frozenset[str], int] = {}
    dists: list[Any] = []
    durs: list[Any] = []
    fleets = [[t] for t in range(ip.n_techs)] if budget.pyvrp_defaults else fleet_groups(ip)
    vehicle_types = []
    for members in fleets:
        t, tech = members[0], ip.techs[members[0]]
        if tech.skills not in profiles:
            profiles[tech.skills] = len(dists)
            d, u = dist.copy(), dur.copy()
            for v in servable:
                if not ip.qualified(t, v):
                    d[:, ip.visit_node(v)] = UNREACHABLE
                    u[:, ip.visit_node(v)] = UNREACHABLE
            np.fill_diagonal(d, 0)
            np.fill_diagonal(u, 0)
            dists.append(d)
            durs.append(u)
        shift = ip.shift(t)
        vehicle_types.append(
            VehicleType(
                num_available=len(members),
                capacity=[tech.capacity],
                start_depot=t,
                end_depot=ip.n_techs + t,
                tw_early=shift.start,
                tw_late=shift.end,
                unit_distance_cost=ip.unit_distance_cost(t),
                unit_duration_cost=ip.unit_duration_cost(t),
                profile=profiles[tech.skills],
                name=tech.id,
            )
        )
    data = ProblemData(locations, clients, depots, vehicle_types, dists, durs, groups=groups)
    with warnings.catch_warnings():  # an infeasible first attempt is expected; it is handled below
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        criteria: list[StoppingCriterion] = [MaxRuntime(budget.time_limit)]
        if budget.iterations is not None:
            criteria.append(MaxIterations(budget.iterations))
        if budget.first_feasible:
            criteria.append(FirstFeasible())
        stop = MultipleCriteria(criteria)
        result = solve(
            data,
            stop,
            seed=budget.seed,
            collect_stats=False,
            display=False,
            params=SolveParams() if budget.pyvrp_defaults else SEARCH,
        )
    best = result.best
    if not best.is_feasible():
        return None
    choices = []
    unused = [list(members) for members in fleets]  # a fleet's routes go to its members in order
    for route in best.routes():
        visits = tuple(owner[a.idx] for a in route.schedule() if a.is_client())
        choices.append(RouteChoice(tech=unused[route.vehicle_type()].pop(0), visits=visits))
    return choices


def fleet_groups(ip: IndexedProblem) -> list[list[int]]:
    """Technicians PyVRP cannot tell apart (same start and end place, shift, capacity, skills and
    costs), grouped into one vehicle type of as many vehicles, in roster order.

    One type of k vehicles instead of k types of one: its routes are interchangeable, so the
    search does not waste moves swapping identical vehicles (public VRPTW instances are one such
    fleet; a roster of technicians with their own homes is one type each, as before).
    """
    groups: dict[tuple[Any, ...], list[int]] = {}
    for t, tech in enumerate(ip.techs):
        key = (
            tuple(ip.dist[ip.start_node(t)]),
            tuple(ip.dist[ip.end_node(t)]),
            tuple(ip.dur[ip.start_node(t)]),
            tuple(ip.dur[ip.end_node(t)]),
            ip.shift(t),
            tech.capacity,
            tech.skills,
            ip.unit_distance_cost(t),
            ip.unit_duration_cost(t),
        )
        groups.setdefault(key, []).append(t)
    return list(groups.values())
