"""Travel distance (metres) and time (seconds) between places, behind one interface.

``TravelModel`` is what a routing engine (OSRM, Valhalla, a map vendor) would implement; the three
built in are the problem's own distance models. Values are whole metres and seconds because both
solvers work on integers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from ram.routing.problem import LatLon, Matrix, Place, Planar, RoutingProblem

EARTH_RADIUS_M = 6_371_008.8


class TravelModel(Protocol):
    def matrices(self, places: Sequence[Place]) -> tuple[list[list[int]], list[list[int]]]:
        """(distance in metres, duration in seconds) from each place to each place."""
        ...


def haversine_m(a: Place, b: Place) -> float:
    assert a.lat is not None and a.lon is not None and b.lat is not None and b.lon is not None
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


class LatLonTravel:
    def __init__(self, model: LatLon) -> None:
        self.model = model

    def matrices(self, places: Sequence[Place]) -> tuple[list[list[int]], list[list[int]]]:
        lat = np.radians([_f(p.lat) for p in places])
        lon = np.radians([_f(p.lon) for p in places])
        dp = lat[None, :] - lat[:, None]
        dl = lon[None, :] - lon[:, None]
        h = np.sin(dp / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dl / 2) ** 2
        metres = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h))) * self.model.detour_factor
        dist = np.rint(metres).astype(np.int64)
        return dist.tolist(), _seconds(dist, self.model.speed_kmh)


class PlanarTravel:
    def __init__(self, model: Planar) -> None:
        self.model = model
        self._round = model.rounding

    def matrices(self, places: Sequence[Place]) -> tuple[list[list[int]], list[list[int]]]:
        x = np.array([_f(p.x) for p in places])
        y = np.array([_f(p.y) for p in places])
        metres = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :]) * self.model.unit_m
        how = {"nearest": np.rint, "up": np.ceil, "down": np.floor}[self._round]
        dist = how(metres).astype(np.int64)
        if self.model.speed_kmh is None:
            return dist.tolist(), dist.tolist()
        return dist.tolist(), _seconds(dist, self.model.speed_kmh)


class MatrixTravel:
    def __init__(self, model: Matrix) -> None:
        self.model = model

    def matrices(self, places: Sequence[Place]) -> tuple[list[list[int]], list[list[int]]]:
        idx = [_i(p.index) for p in places]
        d, t = self.model.distances_m, self.model.durations_s
        return [[d[i][j] for j in idx] for i in idx], [[t[i][j] for j in idx] for i in idx]


def travel_model(problem: RoutingProblem) -> TravelModel:
    match problem.distance:
        case LatLon() as m:
            return LatLonTravel(m)
        case Planar() as m:
            return PlanarTravel(m)
        case Matrix() as m:
            return MatrixTravel(m)
    raise AssertionError(problem.distance)


def _f(v: float | None) -> float:
    assert v is not None
    return v


def _i(v: int | None) -> int:
    assert v is not None
    return v


def _seconds(dist: npt.NDArray[np.int64], speed_kmh: float) -> list[list[int]]:
    """Whole seconds to cover each distance, rounded up (never faster than the speed)."""
    return np.ceil(dist / (speed_kmh / 3.6)).astype(np.int64).tolist()  # type: ignore[no-any-return]
