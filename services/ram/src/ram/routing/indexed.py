"""The problem as the solvers see it: integer matrices over places, integer costs, service times.

Places are laid out as [each technician's start, each technician's end, each visit], so node
numbers are the same for both solvers and the plan builder. Money becomes integer micro-units of
the problem's currency (solvers need integers); the plan reports cost again in exact decimals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from ram.routing.problem import RoutingProblem, Technician, Visit, seconds
from ram.routing.travel import TravelModel, travel_model

MICRO = Decimal(1_000_000)
DAY_S = 24 * 3600
HORIZON_S = 2 * DAY_S
"""Service may run past midnight of a late window; nothing is planned beyond the next day."""


REQUIRED_COST = 10**13
"""What leaving a required visit out costs a solver: only done when it cannot be fitted at all
(the plan then reports it dropped, with the reason)."""


@dataclass(frozen=True)
class Budget:
    """How long a solver searches: seconds, or work (``iterations``, the same plan on any machine),
    or until its first feasible plan; whichever comes first."""

    time_limit: float
    seed: int = 0
    iterations: int | None = None
    first_feasible: bool = False
    pyvrp_defaults: bool = False
    """PyVRP as it comes (its default search, one vehicle type per technician): the benchmark's
    baseline for RAM's tuning."""


def micro(amount: Decimal) -> int:
    return int((amount * MICRO).to_integral_value())


@dataclass(frozen=True)
class Window:
    start: int
    end: int


class IndexedProblem:
    def __init__(self, problem: RoutingProblem, travel: TravelModel | None = None) -> None:
        self.problem = problem
        self.techs: tuple[Technician, ...] = problem.technicians
        self.visits: tuple[Visit, ...] = problem.visits
        self.n_techs = len(self.techs)
        places = [t.start for t in self.techs] + [t.end_place for t in self.techs]
        places += [v.location for v in self.visits]
        self.dist, self.dur = (travel or travel_model(problem)).matrices(places)
        self.visit_index = {v.id: i for i, v in enumerate(self.visits)}
        self.tech_index = {t.id: i for i, t in enumerate(self.techs)}

    def start_node(self, tech: int) -> int:
        return tech

    def end_node(self, tech: int) -> int:
        return self.n_techs + tech

    def visit_node(self, visit: int) -> int:
        return 2 * self.n_techs + visit

    def service_s(self, visit: int) -> int:
        return self.visits[visit].service_minutes * 60

    def windows(self, visit: int) -> list[Window]:
        v = self.visits[visit]
        if not v.time_windows:
            return [Window(0, HORIZON_S)]
        return sorted(
            (Window(seconds(w.start), seconds(w.end)) for w in v.time_windows), key=lambda w: w.start
        )

    def shift(self, tech: int) -> Window:
        s = self.techs[tech].shift
        return Window(seconds(s.start), seconds(s.end))

    def qualified(self, tech: int, visit: int) -> bool:
        return self.visits[visit].skills <= self.techs[tech].skills

    @cached_property
    def cost_unit(self) -> int:
        """The greatest common divisor of every cost coefficient, in micro-units.

        Solver costs are divided by it: an objective scaled by a million would dwarf PyVRP's
        time-warp penalties (it then cannot find a feasible plan), and the ratios are unchanged.
        """
        values = [micro(self.techs[t].cost_per_km) // 1000 for t in range(self.n_techs)]
        values += [micro(self.techs[t].cost_per_hour) // 3600 for t in range(self.n_techs)]
        values += [micro(p) for v in self.visits if (p := self.problem.drop_penalty(v)) is not None]
        return math.gcd(*values) or 1

    def penalty_micro(self, visit: int) -> int | None:
        """The drop penalty in solver units (see ``cost_unit``)."""
        penalty = self.problem.drop_penalty(self.visits[visit])
        return None if penalty is None else micro(penalty) // self.cost_unit

    def unit_distance_cost(self, tech: int) -> int:
        """Solver units per metre."""
        return micro(self.techs[tech].cost_per_km) // 1000 // self.cost_unit

    def unit_duration_cost(self, tech: int) -> int:
        """Solver units per second."""
        return micro(self.techs[tech].cost_per_hour) // 3600 // self.cost_unit

    @cached_property
    def alone_feasible(self) -> dict[int, list[int]]:
        """For each visit, the technicians who could serve it on a route of its own.

        A visit no technician could serve alone cannot be in any plan: it is dropped before the
        solvers see it, with the reason (skills, or windows against shifts and travel, or demand).
        """
        out: dict[int, list[int]] = {}
        for v in range(len(self.visits)):
            ok = []
            for t in range(self.n_techs):
                if not self.qualified(t, v) or self.visits[v].demand > self.techs[t].capacity:
                    continue
                shift = self.shift(t)
                arrive = shift.start + self.dur[self.start_node(t)][self.visit_node(v)]
                for w in self.windows(v):
                    begin = max(arrive, w.start)
                    back = begin + self.service_s(v) + self.dur[self.visit_node(v)][self.end_node(t)]
                    if begin <= w.end and back <= shift.end:
                        ok.append(t)
                        break
            out[v] = ok
        return out

    def unservable_reason(self, visit: int) -> str | None:
        if self.alone_feasible[visit]:
            return None
        v = self.visits[visit]
        if not any(self.qualified(t, visit) for t in range(self.n_techs)):
            return f"no technician holds the skills {', '.join(sorted(v.skills))}"
        if not any(
            self.qualified(t, visit) and v.demand <= self.techs[t].capacity for t in range(self.n_techs)
        ):
            return f"its demand {v.demand} exceeds the capacity of every qualified technician"
        return "no qualified technician can reach it within a time window and be back by the end of the shift"
