"""Deterministic randomness: one independent ``random.Random`` per entity and purpose.

Every draw is made from a sub-stream seeded by hashing the run seed with a path of names (for
example ``("tickets", client_id, "2025-03")``). Adding a client, a month or a new kind of draw
therefore never shifts the numbers any other entity sees, and nothing depends on set or dict
order, hash randomisation or the wall clock: the same seed gives the same bytes.
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

T = TypeVar("T")

_ID_NAMESPACE = uuid.UUID("0b6c8f0e-6a4e-5d1f-8a52-3f0e9d7c2b11")
CENT = Decimal("0.01")
QUARTER = Decimal("0.25")


def derive_seed(seed: int, *path: object) -> int:
    """A 64-bit seed for the sub-stream named by ``path`` (stable across processes and versions)."""
    text = "|".join([str(seed), *(str(p) for p in path)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def stream(seed: int, *path: object) -> random.Random:
    """An independent generator for one entity/purpose."""
    return random.Random(derive_seed(seed, *path))


def stable_uuid(seed: int, *path: object) -> str:
    """A GUID-shaped id (tenant, user, SKU, device) derived from the seed and a name path."""
    return str(uuid.uuid5(_ID_NAMESPACE, "|".join([str(seed), *(str(p) for p in path)])))


def cents(value: Decimal | float | int) -> Decimal:
    """Quantise an amount to cents (half up, as invoices round)."""
    if isinstance(value, float):
        value = Decimal(repr(value))
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def quarter_hours(hours: float) -> Decimal:
    """Round logged time to the quarter hour (the PSA default increment), at least 0.25 h."""
    q = max(1, round(hours * 4))
    return (Decimal(q) * QUARTER).quantize(Decimal("0.01"))


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth for small means, normal approximation above 30)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit = math.exp(-lam)
    k, p = 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def weighted(rng: random.Random, items: Sequence[T], weights: Sequence[float]) -> T:
    """One item chosen with the given weights (a tuple, never a set, so order is fixed)."""
    return rng.choices(items, weights=weights, k=1)[0]


def lognormal_median(rng: random.Random, median: float, sigma: float) -> float:
    """A lognormal draw parameterised by its median, the natural reading of published ranges."""
    return median * math.exp(rng.gauss(0.0, sigma))
