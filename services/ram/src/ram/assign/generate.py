"""Generated assignment problems (seeded) for ``make bench-ram`` and tests: a week of tickets.

Technicians have 2-4 of eight skills, 20-40 free hours, a cost of 35-75 an hour and a billing rate
of 120-180; tickets take 0.5-6 hours, half need a skill, a third prefer one, most have a fix-by
within the week and a quarter are billable.
"""

from __future__ import annotations

import random
from decimal import Decimal

from ram.domain.assignment import AssignmentProblem, Resource, WorkItem

SKILLS = ("network", "m365", "voip", "security", "server", "backup", "printer", "cloud")


def generate_assignment(tickets: int, technicians: int, seed: int = 0) -> AssignmentProblem:
    rng = random.Random(seed)
    resources = tuple(
        Resource(
            id=f"R{j:03d}",
            skills=frozenset(rng.sample(SKILLS, rng.randint(2, 4))),
            available_tenths=rng.randint(200, 400),
            hourly_cost=Decimal(rng.randint(35, 75)),
            hourly_rate=Decimal(rng.choice([120, 150, 180])),
            earliest_start=rng.choice([0, 0, 10, 40]),
        )
        for j in range(technicians)
    )
    items = tuple(
        WorkItem(
            id=f"W{i:05d}",
            tenths=rng.choice([5, 10, 15, 20, 30, 40, 60]),
            required_skills=frozenset({rng.choice(SKILLS)}) if rng.random() < 0.5 else frozenset(),
            preferred_skills={rng.choice(SKILLS): Decimal(rng.randint(5, 40))} if rng.random() < 0.33 else {},
            fix_by=rng.randint(20, 400) if rng.random() < 0.8 else None,
            sla_breach_cost=Decimal(rng.choice([50, 100, 250, 500])),
            billable=rng.random() < 0.25,
            unassigned_cost=Decimal(rng.choice([300, 600, 1200])),
        )
        for i in range(tickets)
    )
    return AssignmentProblem(items=items, resources=resources, balance_cost_per_point=Decimal("2.00"))
