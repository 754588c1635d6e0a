"""Public VRPTW benchmark instances (Solomon, Gehring & Homberger) as RAM routing problems.

The instances are VRPLIB files (read by ``vrplib``, the format PyVRP's authors maintain). Each
becomes one of our problems, so the benchmark measures the router the service runs (problem ->
indexed problem -> solver -> plan -> checker), not a bare solver:

* every vehicle a technician at the depot, with the depot's window as shift and the capacity;
* one coordinate unit is 60 m and travel runs at 1 m/s (``planar``, no speed: seconds = metres),
  so a unit of distance takes a minute, the instances' time unit, and windows are clock minutes;
* the cost is 1 per km and 0 per hour, so the objective is distance alone, as the best-known
  values are; ``distance_units`` converts a plan's metres back to the instance's units.

Solomon's windows bound the start of service, as ours do; the depot's closing time bounds the
return, as a shift's end does.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any

import vrplib

from ram.routing.indexed import IndexedProblem
from ram.routing.plan import Plan, RouteChoice, assemble
from ram.routing.problem import RoutingProblem

UNIT_M = 60
"""Metres per coordinate unit: a unit of distance is a minute of travel at 1 m/s."""


def _clock(minutes: int) -> str:
    minutes = min(int(minutes), 24 * 60 - 1)
    return time(minutes // 60, minutes % 60).isoformat()


def _place(xy: Any) -> dict[str, float]:
    return {"x": float(xy[0]), "y": float(xy[1])}


def read_vrptw(path: Path) -> RoutingProblem:
    """A VRPLIB VRPTW instance (one depot) as a routing problem; the problem's date is arbitrary."""
    inst = vrplib.read_instance(str(path))
    depot = int(inst["depot"][0])
    coords, demand, windows = inst["node_coord"], inst["demand"], inst["time_window"]
    service = inst["service_time"]
    n = int(inst["dimension"])

    def service_of(i: int) -> int:
        return int(service if isinstance(service, int | float) else service[i])

    shift = {"start": _clock(windows[depot][0]), "end": _clock(windows[depot][1])}
    doc = {
        "date": "2026-01-05",
        "currency": "USD",
        "distance": {"model": "planar", "unit_m": UNIT_M, "rounding": "nearest"},
        "technicians": [
            {
                "id": f"vehicle-{k + 1:03d}",
                "shift": shift,
                "start": _place(coords[depot]),
                "capacity": int(inst["capacity"]),
                "cost_per_km": "1",
            }
            for k in range(int(inst["vehicles"]))
        ],
        "visits": [
            {
                "id": str(i),
                "location": _place(coords[i]),
                "service_minutes": service_of(i),
                "time_windows": [{"start": _clock(windows[i][0]), "end": _clock(windows[i][1])}],
                "demand": int(demand[i]),
            }
            for i in range(n)
            if i != depot
        ],
    }
    return RoutingProblem.model_validate(doc)


def distance_units(distance_m: int) -> float:
    """A plan's distance in the instance's own units (what best-known values are stated in)."""
    return distance_m / UNIT_M


def best_known(path: Path) -> tuple[float, list[list[int]]]:
    """The best-known solution shipped beside an instance (``.sol``): its cost and routes."""
    sol = vrplib.read_solution(str(path))
    return float(sol["cost"]), [list(map(int, r)) for r in sol["routes"]]


def best_known_plan(problem: RoutingProblem, routes: list[list[int]]) -> Plan:
    """The best-known routes (customer numbers, as ``best_known`` reads them) as a checked plan of
    ``problem``: the reference a solver's plans are measured against, in the same travel model."""
    choices = [RouteChoice(tech=k, visits=tuple(c - 1 for c in r)) for k, r in enumerate(routes)]
    return assemble(IndexedProblem(problem), choices, "pyvrp", "best known")
