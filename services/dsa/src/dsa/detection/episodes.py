"""Anomalies as a controller reads them: runs of flagged points, not single points.

Flags that follow each other within one season (a week of daily points, a day of hourly ones) are
one anomaly: a seasonal break flags the same weekday week after week, and a drift flags on and
off as the baseline follows it. An anomaly is *open* while its last flag is less than a season
old, so the stream can tell "still going" from "ended" without looking ahead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dsa.detection.detector import Detection

SHAPES = {1: "spike", 2: "drift", 3: "seasonal_break"}


@dataclass(frozen=True)
class Episode:
    series: int
    start: int
    end: int
    """index of the last flagged point (inclusive)."""
    peak: int
    score: float
    expected: float
    actual: float
    """sums over the flagged points of the episode."""
    shape: str
    open: bool
    """True while the episode could still grow (its last flag is within ``gap`` of the last point)."""


def episodes(detection: Detection, values: NDArray[np.float64], gap: int) -> list[Episode]:
    """Group each series' flags into episodes; flags at most ``gap`` points apart belong together."""
    y = np.asarray(values, dtype=np.float64)
    if y.ndim == 1:
        y = y[None, :]
    length = y.shape[1]
    out = []
    for s in range(y.shape[0]):
        flagged = np.flatnonzero(detection.flags[s])
        if flagged.size == 0:
            continue
        cuts = np.flatnonzero(np.diff(flagged) > gap) + 1
        for group in np.split(flagged, cuts):
            out.append(
                episode_of(
                    s,
                    group,
                    detection.scores[s, group],
                    detection.kind[s, group],
                    detection.expected[s, group],
                    y[s, group],
                    length,
                    gap,
                )
            )
    return out


def episode_of(
    series: int,
    points: NDArray[np.int64],
    scores: NDArray[np.float64],
    kinds: NDArray[np.int8],
    expected: NDArray[np.float64],
    actual: NDArray[np.float64],
    length: int,
    gap: int,
) -> Episode:
    """One episode from its flagged points (indices, in order) and their judgement; ``length``:
    points judged so far. The stream (``anomaly_runs``) builds an episode from the flagged points
    it kept exactly as ``episodes`` builds it from the whole series: same sums, same peak."""
    peak = int(np.argmax(scores))
    return Episode(
        series=series,
        start=int(points[0]),
        end=int(points[-1]),
        peak=int(points[peak]),
        score=float(scores[peak]),
        expected=float(np.sum(expected)),
        actual=float(np.sum(actual)),
        shape=_shape(kinds, points),
        open=length - 1 - int(points[-1]) <= gap,
    )


def _shape(kinds: NDArray[np.int8], group: NDArray[np.int64]) -> str:
    """A spike is short; a long run of point flags is a level shift; else the most frequent kind."""
    if np.any(kinds == 3):
        return "seasonal_break"
    if np.any(kinds == 2) and np.sum(kinds == 2) >= np.sum(kinds == 1):
        return "drift"
    return "level_shift" if group.size >= 3 and int(group[-1] - group[0]) + 1 == group.size else "spike"
