"""Planting: which clients, licences, spend streams and technicians get a known problem.

The plan is drawn from its own sub-stream after the world is built, so the problems are a
deterministic function of the seed. Generators consult the plan (for example a churning client's
dissatisfaction on a day) and never decide problems themselves, so everything planted is in the
truth and nothing in the truth is accidental. A cost-rate rise is written into the technician's
cost history here, which is why planting returns an updated world.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from msp_sim.rng import cents, stream
from msp_sim.spend_catalog import CLOUD_LINES, EXPENSE_STREAMS
from msp_sim.timeline import add_months, month_end
from msp_sim.world import Client, World


@dataclass(frozen=True, slots=True)
class ScopeCreep:
    client_id: str
    starts_on: date
    ends_on: date
    growth: float

    def multiplier(self, day: date) -> float:
        """Ticket volume relative to normal: a linear ramp from 1 to 1 + growth."""
        if day < self.starts_on:
            return 1.0
        span = max(1, (self.ends_on - self.starts_on).days)
        return 1.0 + self.growth * min(1.0, (day - self.starts_on).days / span)


@dataclass(frozen=True, slots=True)
class CostRise:
    client_id: str
    technician_id: str
    effective_from: date
    old_rate: Decimal
    new_rate: Decimal


@dataclass(frozen=True, slots=True)
class ChurnPlan:
    client_id: str
    mechanism: str
    driver: str
    signals_from: date
    notice_on: date
    churned_on: date
    ticket_multiplier: float
    sla_breach_rate: float
    negative_csat_rate: float
    extra_days_to_pay: float

    def dissatisfaction(self, day: date) -> float:
        """0 before the signals start, rising linearly to 1 at notice, 1 afterwards."""
        if day < self.signals_from:
            return 0.0
        span = max(1, (self.notice_on - self.signals_from).days)
        return min(1.0, (day - self.signals_from).days / span)


@dataclass(frozen=True, slots=True)
class LicencePlan:
    kind: str
    client_id: str
    subscription_id: str
    from_date: date
    user_indices: tuple[int, ...]
    """over_deployed: indices of new users (beyond the client's staff); unused: indices of idle users."""
    billed_shortfall: int


@dataclass(frozen=True, slots=True)
class SpendPlan:
    anomaly_id: str
    source: str
    stream_key: str
    shape: str
    start: date
    end: date
    magnitude: float

    def multiplier(self, day: date) -> float:
        if day < self.start or day > self.end:
            return 1.0
        if self.shape == "drift":
            span = max(1, (self.end - self.start).days)
            return 1.0 + (self.magnitude - 1.0) * (day - self.start).days / span
        return self.magnitude


@dataclass(frozen=True, slots=True)
class Plan:
    scope_creep: dict[str, ScopeCreep] = field(default_factory=dict)
    cost_rises: dict[str, CostRise] = field(default_factory=dict)
    churn: dict[str, ChurnPlan] = field(default_factory=dict)
    licences: dict[str, LicencePlan] = field(default_factory=dict)
    spend: dict[str, SpendPlan] = field(default_factory=dict)
    load_weights: dict[str, float] = field(default_factory=dict)
    primary_weight: dict[str, float] = field(default_factory=dict)

    def churned_by(self, client_id: str, day: date) -> bool:
        """The client has left on or before ``day``."""
        plan = self.churn.get(client_id)
        return plan is not None and day > plan.churned_on

    def dissatisfaction(self, client_id: str, day: date) -> float:
        plan = self.churn.get(client_id)
        return plan.dissatisfaction(day) if plan else 0.0

    def ticket_multiplier(self, client_id: str, day: date) -> float:
        m = 1.0
        if client_id in self.scope_creep:
            m *= self.scope_creep[client_id].multiplier(day)
        if client_id in self.churn:
            plan = self.churn[client_id]
            m *= 1.0 + (plan.ticket_multiplier - 1.0) * plan.dissatisfaction(day)
        return m

    def spend_multiplier(self, stream_key: str, day: date) -> float:
        plan = self.spend.get(stream_key)
        return plan.multiplier(day) if plan else 1.0


def _count(n: int, rate: float, minimum: int) -> int:
    return max(minimum, round(n * rate)) if n else 0


def plan_problems(world: World) -> tuple[World, Plan]:
    """Choose the planted problems and return the world with planted cost rises applied."""
    params = world.params
    rng = stream(params.seed, "problems")
    start, end = params.start, params.end
    horizon = (end - start).days + 1
    clients = list(world.clients)
    rng.shuffle(clients)
    taken: set[str] = set()

    def pick(candidates: list[Client], k: int) -> list[Client]:
        chosen = [c for c in candidates if c.client_id not in taken][:k]
        taken.update(c.client_id for c in chosen)
        return chosen

    plan = Plan()
    # Churn: about 12 % of clients a year (msp-benchmarks §7), churn dates inside the run.
    if params.months >= 2:
        n_churn = _count(len(clients), 0.12 * params.months / 12, 1 if len(clients) >= 4 else 0)
        for client in pick(clients, n_churn):
            plan.churn[client.client_id] = _churn_plan(world, client, rng)
    # Margin erosion on fixed-fee (managed services) agreements.
    managed = [c for c in clients if c.agreement.agreement_type == "managed_services" and len(c.users) >= 10]
    if params.months >= 3:
        n_erosion = _count(len(managed), 0.1, 2 if len(managed) >= 4 else 0)
        technicians = list(world.technicians)
        for i, client in enumerate(pick(managed, n_erosion)):
            begins = add_months(start, rng.randint(1, max(1, params.months // 3)))
            if i % 2 == 0:
                plan.scope_creep[client.client_id] = ScopeCreep(
                    client.client_id, begins, end, rng.uniform(0.8, 1.6)
                )
            else:
                tech = world.technician(client.primary_technician_id)
                old = tech.cost_on(begins)
                new = cents(old * Decimal(str(round(rng.uniform(1.18, 1.3), 3))))
                plan.cost_rises[client.client_id] = CostRise(
                    client.client_id, tech.technician_id, begins, old, new
                )
                plan.primary_weight[client.client_id] = 30.0
                history = sorted([*[h for h in tech.cost_history], (begins, new)])
                # Later scheduled raises keep their percentage on top of the planted one.
                rebuilt: list[tuple[date, Decimal]] = []
                factor = Decimal(1)
                for effective, rate in history:
                    if effective > begins:
                        rate = cents(rate * factor)
                    elif effective == begins:
                        factor = new / old
                    rebuilt.append((effective, rate))
                technicians[tech.number - 1] = dataclasses.replace(tech, cost_history=tuple(rebuilt))
        world = dataclasses.replace(world, technicians=tuple(technicians))
    # Licences: one or more of each kind, on distinct subscriptions of clients that stay.
    subs = [(c, s) for c in clients if c.client_id not in plan.churn for s in c.subscriptions]
    latest_from = start + timedelta(days=max(0, horizon - 45))
    kinds = (("over_deployed", 0.05), ("unused", 0.06), ("assigned_unbilled", 0.04))
    cursor = 0
    for kind, share in kinds:
        for _ in range(_count(len(subs), share, 1 if len(subs) >= 3 else 0)):
            if cursor >= len(subs):
                break
            client, sub = subs[cursor]
            cursor += 1
            offset = rng.randint(0, max(0, (latest_from - start).days))
            from_date = start + timedelta(days=min(offset, max(0, horizon - 45)))
            n = len(sub.assigned_users)
            if kind == "over_deployed":
                extra = max(1, round(n * rng.uniform(0.1, 0.25)))
                users = tuple(range(len(client.users), len(client.users) + extra))
                shortfall = 0
            elif kind == "unused":
                idle = max(1, round(n * rng.uniform(0.1, 0.3)))
                users = tuple(sorted(rng.sample(list(sub.assigned_users), min(idle, n))))
                shortfall = 0
            else:
                users = ()
                shortfall = max(1, round(n * rng.uniform(0.1, 0.3)))
                shortfall = min(shortfall, max(1, n - 1))
            plan.licences[sub.subscription_id] = LicencePlan(
                kind, client.client_id, sub.subscription_id, from_date, users, shortfall
            )
    # Spend anomalies: at least one of each shape, on expense streams and cloud lines.
    if horizon >= 75:
        daily_streams = [s.key for s in EXPENSE_STREAMS if s.cadence == "daily"]
        cloud_keys = [c.key for c in CLOUD_LINES]
        rng.shuffle(daily_streams)
        rng.shuffle(cloud_keys)
        shapes = ("spike", "level_shift", "drift")
        extra = max(0, round(params.months / 12 * len(params.month_starts()) / 12))
        jobs = [("expense", shapes[i % 3]) for i in range(3 + extra)] + [
            ("cloud", shapes[(i + 1) % 3]) for i in range(3 + extra)
        ]
        pools = {"expense": daily_streams, "cloud": cloud_keys}
        for n, (source, shape) in enumerate(jobs, start=1):
            if not pools[source]:
                continue
            key = pools[source].pop()
            earliest = start + timedelta(days=35)
            if shape == "spike":
                a = earliest + timedelta(days=rng.randint(0, max(0, (end - earliest).days - 10)))
                b = a + timedelta(days=rng.randint(3, 7))
                magnitude = rng.uniform(3.0, 6.0)
            elif shape == "level_shift":
                a = earliest + timedelta(days=rng.randint(0, max(0, (end - earliest).days - 30)))
                b = end
                magnitude = rng.uniform(1.6, 2.5)
            else:
                a = earliest + timedelta(days=rng.randint(0, max(0, (end - earliest).days - 40) // 3))
                b = end
                magnitude = rng.uniform(1.8, 2.6)
            plan.spend[key] = SpendPlan(f"SA{n:03d}", source, key, shape, a, min(b, end), round(magnitude, 2))
    # Technicians: over- and under-utilised (relative to the team).
    if len(world.technicians) >= 3:
        order = list(world.technicians)
        rng.shuffle(order)
        k = max(1, len(order) // 10)
        for tech in order[:k]:
            plan.load_weights[tech.technician_id] = 1.8
        for tech in order[k : 2 * k]:
            plan.load_weights[tech.technician_id] = 0.3
    return world, plan


def _churn_plan(world: World, client: Client, rng: random.Random) -> ChurnPlan:
    params = world.params
    agreement = client.agreement
    earliest = add_months(params.start, max(1, params.months // 3))
    term_end = agreement.term_end_on_or_after(earliest)
    if term_end is not None and term_end <= params.end - timedelta(days=1):
        mechanism = "non_renewal"
        churned = term_end
        notice = churned - timedelta(days=agreement.notice_period_days or 60)
    else:
        mechanism = "termination_for_convenience"
        span = max(0, (params.end - earliest).days - 1)
        churned = month_end(earliest + timedelta(days=rng.randint(0, span)))
        churned = min(churned, params.end - timedelta(days=1))
        notice = churned - timedelta(days=60)
    notice = max(notice, params.start + timedelta(days=20))
    signals_from = max(params.start, notice - timedelta(days=rng.randint(90, 150)))
    driver = "payment_distress" if rng.random() < 0.35 else "service_dissatisfaction"
    quality = driver == "service_dissatisfaction"
    return ChurnPlan(
        client_id=client.client_id,
        mechanism=mechanism,
        driver=driver,
        signals_from=signals_from,
        notice_on=notice,
        churned_on=churned,
        ticket_multiplier=round(rng.uniform(1.6, 2.2) if quality else rng.uniform(1.2, 1.5), 2),
        sla_breach_rate=round(rng.uniform(0.3, 0.45) if quality else rng.uniform(0.12, 0.2), 2),
        negative_csat_rate=round(rng.uniform(0.35, 0.55) if quality else rng.uniform(0.15, 0.25), 2),
        extra_days_to_pay=round(rng.uniform(10, 20) if quality else rng.uniform(30, 50), 1),
    )
