"""Assigning tickets and visits to technicians: the rules, the one objective, and its explanation.

Hard rules: the technician holds every required skill, is available (has hours in the horizon,
net of shifts, PTO and holidays) and is not booked beyond those hours. Everything else is priced in
the problem's currency, and the solver minimises one sum over the horizon:

    objective = labour cost of the assigned hours
              - revenue of billable (non-covered) work at the technician's rate
              + missing preferred skills (their weights)
              + SLA breach cost where the technician cannot finish before fix-by
              + load balance: a price per percentage point of the busiest technician's booking
              + the unassigned penalty of each ticket left without a technician

Hours are tenths (integers) and money cents, so the CP-SAT model and the evaluator here agree to
the cent; ``evaluate`` is what the enumeration tests and the greedy baseline use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class WorkItem:
    """A ticket or visit to assign: hours in tenths, times in tenths of an hour from now."""

    id: str
    tenths: int
    required_skills: frozenset[str] = frozenset()
    preferred_skills: Mapping[str, Decimal] = field(default_factory=dict)
    """Skill -> what having it is worth on this item (a missing one costs its weight)."""
    fix_by: int | None = None
    """Tenths of an hour from now by which it must be done; None: no SLA."""
    sla_breach_cost: Decimal = Decimal(0)
    billable: bool = False
    """False when the client's agreement covers it: no revenue beyond the agreement."""
    unassigned_cost: Decimal = Decimal(1000)
    client_id: str | None = None


@dataclass(frozen=True)
class Resource:
    """A technician as assignment sees them."""

    id: str
    skills: frozenset[str]
    available_tenths: int
    """Hours in the horizon, net of shifts, PTO and holidays, and of work already booked."""
    hourly_cost: Decimal
    hourly_rate: Decimal = Decimal(0)
    """What an hour is billed at when the work is billable."""
    earliest_start: int = 0
    """Tenths of an hour from now until they can start (shift start, PTO, current job)."""


@dataclass(frozen=True)
class AssignmentProblem:
    items: tuple[WorkItem, ...]
    resources: tuple[Resource, ...]
    balance_cost_per_point: Decimal = Decimal("1.00")
    currency: str = "USD"


def qualifies(r: Resource, w: WorkItem) -> bool:
    """The hard rules for one pair (capacity is checked over the whole assignment)."""
    return w.required_skills <= r.skills and 0 < w.tenths <= r.available_tenths


def slack(r: Resource, w: WorkItem) -> int | None:
    """Tenths of an hour left before fix-by if ``r`` starts now-ish; negative: the SLA is at risk."""
    return None if w.fix_by is None else w.fix_by - (r.earliest_start + w.tenths)


def pair_cents(r: Resource, w: WorkItem) -> int:
    """The pair's part of the objective, in cents (labour - revenue + preferences + SLA risk)."""
    hours = Decimal(w.tenths) / 10
    value = r.hourly_cost * hours
    if w.billable:
        value -= r.hourly_rate * hours
    value += sum(
        (weight for skill, weight in w.preferred_skills.items() if skill not in r.skills), Decimal(0)
    )
    s = slack(r, w)
    if s is not None and s < 0:
        value += w.sla_breach_cost
    return cents(value)


def cents(amount: Decimal) -> int:
    return int((amount / CENT).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def busiest_points(problem: AssignmentProblem, loads: Mapping[str, int]) -> int:
    """The busiest technician's booking in whole percentage points (rounded up)."""
    points = 0
    for r in problem.resources:
        if r.available_tenths > 0:
            points = max(points, -(-100 * loads.get(r.id, 0) // r.available_tenths))
    return points


def evaluate(problem: AssignmentProblem, assignment: Mapping[str, str | None]) -> int | None:
    """The objective of an assignment (item -> technician or None) in cents; None if a hard rule fails."""
    by_id = {r.id: r for r in problem.resources}
    loads: dict[str, int] = {}
    total = 0
    for w in problem.items:
        rid = assignment.get(w.id)
        if rid is None:
            total += cents(w.unassigned_cost)
            continue
        r = by_id[rid]
        if not qualifies(r, w):
            return None
        loads[rid] = loads.get(rid, 0) + w.tenths
        total += pair_cents(r, w)
    if any(loads[rid] > by_id[rid].available_tenths for rid in loads):
        return None
    return total + cents(problem.balance_cost_per_point) * busiest_points(problem, loads)


def greedy(problem: AssignmentProblem) -> dict[str, str | None]:
    """The dispatcher's baseline: most urgent first, each to the cheapest qualified technician with room."""
    left = {r.id: r.available_tenths for r in problem.resources}
    out: dict[str, str | None] = {}
    order = sorted(problem.items, key=lambda w: (w.fix_by is None, w.fix_by or 0, w.id))
    for w in order:
        options = [r for r in problem.resources if qualifies(r, w) and left[r.id] >= w.tenths]
        if not options:
            out[w.id] = None
            continue
        best = min(options, key=lambda r: (pair_cents(r, w), r.id))
        out[w.id] = best.id
        left[best.id] -= w.tenths
    return out


def explain(problem: AssignmentProblem, item: WorkItem, resource: Resource | None) -> str:
    """One sentence: why this technician, what it costs, and the SLA slack."""
    cur = problem.currency
    if resource is None:
        return (
            f"{item.id} is left unassigned: no qualified technician with room was worth it "
            f"(leaving it costs {item.unassigned_cost.quantize(CENT)} {cur})."
        )
    hours = Decimal(item.tenths) / 10
    cost = (resource.hourly_cost * hours).quantize(CENT)
    why = "holds the required skills" if item.required_skills else "is available"
    missing = sorted(s for s in item.preferred_skills if s not in resource.skills)
    if item.preferred_skills:
        why += "; lacks preferred " + ", ".join(missing) if missing else " and every preferred skill"
    revenue = (
        f", billable {(resource.hourly_rate * hours).quantize(CENT)} {cur}"
        if item.billable
        else ", covered by the agreement"
    )
    s = slack(resource, item)
    sla = (
        "no SLA"
        if s is None
        else (f"{Decimal(s) / 10} h of SLA slack" if s >= 0 else f"fix-by missed by {Decimal(-s) / 10} h")
    )
    return f"{item.id} -> {resource.id}: {why}; {hours} h cost {cost} {cur}{revenue}; {sla}."
