"""Generated routing problems (planar, seeded) for tests and ``make bench-ram``.

Shaped like an MSP's onsite day rather than a textbook instance: technicians start from home at
different places with their own shifts and skills, about a third of the visits have a window (some
two), a few need a skill, and low-priority visits may be dropped.
"""

from __future__ import annotations

import random
from datetime import date, time
from decimal import Decimal
from typing import Any

from ram.routing.problem import RoutingProblem

SKILLS = ("network", "voip", "printer", "server")


def _t(s: int) -> str:
    return time(s // 3600, s % 3600 // 60).isoformat(timespec="minutes")


def generate(
    visits: int,
    technicians: int,
    seed: int = 0,
    *,
    area_km: float = 30.0,
    windows: bool = True,
    skills: bool = True,
    optional: bool = True,
    time_costs: bool = True,
    capacity: int | None = None,
) -> RoutingProblem:
    rng = random.Random(seed)
    techs: list[dict[str, Any]] = []
    for i in range(technicians):
        start = rng.choice([7, 8, 8, 9]) * 3600
        techs.append(
            {
                "id": f"T{i + 1:03d}",
                "shift": {"start": _t(start), "end": _t(start + 9 * 3600)},
                "start": {"x": rng.uniform(0, area_km), "y": rng.uniform(0, area_km)},
                "capacity": capacity if capacity is not None else 1_000_000,
                "skills": rng.sample(SKILLS, k=rng.randint(1, 3)) if skills else [],
                "cost_per_hour": str(Decimal(rng.randint(35, 70))) if time_costs else "0",
                "cost_per_km": "0.45",
            }
        )
    held = sorted({s for t in techs for s in t["skills"]})
    out: list[dict[str, Any]] = []
    for j in range(visits):
        v: dict[str, Any] = {
            "id": f"V{j + 1:04d}",
            "location": {"x": rng.uniform(0, area_km), "y": rng.uniform(0, area_km)},
            "service_minutes": rng.choice([20, 30, 45, 60]),
            "demand": 1,
        }
        r = rng.random()
        if windows and r < 0.25:
            s = rng.randint(9, 14) * 3600
            v["time_windows"] = [{"start": _t(s), "end": _t(s + 2 * 3600)}]
        elif windows and r < 0.35:
            v["time_windows"] = [{"start": "09:00", "end": "11:00"}, {"start": "14:00", "end": "16:00"}]
        if skills and rng.random() < 0.2:
            v["skills"] = [rng.choice(held)]
        if optional and rng.random() < 0.3:
            v["priority"] = rng.randint(1, 5)
        out.append(v)
    return RoutingProblem.model_validate(
        {
            "date": date(2026, 12, 3).isoformat(),
            "distance": {"model": "planar", "unit_m": 1000.0, "speed_kmh": 35.0},
            "technicians": techs,
            "visits": out,
        }
    )
