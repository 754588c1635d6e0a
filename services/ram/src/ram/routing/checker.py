"""The independent feasibility checker every plan passes before it is returned or published.

It reads only the problem and the plan document: travel comes from the problem's own distance
model, times from the plan's clock strings, and nothing from either solver. Each rule below is one
kind of violation, named in the message so a test (or a dispatcher) can tell which rule failed.
"""

from __future__ import annotations

from ram.routing.indexed import IndexedProblem
from ram.routing.plan import Check, Plan, Route, parse_clock
from ram.routing.problem import LunchBreak, RoutingProblem, seconds

RULES = (
    "unknown",  # a technician or visit the problem does not have
    "served-twice",  # a visit on two routes, or twice on one
    "unaccounted",  # a visit neither served nor reported dropped (or both)
    "skills",  # the technician lacks a skill the visit requires
    "window",  # service starts outside every time window of the visit
    "travel",  # a stop is reached sooner than travel from the previous place allows
    "service",  # the technician leaves before the service time is done
    "shift",  # the route leaves before the shift starts or ends after it ends
    "capacity",  # the demand on a route exceeds the technician's capacity
    "break",  # the lunch break is missing, outside its window, too short or overlaps work
    "locked",  # stops under way are not kept first on their technician's route, in order
    "fleet",  # more technicians go out than the fleet limit allows
    "totals",  # the distance reported for a route is not the distance of its stops
)


def check(problem: RoutingProblem, plan: Plan) -> Check:
    ip = IndexedProblem(problem)
    out: list[str] = []
    served: dict[str, str] = {}
    for route in plan.routes:
        t = ip.tech_index.get(route.technician_id)
        if t is None:
            out.append(f"unknown: technician {route.technician_id!r}")
            continue
        out += _route(ip, t, route, served)
    dropped = [d.visit_id for d in plan.dropped]
    for vid in dropped:
        if vid not in ip.visit_index:
            out.append(f"unknown: dropped visit {vid!r}")
        elif vid in served:
            out.append(f"unaccounted: visit {vid} is both served and reported dropped")
    if len(set(dropped)) != len(dropped):
        out.append("unaccounted: a visit is reported dropped twice")
    for v in problem.visits:
        if v.id not in served and v.id not in dropped:
            out.append(f"unaccounted: visit {v.id} is neither served nor reported dropped")
    used = sum(1 for r in plan.routes if r.stops)
    if problem.fleet_limit is not None and used > problem.fleet_limit:
        out.append(f"fleet: {used} technicians go out, the limit is {problem.fleet_limit}")
    return Check(feasible=not out, violations=out)


def _route(ip: IndexedProblem, t: int, route: Route, served: dict[str, str]) -> list[str]:
    tech = ip.techs[t]
    out: list[str] = []
    who = f"technician {tech.id}"
    shift = ip.shift(t)
    leave, end = parse_clock(route.start_time), parse_clock(route.end_time)
    if leave < shift.start:
        out.append(f"shift: {who} leaves at {route.start_time}, before the shift starts")
    if end > shift.end:
        out.append(f"shift: {who} is back at {route.end_time}, after the shift ends")
    gaps: list[tuple[int, int, int]] = []  # (leave previous place, reach next work, travel)
    node, depart = ip.start_node(t), leave
    load, distance = 0, 0
    visits: list[str] = []
    for stop in route.stops:
        v = ip.visit_index.get(stop.visit_id)
        if v is None:
            out.append(f"unknown: visit {stop.visit_id!r} on {who}'s route")
            continue
        if stop.visit_id in served:
            out.append(f"served-twice: visit {stop.visit_id} (also on {served[stop.visit_id]}'s route)")
        served[stop.visit_id] = tech.id
        visits.append(stop.visit_id)
        visit = ip.visits[v]
        if not visit.skills <= tech.skills:
            missing = ", ".join(sorted(visit.skills - tech.skills))
            out.append(f"skills: {who} lacks {missing} for visit {visit.id}")
        start, leave_stop = parse_clock(stop.start), parse_clock(stop.departure)
        if not any(w.start <= start <= w.end for w in ip.windows(v)):
            out.append(f"window: visit {visit.id} starts at {stop.start}, outside its time windows")
        nxt = ip.visit_node(v)
        travel = ip.dur[node][nxt]
        gaps.append((depart, start, travel))
        if start < depart + travel:
            out.append(
                f"travel: {who} starts visit {visit.id} at {stop.start}, {travel}s of travel after {depart}s"
            )
        if leave_stop < start + ip.service_s(v):
            out.append(f"service: {who} leaves visit {visit.id} before its {visit.service_minutes} minutes")
        load += visit.demand
        distance += ip.dist[node][nxt]
        node, depart = nxt, leave_stop
    last_travel = ip.dur[node][ip.end_node(t)]
    distance += ip.dist[node][ip.end_node(t)]
    gaps.append((depart, end, last_travel))
    if end < depart + last_travel:
        out.append(f"travel: {who} is back at {route.end_time}, sooner than travel allows")
    if load > tech.capacity:
        out.append(f"capacity: {who} carries {load}, capacity {tech.capacity}")
    if route.stops and distance != route.distance_m:
        out.append(f"totals: {who}'s route is {distance} m, the plan says {route.distance_m} m")
    if tech.locked_stops and tuple(visits[: len(tech.locked_stops)]) != tech.locked_stops:
        out.append(f"locked: {who}'s route does not begin with {', '.join(tech.locked_stops)}")
    out += _break(tech.id, tech.lunch_break, route, gaps)
    return out


def _break(who: str, rule: LunchBreak | None, route: Route, gaps: list[tuple[int, int, int]]) -> list[str]:
    if rule is None or not route.stops:
        return []
    end = parse_clock(route.end_time)
    if route.lunch_break is None:
        if end > seconds(rule.earliest):
            return [f"break: technician {who} works past {rule.earliest} without a lunch break"]
        return []
    bs, be = parse_clock(route.lunch_break.start), parse_clock(route.lunch_break.end)
    out = []
    if not seconds(rule.earliest) <= bs <= seconds(rule.latest):
        out.append(f"break: technician {who}'s break starts at {route.lunch_break.start}, outside its window")
    if be - bs < rule.minutes * 60:
        out.append(f"break: technician {who}'s break is shorter than {rule.minutes} minutes")
    # It must sit in one gap between pieces of work, leaving enough of the gap to drive.
    if not any(d <= bs and be <= a and (bs - d) + (a - be) >= travel for d, a, travel in gaps):
        out.append(f"break: technician {who}'s break overlaps service or leaves no time to travel")
    return out
