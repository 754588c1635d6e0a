"""The streaming spend-anomaly detector: each point judged from the points before it only.

Why this shape. Spend series are short (a few hundred days), seasonal by weekday *and* by day of
month (licences billed on the 1st, payroll-driven travel), often sparse, and the service must judge
a day as soon as it closes, exactly as it will judge it on any later replay. A model refitted on
the whole history (STL, ETS, ARIMA) sees the future; refitting it at every point is too slow for
thousands of series. So the expected value at time t is a robust decomposition of the *cleaned*
past, computed with numpy's medians over every series at once, step by step in time:

* level: median of the last ``level_window`` cleaned points;
* seasonal offsets, one stage per calendar phase (weekday, then day of month; hour of day; month
  of year), each the median over the last ``season_memory`` points of the same phase of what the
  stages before left unexplained;
* the candidate decomposition (none, first stage, both stages) with the lowest mean absolute error
  over the last ``select_window`` points is used, per series: a series without a monthly pattern is
  not judged by one;
* scale: the MAD of the warm-up residuals (x 1.4826, a normal-consistent sigma), then an
  exponentially weighted mean absolute residual over ``select_window`` points with each residual
  capped at the threshold (a 56-point MAD moved too much from day to day: z's 99.99th percentile
  was 5.6 on Gaussian noise); floored at a share of the recent mean so a sparse, mostly-zero series
  does not call every purchase an anomaly.

A point's robust z = (actual - expected) / scale gives its *spike score* |z| / (|z| + threshold);
the level's movement over ``drift_lag`` points, in scales, gives a *drift score* the same way, so a
slow drift whose every step is small still adds up (the seasonal offsets absorb a level's lag, so
the point-wise z alone never sees it). The score is the larger of the two, in [0, 1], and a point
is flagged at 0.5. A flagged point enters the history as its expected value (an anomaly
must not teach the baseline), until the same direction has persisted for ``settle`` points: then
the deviation is the new normal (a level shift), the history is re-based on it and alerting stops;
a calendar phase flagged ``phase_settle`` times in a row in the same direction is likewise accepted
as a new seasonal pattern. Timestamps decide phases, so irregular gaps need no filling.

Feedback on an anomaly changes what follows it, never what came before: ``false`` writes the
flagged values back as normal and raises that series' threshold by ``false_alarm_raise``;
``expected`` writes them back (the pattern is learned) without changing sensitivity; ``confirmed``
keeps them out of the baseline.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

Feedback = Literal["confirmed", "expected", "false"]
F64 = NDArray[np.float64]
MAD_TO_SIGMA = 1.4826  # MAD of a normal sample x 1.4826 = its standard deviation
MEAN_ABS_TO_SIGMA = 1.2533  # mean absolute deviation of a normal sample x sqrt(pi/2) = sigma

DAY = 86_400
HOUR = 3_600


@dataclass(frozen=True)
class DetectorConfig:
    threshold: float = 4.5
    """robust z at which a point is flagged (its spike score is then 0.5)."""
    stage_penalty: float = 0.15
    """share by which each extra seasonal stage must lower the trailing error to be used."""
    drift_threshold: float = 3.5
    """level movement over ``drift_lag`` points, in scales, at which a drift is flagged (score 0.5)."""
    scale_floor: float = 0.03
    """least scale as a share of the recent mean absolute value (a mostly-zero series has no MAD)."""
    settle: int | None = None
    """consecutive same-direction flags after which a shift is the new normal (None: one season)."""
    phase_settle: int = 3
    """same-direction flags in a row on one calendar phase after which it is a new seasonal pattern."""
    false_alarm_raise: float = 1.25
    max_raise: float = 2.0
    warmup: int = 8
    """points from which the sampling interval is inferred; nothing is judged before them."""


@dataclass(frozen=True)
class FeedbackNote:
    series: int
    """row of the series in the matrix."""
    start: int
    end: int
    """the anomaly's first and last point (indices, inclusive)."""
    label: Feedback
    effective: int
    """first point judged with this feedback known (> end: feedback comes after the fact)."""


@dataclass(frozen=True)
class Detection:
    expected: F64
    scores: F64
    flags: NDArray[np.bool_]
    kind: NDArray[np.int8]
    """0 normal, 1 spike/level (the point itself), 2 drift (the level moved), 3 seasonal (a phase)."""
    judged: NDArray[np.bool_]
    """False for the warm-up points, which have no expectation."""


@dataclass(frozen=True)
class Calendar:
    """The seasonal stages that apply to a sampling interval, as a phase per timestamp."""

    level_window: int
    season_memory: int
    select_window: int
    stages: tuple[NDArray[np.int64], ...]
    season_points: int
    """points in the shortest season: what a level shift must last to be the new normal."""
    drift_lag: int
    """points between the two levels a drift is measured on."""
    rare: tuple[int, ...] = ()
    """stages whose phase recurs once a month: remembered from the first point, two are enough."""


def sampling_step(times: NDArray[np.datetime64], warmup: int) -> float:
    """The sampling interval in seconds: the median gap of the first ``warmup`` points."""
    seconds = times.astype("datetime64[s]").astype(np.int64)
    head = np.diff(seconds[: max(warmup, 2)])
    return float(np.median(head)) if head.size else float(DAY)


def calendar_for(times: NDArray[np.datetime64], warmup: int, step: float | None = None) -> Calendar:
    """Choose the calendar phases from the sampling interval (of the first ``warmup`` points unless
    ``step`` is given: a resumed stream keeps the interval it started with)."""
    step = sampling_step(times, warmup) if step is None else step
    seconds = times.astype("datetime64[s]").astype(np.int64)
    days = seconds // DAY
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday: Monday = 0
    as_d = times.astype("datetime64[D]")
    day_of_month = (as_d - as_d.astype("datetime64[M]")).astype(np.int64)
    month_of_year = as_d.astype("datetime64[M]").astype(np.int64) % 12
    if step < HOUR * 0.99:
        slot = max(round(step), 1)
        per_day = DAY // slot
        window = max(2 * HOUR // slot, 8)
        return Calendar(window, 4, 2 * per_day, ((seconds % DAY) // slot,), per_day, 2 * window)
    if step < DAY * 0.99:
        hour = (seconds % DAY) // HOUR
        return Calendar(48, 4, 168, (hour, weekday * 24 + hour), 24, 96)
    if step < 7 * DAY * 0.99:
        return Calendar(14, 4, 56, (weekday, day_of_month), 7, 28, rare=(1,))
    if step < 28 * DAY:
        return Calendar(8, 3, 16, (), 4, 8)
    return Calendar(6, 2, 12, (month_of_year,), 3, 6)


@dataclass
class SeriesState:
    """Per-series mutable state carried along the time loop."""

    raise_: F64
    run: NDArray[np.int64]
    spread: F64
    """robust sigma of the residuals, smoothed over ``select_window`` points."""
    phase_runs: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    """(series, stage x 10,000 + phase) -> the points (absolute indices) of its current run."""


@dataclass
class DetectorState:
    """Everything the detector needs to judge the next points exactly as one run over the whole
    series would: the per-series state and the trailing window of its working arrays.

    Why a window and not the whole past: every step reads a bounded stretch behind it (the level
    window, the selection window, the drift lag, a settling shift, the last ``season_memory``
    points of each calendar phase, a seasonal run's points), so columns older than all of these are
    never read again and are dropped (``base`` is the absolute index of the first kept column). A
    re-basing adds its delta to the kept columns exactly as to the whole past, so the numbers the
    next step reads are the same to the bit.
    """

    step: float
    length: int
    """points judged so far (absolute index of the next point)."""
    base: int
    arrays: dict[str, F64]
    """``y``, ``clean``, ``level``, ``expected``, ``base<s>``, ``pred<k>``, ``err<k>``: series x kept
    columns."""
    seen: list[dict[int, list[int]]]
    """per stage: phase -> its last ``season_memory`` points (absolute indices) usable as history."""
    st: SeriesState

    @property
    def series(self) -> int:
        return int(self.arrays["y"].shape[0])


def detect(
    times: NDArray[np.datetime64],
    values: F64,
    config: DetectorConfig | None = None,
    feedback: Sequence[FeedbackNote] = (),
) -> Detection:
    """Judge every point of ``values`` (series x time, all sharing ``times``) from its past only."""
    return detect_from(None, times, values, config, feedback)[0]


def detect_from(
    state: DetectorState | None,
    times: NDArray[np.datetime64],
    values: F64,
    config: DetectorConfig | None = None,
    feedback: Sequence[FeedbackNote] = (),
) -> tuple[Detection, DetectorState]:
    """Judge the points ``values`` (series x time) that follow ``state`` (None: a series' start).

    Returns the judgement of these points only and the state after them: judging a series in
    chunks, each resumed from the state the previous one left, gives the same numbers as one
    ``detect`` over the whole series (``tests/test_detector.py`` compares them bit for bit). A
    feedback note's ``start``, ``end`` and ``effective`` are absolute indices; a note applied in
    this chunk must cover kept points (a caller with older feedback judges from the start).
    """
    cfg = config or DetectorConfig()
    y_new = np.asarray(values, dtype=np.float64)
    if y_new.ndim == 1:
        y_new = y_new[None, :]
    n, chunk = y_new.shape
    if state is None:
        state = _initial_state(n, sampling_step(times, cfg.warmup))
    if state.series != n:
        raise ValueError(f"the state has {state.series} series, the values {n}")
    cal = calendar_for(times, cfg.warmup, state.step)
    settle = cfg.settle or max(cal.season_points, 3)
    stage_count = len(cal.stages)
    profiles = [tuple(range(s)) for s in range(stage_count + 1)]  # none, first stage, first two...
    # The first stage (weekday, hour) recurs often: its memory starts once the level is sound. A
    # second stage (day of month, hour of week) recurs rarely, so a monthly bill is remembered from
    # the first day and two occurrences are enough (both are the bill: their mean is the bill).
    phase_from = [0 if s in cal.rare else cal.level_window for s in range(stage_count)]
    least = [2 if s in cal.rare else min(3, cal.season_memory) for s in range(stage_count)]
    if len(state.seen) < stage_count:
        state.seen.extend({} for _ in range(stage_count - len(state.seen)))

    t0, base = state.length, state.base
    arr = {k: np.concatenate([v, np.full((n, chunk), np.nan)], axis=1) for k, v in state.arrays.items()}
    arr["y"][:, t0 - base :] = y_new
    arr["clean"][:, t0 - base :] = y_new
    for name in ("level", *(f"base{s}" for s in range(stage_count))):
        arr[name][:, t0 - base :] = 0.0
    y, clean, level, expected = arr["y"], arr["clean"], arr["level"], arr["expected"]
    bases = [arr[f"base{s}"] for s in range(stage_count)]  # what stage s is measured against
    predictions = [arr[f"pred{k}"] for k in range(len(profiles))]
    errors = [arr[f"err{k}"] for k in range(len(profiles))]
    scores = np.zeros((n, chunk))
    flags = np.zeros((n, chunk), dtype=bool)
    kind = np.zeros((n, chunk), dtype=np.int8)
    judged = np.zeros((n, chunk), dtype=bool)
    st = state.st
    notes_at: dict[int, list[FeedbackNote]] = defaultdict(list)
    for note in feedback:
        if t0 <= note.effective < t0 + chunk:
            if note.start < base:
                raise ValueError(f"feedback on points {note.start}-{note.end} no longer kept (from {base})")
            notes_at[note.effective].append(note)
    # Learn the residual spread once the first seasonal stage has three same-phase points (before
    # that a weekend is compared with a weekday level), and judge only half a selection window
    # later, when that spread rests on enough residuals: a spread from a dozen points is too narrow
    # and flagged clean points right after the warm-up.
    learn_from = max(cfg.warmup, cal.level_window + min(3, cal.season_memory) * cal.season_points)
    start = learn_from + cal.select_window // 2

    for t in range(t0, t0 + chunk):
        c, j = t - base, t - t0  # column in the kept window, column in this chunk
        same_phase = []
        for s in range(stage_count):
            past = state.seen[s].setdefault(int(cal.stages[s][j]), [])
            same_phase.append([i - base for i in past])
            if t >= phase_from[s]:
                past.append(t)
                del past[: -cal.season_memory]
        for note in notes_at.get(t, ()):
            _apply_feedback(note, base, y, clean, level, expected, [*bases, *predictions], st, cfg)
        lo = max(0, t - cal.level_window) - base
        if t == 0:
            level[:, 0] = y[:, 0]
            for b in bases:
                b[:, 0] = y[:, 0]
            continue
        lvl = np.median(clean[:, lo:c], axis=1)
        level[:, c] = lvl
        stage_base = lvl
        stage_ok = np.ones(n, dtype=bool)
        stage_preds = [lvl]
        for s in range(stage_count):
            bases[s][:, c] = stage_base
            idx = same_phase[s]
            if len(idx) < least[s]:
                stage_ok = np.zeros(n, dtype=bool)
                stage_preds.append(np.full(n, np.nan))
                continue
            offset = np.median(clean[:, idx] - bases[s][:, idx], axis=1)
            if s in cal.rare:  # only a clear monthly pattern counts: else its medians add noise daily
                offset = np.where(np.abs(offset) > 3 * st.spread, offset, 0.0)
            stage_base = stage_base + offset
            stage_preds.append(np.where(stage_ok, stage_base, np.nan))
        for k in range(len(profiles)):
            predictions[k][:, c] = stage_preds[k]
        if t < learn_from:
            for k in range(len(profiles)):
                errors[k][:, c] = np.abs(y[:, c] - predictions[k][:, c])
            continue
        sel_lo = max(0, t - cal.select_window) - base
        fit = np.stack([_mean_or_inf(errors[k][:, sel_lo:c]) for k in range(len(profiles))])
        fit = np.where(np.isnan(np.stack(stage_preds)), np.inf, fit)
        # Every stage adds the noise of its own medians: it must earn its place by a clear margin.
        fit = fit * (1.0 + cfg.stage_penalty * np.arange(len(profiles)))[:, None]
        choice = np.argmin(fit, axis=0)
        exp_t = np.stack(stage_preds)[choice, np.arange(n)]
        exp_t = np.where(np.isnan(exp_t), lvl, exp_t)
        if t == learn_from:  # the spread starts as the MAD of the warm-up residuals, then is smoothed
            chosen_err = np.stack([errors[k][:, sel_lo:c] for k in range(len(profiles))])[
                choice, np.arange(n)
            ]
            st.spread = MAD_TO_SIGMA * np.nanmedian(np.where(np.isnan(chosen_err), 0.0, chosen_err), axis=1)
        mad = st.spread
        typical = np.mean(np.abs(clean[:, lo:c]), axis=1)
        scale = np.maximum(mad, cfg.scale_floor * typical)
        scale = np.maximum(scale, 1e-9 + 1e-6 * np.abs(lvl))
        z = (y[:, c] - exp_t) / scale
        thr = cfg.threshold * st.raise_
        # Exponentially weighted mean absolute residual (x sqrt(pi/2) = sigma for normal noise),
        # each residual capped at the threshold so an anomaly cannot widen the band it broke.
        capped = np.minimum(np.abs(y[:, c] - exp_t), thr * scale) * MEAN_ABS_TO_SIGMA
        # A running mean at first (the warm-up MAD counts as 8 points), exponential once it is full.
        weight = min(t - learn_from + 1 + 8, cal.select_window)
        st.spread = st.spread + (capped - st.spread) / weight
        spike = np.abs(z) / (np.abs(z) + thr)
        moved = np.abs(lvl - level[:, max(0, t - cal.drift_lag) - base]) / scale
        drift_thr = cfg.drift_threshold * st.raise_
        drift = moved / (moved + drift_thr)
        score = np.maximum(spike, drift) if t >= start else np.zeros(n)
        flag = score >= 0.5
        spike = np.where(t >= start, spike, 0.0)
        expected[:, c] = exp_t
        scores[:, j] = score
        flags[:, j] = flag
        kind[:, j] = np.where(flag, np.where(spike >= 0.5, 1, 2), 0)
        judged[:, j] = t >= start
        clean[:, c] = np.where(spike >= 0.5, exp_t, y[:, c])  # a drift moves the baseline along
        direction = np.sign(y[:, c] - exp_t).astype(np.int64)
        # A run starts with a jump and lasts while the deviation keeps its direction, so a level
        # shift whose noise dips one day under the threshold still settles.
        jump = spike >= 0.5
        same = (np.sign(st.run) == direction) & (st.run != 0)
        st.run = np.where(same, st.run + direction, np.where(jump, direction, 0))
        for s_idx in np.flatnonzero(np.abs(st.run) >= settle):
            _settle_shift(int(s_idx), c, settle, y, clean, expected, level, bases, predictions, st)
        if stage_count:
            _seasonal_breaks(t, base, j, flag, direction, cal, y, clean, kind, st, cfg)
        for k in range(len(profiles)):  # against the raw value: the profile that foresaw it earns it
            errors[k][:, c] = np.abs(y[:, c] - predictions[k][:, c])
    out_expected = expected[:, t0 - base :].copy()
    state.length = t0 + chunk
    state.arrays = arr
    _trim(state, cal, settle)
    return Detection(expected=out_expected, scores=scores, flags=flags, kind=kind, judged=judged), state


def _initial_state(n: int, step: float) -> DetectorState:
    names = [
        "y",
        "clean",
        "level",
        "expected",
        *(f"base{s}" for s in range(2)),
        *(f"pred{k}" for k in range(3)),
    ]
    names += [f"err{k}" for k in range(3)]
    arrays = {k: np.zeros((n, 0)) for k in names}
    st = SeriesState(np.ones(n), np.zeros(n, dtype=np.int64), np.zeros(n))
    return DetectorState(step=step, length=0, base=0, arrays=arrays, seen=[], st=st)


def _trim(state: DetectorState, cal: Calendar, settle: int) -> None:
    """Drop the columns no later step reads (see ``DetectorState``)."""
    keep = state.length - max(cal.level_window, cal.drift_lag, cal.select_window, settle) - 1
    for phases in state.seen:
        for past in phases.values():
            if past:
                keep = min(keep, past[0])
    for hits in state.st.phase_runs.values():
        if hits:
            keep = min(keep, hits[0])
    keep = max(keep, state.base)
    if keep > state.base:
        cut = keep - state.base
        state.arrays = {k: np.ascontiguousarray(v[:, cut:]) for k, v in state.arrays.items()}
        state.base = keep


def _mean_or_inf(window: F64) -> F64:
    if window.shape[1] == 0:
        return np.full(window.shape[0], np.inf)
    counts = np.sum(~np.isnan(window), axis=1)
    totals = np.nansum(window, axis=1)
    return np.where(counts > 0, totals / np.maximum(counts, 1), np.inf)


def _settle_shift(
    s: int,
    t: int,
    settle: int,
    y: F64,
    clean: F64,
    expected: F64,
    level: F64,
    bases: list[F64],
    predictions: list[F64],
    st: SeriesState,
) -> None:
    """A deviation that lasted ``settle`` points is the new normal: re-base the series' past on it.

    ``t`` is the column in the kept window: the columns before it are the past that is re-based.
    """
    run = slice(t - settle + 1, t + 1)
    delta = float(np.median(y[s, run] - expected[s, run]))
    clean[s, : run.start] += delta
    clean[s, run] = y[s, run]
    level[s, : t + 1] += delta
    for arr in (*bases, *predictions):
        arr[s, : t + 1] += delta
    st.run[s] = 0
    for key in [k for k in st.phase_runs if k[0] == s]:
        del st.phase_runs[key]


def _seasonal_breaks(
    t: int,
    base: int,
    j: int,
    flag: NDArray[np.bool_],
    direction: NDArray[np.int64],
    cal: Calendar,
    y: F64,
    clean: F64,
    kind: NDArray[np.int8],
    st: SeriesState,
    cfg: DetectorConfig,
) -> None:
    """A calendar phase that keeps breaking the same way has a new seasonal pattern: learn it.

    Checked per stage (weekday, day of month ...): a charge on every 1st breaks a different weekday
    each month but the same day of month, so only that stage accumulates it. ``t`` is the absolute
    index (runs keep absolute points), ``base`` the first kept column, ``j`` the column in the chunk.
    """
    for stage, phases in enumerate(cal.stages):
        phase = int(phases[j])
        for s in range(flag.shape[0]):
            key = (s, stage * 10_000 + phase)
            if not flag[s]:
                st.phase_runs.pop(key, None)
                continue
            if st.run[s] * direction[s] > 1:  # a run of consecutive points is a shift, not a phase
                continue
            hits = st.phase_runs.setdefault(key, [])
            if hits and np.sign(y[s, hits[-1] - base] - clean[s, hits[-1] - base]) != direction[s]:
                hits.clear()
            hits.append(t)
            if len(hits) >= 2:
                kind[s, j] = 3
            if len(hits) >= cfg.phase_settle:
                cols = [h - base for h in hits]
                clean[s, cols] = y[s, cols]
                del st.phase_runs[key]


def _apply_feedback(
    note: FeedbackNote,
    base: int,
    y: F64,
    clean: F64,
    level: F64,
    expected: F64,
    derived: list[F64],
    st: SeriesState,
    cfg: DetectorConfig,
) -> None:
    """What an analyst said about an anomaly, from the point it was said on.

    ``expected`` and ``false`` both make the flagged stretch normal history; a stretch that still
    holds when the note comes (a shift) re-bases the past on it, as a settled shift does.
    """
    s, span = note.series, slice(note.start - base, note.end - base + 1)
    if note.label == "confirmed":
        return
    if note.end - note.start + 1 >= 3:
        delta = float(np.nanmedian(y[s, span] - expected[s, span]))
        clean[s, : note.start - base] += delta
        for arr in (level, *derived):
            arr[s, : note.effective - base] += delta
        st.run[s] = 0
    clean[s, span] = y[s, span]
    if note.label == "false":
        st.raise_[s] = min(st.raise_[s] * cfg.false_alarm_raise, cfg.max_raise)
