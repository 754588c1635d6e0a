"""The plan document (``plan.json``) and how it is built from the stop sequences a solver returns.

Solvers decide *who goes where in which order*; the times are worked out here the same way for
both: each stop starts as early as its windows allow, and the technician leaves the start place
as late as possible without delaying the first stop (no paid waiting at the door). OR-Tools plans
with a lunch break pass the break start the solver chose.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ram.routing.indexed import IndexedProblem

CENT = Decimal("0.01")
Solver = Literal["pyvrp", "ortools"]


def clock(s: int) -> str:
    """Seconds since midnight as HH:MM:SS (hours past 23 for work running into the next day)."""
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def parse_clock(text: str) -> int:
    h, m, s = (int(x) for x in text.split(":"))
    return h * 3600 + m * 60 + s


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Stop(Frozen):
    visit_id: str
    arrival: str
    start: str = Field(description="service starts (within one of the visit's windows)")
    departure: str
    wait_minutes: int


class Break(Frozen):
    start: str
    end: str


class Route(Frozen):
    technician_id: str
    start_time: str = Field(description="leaves the start place")
    end_time: str = Field(description="arrives at the end place")
    stops: list[Stop]
    lunch_break: Break | None = None
    distance_m: int
    duration_minutes: int
    cost: Decimal


class Dropped(Frozen):
    visit_id: str
    required: bool
    penalty: Decimal | None
    reason: str


class Check(Frozen):
    feasible: bool
    violations: list[str]


class Plan(Frozen):
    date: str
    solver: Solver
    solver_note: str
    currency: str
    routes: list[Route]
    dropped: list[Dropped]
    distance_m: int
    duration_minutes: int
    route_cost: Decimal
    drop_penalties: Decimal
    objective: Decimal = Field(description="route cost + drop penalties: what the solvers minimise")
    check: Check


@dataclass(frozen=True)
class RouteChoice:
    """What a solver decided for one technician: the visits in order, and the break start if any."""

    tech: int
    visits: tuple[int, ...]
    break_start: int | None = None
    service_starts: tuple[int, ...] | None = None
    """The solver's own service start times, used with a break (whose place depends on them)."""
    route_start: int | None = None


def route_cost(ip: IndexedProblem, tech: int, distance_m: int, duration_s: int) -> Decimal:
    t = ip.techs[tech]
    raw = t.cost_per_km * Decimal(distance_m) / 1000 + t.cost_per_hour * Decimal(duration_s) / 3600
    return raw.quantize(CENT, rounding=ROUND_HALF_UP)


def schedule(ip: IndexedProblem, choice: RouteChoice) -> Route:
    """Times for one route: the departure that makes the day shortest, then each stop as early as
    its windows allow; the break where the solver put it (its route then leaves at shift start)."""
    t = choice.tech
    shift = ip.shift(t)
    brk = ip.techs[t].lunch_break
    brk_len = 0 if brk is None else brk.minutes * 60
    brk_start = choice.break_start
    leave = shift.start if choice.route_start is None else choice.route_start
    starts, end, distance = _forward(ip, choice, leave)
    if brk_start is None and choice.visits and not ip.techs[t].locked_stops:  # started: it left already
        for depart in _departures(ip, choice, shift.start):
            later, later_end, _ = _forward(ip, choice, depart)
            fits = all(_within(ip, v, b) for v, (_, b, _) in zip(choice.visits, later, strict=True))
            if fits and later_end <= shift.end and later_end - depart < end - leave:
                leave, starts, end = depart, later, later_end
    stops = [
        Stop(
            visit_id=ip.visits[v].id,
            arrival=clock(a),
            start=clock(b),
            departure=clock(d),
            wait_minutes=(b - a) // 60,
        )
        for v, (a, b, d) in zip(choice.visits, starts, strict=True)
    ]
    duration = end - leave
    return Route(
        technician_id=ip.techs[t].id,
        start_time=clock(leave),
        end_time=clock(end),
        stops=stops,
        lunch_break=None
        if brk_start is None
        else Break(start=clock(brk_start), end=clock(brk_start + brk_len)),
        distance_m=distance,
        duration_minutes=-(-duration // 60),
        cost=route_cost(ip, t, distance, duration),
    )


def _forward(
    ip: IndexedProblem, choice: RouteChoice, depart: int
) -> tuple[list[tuple[int, int, int]], int, int]:
    """(arrival, start, departure) per stop, the arrival at the end place and the distance."""
    t = choice.tech
    node = ip.start_node(t)
    brk = ip.techs[t].lunch_break
    brk_len = 0 if brk is None else brk.minutes * 60
    brk_start = choice.break_start
    starts: list[tuple[int, int, int]] = []
    brk_done = brk_start is None
    distance = 0
    for k, v in enumerate(choice.visits):
        nxt = ip.visit_node(v)
        travel = ip.dur[node][nxt]
        arrival = ready = depart + travel
        if not brk_done and brk_start is not None and brk_start < _begin(ip, v, arrival):
            # The break falls in this gap: drive until it starts, break, drive on (or break on site).
            before = max(0, brk_start - depart)
            if before < travel:
                arrival = brk_start + brk_len + (travel - before)
            ready = max(arrival, brk_start + brk_len)
            brk_done = True
        begin = _begin(ip, v, ready)
        if choice.service_starts is not None:
            begin = max(begin, choice.service_starts[k])
        starts.append((arrival, begin, begin + ip.service_s(v)))
        distance += ip.dist[node][nxt]
        depart, node = begin + ip.service_s(v), nxt
    end_node = ip.end_node(t)
    travel = ip.dur[node][end_node]
    end = depart + travel
    distance += ip.dist[node][end_node]
    if not brk_done and brk_start is not None:
        before = max(0, brk_start - depart)
        end = brk_start + brk_len + (travel - before) if before < travel else max(end, brk_start + brk_len)
    return starts, end, distance


def _departures(ip: IndexedProblem, choice: RouteChoice, earliest: int) -> list[int]:
    """Departures worth trying: those that reach some stop exactly as one of its windows opens
    (driving and working without a wait until then); the shortest day starts at one of them."""
    out: set[int] = set()
    node, offset = ip.start_node(choice.tech), 0
    for v in choice.visits:
        nxt = ip.visit_node(v)
        offset += ip.dur[node][nxt]
        out.update(w.start - offset for w in ip.windows(v) if w.start - offset > earliest)
        offset += ip.service_s(v)
        node = nxt
    return sorted(out)


def _within(ip: IndexedProblem, visit: int, start: int) -> bool:
    return any(w.start <= start <= w.end for w in ip.windows(visit))


def _begin(ip: IndexedProblem, visit: int, arrival: int) -> int:
    """Earliest service start at or after ``arrival``; past the last window, the arrival itself."""
    for w in ip.windows(visit):
        if arrival <= w.end:
            return max(arrival, w.start)
    return arrival


def drop_reason(ip: IndexedProblem, visit: int) -> str:
    return ip.unservable_reason(visit) or (
        "serving it would cost more than its drop penalty, or shifts, capacity and the fleet are taken"
        " by visits worth more"
    )


def assemble(ip: IndexedProblem, choices: list[RouteChoice], solver: Solver, note: str) -> Plan:
    """The plan from the solver's choices; the ``check`` field is filled in by the checker."""
    from ram.routing.checker import check  # the checker reads plans; it must not be built from them

    routes = [schedule(ip, c) for c in sorted(choices, key=lambda c: c.tech) if c.visits]
    served = {v for c in choices for v in c.visits}
    dropped = [
        Dropped(
            visit_id=ip.visits[v].id,
            required=ip.visits[v].required,
            penalty=ip.problem.drop_penalty(ip.visits[v]),
            reason=drop_reason(ip, v),
        )
        for v in range(len(ip.visits))
        if v not in served
    ]
    cost = sum((r.cost for r in routes), Decimal(0))
    penalties = sum((d.penalty or Decimal(0) for d in dropped), Decimal(0))
    unchecked = Plan(
        date=ip.problem.date.isoformat(),
        solver=solver,
        solver_note=note,
        currency=ip.problem.currency,
        routes=routes,
        dropped=dropped,
        distance_m=sum(r.distance_m for r in routes),
        duration_minutes=sum(r.duration_minutes for r in routes),
        route_cost=cost,
        drop_penalties=penalties,
        objective=cost + penalties,
        check=Check(feasible=False, violations=["not checked yet"]),
    )
    verdict = check(ip.problem, unchecked)
    return unchecked.model_copy(update={"check": verdict})
