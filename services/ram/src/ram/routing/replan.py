"""Re-plan a day on change (a visit added or cancelled) without moving the stops already under way.

A stop has started when its service start is at or before ``now``; it and every stop before it on
the same route are locked in order at the head of that technician's route, and the technician's
day starts when they left in the plan, so whichever solver re-plans, the technician is not sent
elsewhere mid-visit and the started stops keep their times. Cancelling a started visit is refused:
the work is already being done.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time

from ram.routing.plan import Plan, parse_clock
from ram.routing.problem import RoutingProblem, Visit, seconds


class CannotReplan(ValueError):
    """The change contradicts what is already under way."""


def started_stops(plan: Plan, now: time) -> dict[str, tuple[str, ...]]:
    """Per technician, the stops whose service has started by ``now``, in route order."""
    cutoff = seconds(now)
    out: dict[str, tuple[str, ...]] = {}
    for route in plan.routes:
        done = [s.visit_id for s in route.stops if parse_clock(s.start) <= cutoff]
        if done:
            out[route.technician_id] = tuple(done)
    return out


def replan_problem(
    problem: RoutingProblem,
    previous: Plan,
    now: time,
    *,
    added: Iterable[Visit] = (),
    cancelled: Iterable[str] = (),
) -> RoutingProblem:
    """The problem to solve now: the day's visits with the changes, started stops locked."""
    started = started_stops(previous, now)
    under_way = {v for stops in started.values() for v in stops}
    gone = set(cancelled)
    if gone & under_way:
        raise CannotReplan(
            f"visits already under way cannot be cancelled: {', '.join(sorted(gone & under_way))}"
        )
    visits = [v for v in problem.visits if v.id not in gone] + list(added)
    left_at = {r.technician_id: parse_clock(r.start_time) for r in previous.routes}
    technicians = []
    for t in problem.technicians:
        if t.id in started:  # on the road since the plan's departure: the day now starts there
            leave = left_at[t.id]
            shift = t.shift.model_copy(update={"start": time(leave // 3600, leave % 3600 // 60, leave % 60)})
            technicians.append(t.model_copy(update={"locked_stops": started[t.id], "shift": shift}))
        else:
            technicians.append(t.model_copy(update={"locked_stops": ()}))
    return RoutingProblem.model_validate(
        {
            **problem.model_dump(),
            "visits": [v.model_dump() for v in visits],
            "technicians": [t.model_dump() for t in technicians],
        }
    )
