"""The routing problem as one JSON document (``msp-ram route --problem``, ``POST /plans/solve``).

Times are clock times on the plan's ``date`` ("08:00" or "08:00:30"); durations are minutes;
money is a decimal string with one currency for the whole problem. A malformed document is
refused by pydantic with the path of the field at fault (``visits.3.time_windows.0.end``), which
``describe_errors`` turns into one line per field.
"""

from __future__ import annotations

import itertools
from datetime import date, time
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Id = Annotated[str, Field(min_length=1, max_length=128)]
Skill = Annotated[str, Field(min_length=1, max_length=64)]
NonNegativeMoney = Annotated[Decimal, Field(ge=0, le=1_000_000, max_digits=18, decimal_places=4)]
"""Bounded (as are rates, coordinates and matrices) so every cost fits the solvers' 64-bit integers."""
Rate = Annotated[Decimal, Field(ge=0, le=10_000, max_digits=18, decimal_places=4)]
Coordinate = Annotated[float, Field(ge=-1e4, le=1e4)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def seconds(t: time) -> int:
    """Seconds since midnight: the solvers' and checker's unit of time."""
    return t.hour * 3600 + t.minute * 60 + t.second


class Place(Strict):
    """Where a technician starts or ends or a visit is: the fields the distance model needs."""

    lat: float | None = Field(default=None, ge=-90, le=90, description="latitude (model latlon)")
    lon: float | None = Field(default=None, ge=-180, le=180, description="longitude (model latlon)")
    x: Coordinate | None = Field(default=None, description="planar x (model planar)")
    y: Coordinate | None = Field(default=None, description="planar y (model planar)")
    index: int | None = Field(
        default=None, ge=0, le=100_000, description="row/column in the matrices (model matrix)"
    )


class TimeWindow(Strict):
    """Service must *start* within [start, end] (it may run past ``end``)."""

    start: time
    end: time

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        if self.end < self.start:
            raise ValueError("end is before start")
        return self


class Shift(Strict):
    start: time
    end: time

    @model_validator(mode="after")
    def _ordered(self) -> Shift:
        if self.end <= self.start:
            raise ValueError("end is not after start")
        return self


class LunchBreak(Strict):
    """A break of ``minutes`` that must start within [earliest, latest], taken between stops."""

    earliest: time
    latest: time
    minutes: int = Field(gt=0, le=240)

    @model_validator(mode="after")
    def _ordered(self) -> LunchBreak:
        if self.latest < self.earliest:
            raise ValueError("latest is before earliest")
        return self


class Technician(Strict):
    id: Id
    shift: Shift
    start: Place
    end: Place | None = Field(default=None, description="where the day ends; the start place when omitted")
    capacity: int = Field(
        default=1_000_000, ge=0, le=1_000_000, description="units of visit demand the van carries"
    )
    skills: frozenset[Skill] = frozenset()
    cost_per_hour: Rate = Decimal(0)
    cost_per_km: Rate = Decimal(0)
    lunch_break: LunchBreak | None = None
    locked_stops: tuple[Id, ...] = Field(
        default=(), description="visits already under way: they stay first on this route, in this order"
    )

    @property
    def end_place(self) -> Place:
        return self.end or self.start


class Visit(Strict):
    id: Id
    location: Place
    service_minutes: int = Field(default=0, ge=0, le=24 * 60)
    time_windows: tuple[TimeWindow, ...] = Field(
        default=(), max_length=24, description="none: any time in the shift"
    )
    demand: int = Field(default=0, ge=0, le=1_000_000)
    skills: frozenset[Skill] = frozenset()
    drop_penalty: NonNegativeMoney | None = Field(
        default=None, description="what leaving it unserved costs; with no priority either it is required"
    )
    priority: int | None = Field(
        default=None,
        ge=1,
        le=10,
        description="1-10: optional, dropped at priority x the problem's penalty unit",
    )

    @property
    def required(self) -> bool:
        return self.drop_penalty is None and self.priority is None

    @model_validator(mode="after")
    def _windows_disjoint(self) -> Visit:
        ordered = sorted(self.time_windows, key=lambda w: w.start)
        for a, b in itertools.pairwise(ordered):
            if b.start <= a.end:
                raise ValueError("time windows overlap")
        return self


class LatLon(Strict):
    model: Literal["latlon"]
    speed_kmh: float = Field(default=40.0, gt=0.1, le=300)
    detour_factor: float = Field(default=1.0, ge=1.0, le=3.0, description="road km per great-circle km")


class Planar(Strict):
    model: Literal["planar"]
    unit_m: float = Field(default=1.0, gt=0, le=10_000, description="metres per coordinate unit")
    speed_kmh: float | None = Field(
        default=None,
        gt=0.1,
        le=300,
        description="omitted: one second per metre (travel time equals distance)",
    )
    rounding: Literal["nearest", "up", "down"] = "nearest"


class Matrix(Strict):
    model: Literal["matrix"]
    distances_m: tuple[tuple[Annotated[int, Field(ge=0, le=10_000_000)], ...], ...]
    durations_s: tuple[tuple[Annotated[int, Field(ge=0, le=10_000_000)], ...], ...]

    @model_validator(mode="after")
    def _square(self) -> Matrix:
        n = len(self.distances_m)
        for name, rows in (("distances_m", self.distances_m), ("durations_s", self.durations_s)):
            if len(rows) != n or any(len(r) != n for r in rows):
                raise ValueError(f"{name} must be a square {n} x {n} matrix")
            if any(v < 0 for r in rows for v in r):
                raise ValueError(f"{name} holds a negative value")
        return self


DistanceModel = Annotated[LatLon | Planar | Matrix, Field(discriminator="model")]


class RoutingProblem(Strict):
    """One day of onsite visits for a set of technicians."""

    date: date
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    distance: DistanceModel
    technicians: tuple[Technician, ...] = Field(min_length=1, max_length=500)
    visits: tuple[Visit, ...] = Field(default=(), max_length=5000)
    fleet_limit: int | None = Field(default=None, ge=0, description="at most this many technicians go out")
    penalty_per_priority: Rate = Field(
        default=Decimal(100), description="drop penalty per priority point of a visit without its own"
    )

    def drop_penalty(self, visit: Visit) -> Decimal | None:
        """What dropping ``visit`` costs; None for a required visit."""
        if visit.drop_penalty is not None:
            return visit.drop_penalty
        return None if visit.priority is None else self.penalty_per_priority * visit.priority

    @model_validator(mode="after")
    def _consistent(self) -> RoutingProblem:
        self._unique("technicians", [t.id for t in self.technicians])
        self._unique("visits", [v.id for v in self.visits])
        visit_ids = {v.id for v in self.visits}
        locked: set[str] = set()
        for i, t in enumerate(self.technicians):
            for stop in t.locked_stops:
                if stop not in visit_ids:
                    raise ValueError(f"technicians.{i}.locked_stops: unknown visit {stop!r}")
                if stop in locked:
                    raise ValueError(f"technicians.{i}.locked_stops: visit {stop!r} is locked twice")
                locked.add(stop)
            if t.lunch_break is not None and not (t.shift.start <= t.lunch_break.earliest <= t.shift.end):
                raise ValueError(f"technicians.{i}.lunch_break: earliest is outside the shift")
        for path, place in self._places():
            self._check_place(path, place)
        return self

    def _places(self) -> list[tuple[str, Place]]:
        out = []
        for i, t in enumerate(self.technicians):
            out.append((f"technicians.{i}.start", t.start))
            out.append((f"technicians.{i}.end", t.end_place))
        out += [(f"visits.{i}.location", v.location) for i, v in enumerate(self.visits)]
        return out

    def _check_place(self, path: str, p: Place) -> None:
        match self.distance:
            case LatLon():
                if p.lat is None or p.lon is None:
                    raise ValueError(f"{path}: lat and lon are required by distance model latlon")
            case Planar():
                if p.x is None or p.y is None:
                    raise ValueError(f"{path}: x and y are required by distance model planar")
            case Matrix(distances_m=rows):
                if p.index is None or p.index >= len(rows):
                    raise ValueError(f"{path}: index must be a row of the {len(rows)} x {len(rows)} matrix")

    @staticmethod
    def _unique(name: str, ids: list[str]) -> None:
        seen: set[str] = set()
        for i, x in enumerate(ids):
            if x in seen:
                raise ValueError(f"{name}.{i}.id: {x!r} appears twice")
            seen.add(x)

    def needs_ortools(self) -> list[str]:
        """The constraints of this problem that PyVRP cannot express (empty: PyVRP can plan it)."""
        reasons = []
        if any(t.lunch_break for t in self.technicians):
            reasons.append("lunch breaks")
        if any(t.locked_stops for t in self.technicians):
            reasons.append("locked stops")
        if self.fleet_limit is not None and self.fleet_limit < len(self.technicians):
            reasons.append("a fleet limit over individual technicians")
        return reasons


class ProblemError(ValueError):
    """A problem document that cannot be read; the message names each field at fault."""


def describe_errors(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(document)"
        lines.append(f"{where}: {err['msg']}")
    return "; ".join(lines)


def parse_problem(raw: str | bytes) -> RoutingProblem:
    try:
        return RoutingProblem.model_validate_json(raw)
    except ValidationError as exc:
        raise ProblemError(describe_errors(exc)) from exc
