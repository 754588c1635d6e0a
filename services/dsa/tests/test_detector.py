"""The streaming detector on planted shapes, at daily and hourly sampling (numpy only, no service).

Series are generated from a fixed seed: a weekly pattern (weekdays 130, weekends 100) with
Gaussian noise of 5 for daily data, a daily pattern for hourly data. Each planted shape must be
flagged within a few points of its start, a level shift must stop alerting once it has settled,
and a clean seasonal series must raise nothing.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from numpy.typing import NDArray

from dsa.detection.detector import FeedbackNote, detect, detect_from
from dsa.detection.episodes import episodes

DAYS = 540
ONSET = 400


def daily(seed: int, n: int = 4) -> tuple[NDArray[np.datetime64], NDArray[np.float64]]:
    rng = np.random.default_rng(seed)
    times = np.arange(np.datetime64("2025-01-01"), np.datetime64("2025-01-01") + DAYS)
    weekday = (times.astype(np.int64) + 3) % 7
    return times, 100 + 30 * (weekday < 5) + rng.normal(0, 5, (n, DAYS))


def hourly(seed: int, n: int = 4) -> tuple[NDArray[np.datetime64], NDArray[np.float64]]:
    rng = np.random.default_rng(seed)
    hours = 24 * 60
    times = np.arange(np.datetime64("2026-01-01T00", "h"), np.datetime64("2026-01-01T00", "h") + hours)
    hour = times.astype(np.int64) % 24
    office = (hour >= 8) & (hour < 18)
    return times.astype("datetime64[s]"), 20 + 15 * office + rng.normal(0, 1, (n, hours))


def first_flag(flags: NDArray[np.bool_], onset: int) -> NDArray[np.int64]:
    after = flags[:, onset:]
    return np.where(after.any(axis=1), after.argmax(axis=1), -1)


def test_a_clean_weekly_series_raises_nothing() -> None:
    times, y = daily(seed=1)
    result = detect(times, y)
    assert not result.flags.any()
    assert result.scores.max() < 0.5 and result.scores.min() >= 0


def test_a_clean_daily_cycle_sampled_hourly_raises_nothing() -> None:
    times, y = hourly(seed=2)
    assert not detect(times, y).flags.any()


def test_a_monthly_charge_is_learned_after_three_months_and_then_raises_nothing() -> None:
    times, y = daily(seed=3)
    first_of_month = (times - times.astype("datetime64[M]")).astype(np.int64) == 0
    result = detect(times, y + 200 * first_of_month)
    flagged_days = np.flatnonzero(result.flags.any(axis=0))
    assert flagged_days.size > 0 and flagged_days.max() < 180  # learned by the summer


def test_a_spike_is_flagged_on_its_day_and_nothing_else() -> None:
    times, y = daily(seed=4)
    y[:, ONSET] += 80
    result = detect(times, y)
    assert result.flags[:, ONSET].all()
    assert result.flags.sum() == len(y)
    [ep] = episodes(result, y[:1], gap=7)
    assert (ep.start, ep.end, ep.shape) == (ONSET, ONSET, "spike")
    assert ep.actual - ep.expected == pytest.approx(80, abs=15)


def test_a_level_shift_is_flagged_at_once_and_stops_alerting_when_it_settles() -> None:
    times, y = daily(seed=5)
    y[:, ONSET:] += 50
    result = detect(times, y)
    assert (first_flag(result.flags, ONSET) == 0).all()
    assert not result.flags[:, ONSET + 14 :].any()  # the new normal, two weeks on
    shapes = [ep.shape for ep in episodes(result, y, gap=7)]
    assert shapes == ["level_shift"] * len(y)


def test_a_gradual_drift_is_flagged_within_six_weeks_and_stops_when_it_plateaus() -> None:
    times, y = daily(seed=6)
    y[:, ONSET:] += np.minimum(np.arange(DAYS - ONSET) * 1.0, 60)  # +1 a day for 60 days
    result = detect(times, y)
    delay = first_flag(result.flags, ONSET)
    assert ((delay >= 0) & (delay <= 42)).all(), delay
    assert not result.flags[:, ONSET + 60 + 35 :].any()


def test_a_broken_weekly_pattern_is_flagged_then_learned() -> None:
    times, y = daily(seed=7)
    weekday = (times.astype(np.int64) + 3) % 7
    y[:, ONSET:] += 60 * (weekday[ONSET:] >= 5)  # weekends now cost more than weekdays
    result = detect(times, y)
    assert (first_flag(result.flags, ONSET) <= 7).all()
    assert not result.flags[:, ONSET + 42 :].any()
    assert {ep.shape for ep in episodes(result, y, gap=7)} == {"seasonal_break"}


@pytest.mark.parametrize(
    "shape",
    [
        "spike",
        "level_shift",
        "drift",
        "seasonal_break",
    ],
)
def test_each_shape_is_flagged_at_hourly_sampling(shape: str) -> None:
    times, y = hourly(seed=8)
    onset = 24 * 45
    hour = times.astype("datetime64[h]").astype(np.int64) % 24
    if shape == "spike":
        y[:, onset] += 15
    elif shape == "level_shift":
        y[:, onset:] += 10
    elif shape == "drift":
        y[:, onset:] += np.minimum(np.arange(y.shape[1] - onset) * 0.1, 12)
    else:
        y[:, onset:] += 12 * (hour[onset:] < 6)  # night-time spend appears
    result = detect(times, y)
    delay = first_flag(result.flags, onset)
    assert ((delay >= 0) & (delay <= 72)).all(), delay
    assert not result.flags[:, :onset].any()


def test_irregular_gaps_keep_the_calendar() -> None:
    times, y = daily(seed=9, n=1)
    keep = np.ones(DAYS, dtype=bool)
    keep[np.random.default_rng(9).choice(DAYS - 10, 90, replace=False)] = False  # a sixth of days missing
    keep[ONSET] = True
    y[:, ONSET] += 80
    result = detect(times[keep], y[:, keep])
    flagged = times[keep][result.flags[0]]
    assert list(flagged) == [times[ONSET]]


def test_appending_future_points_never_changes_a_past_judgement() -> None:
    times, y = daily(seed=10)
    y[:, 200] += 70
    y[:, 300:] += 40
    y[:, 450:] += np.arange(DAYS - 450) * 0.8
    full = detect(times, y)
    for cut in (150, 201, 305, 460, 500):
        head = detect(times[:cut], y[:, :cut])
        assert np.array_equal(head.flags, full.flags[:, :cut])
        assert np.array_equal(head.scores, full.scores[:, :cut])
        assert np.array_equal(head.expected, full.expected[:, :cut], equal_nan=True)


def test_feedback_false_makes_later_detection_less_eager_and_never_rewrites_the_past() -> None:
    times, y = daily(seed=11, n=1)
    y[0, 300] += 32
    y[0, 420] += 32
    plain = detect(times, y)
    assert plain.flags[0, 300] and plain.flags[0, 420]
    told = detect(times, y, feedback=[FeedbackNote(0, 300, 300, "false", effective=310)])
    assert told.flags[0, 300] and not told.flags[0, 420]
    assert np.array_equal(told.flags[0, :310], plain.flags[0, :310])
    assert np.array_equal(told.scores[0, :310], plain.scores[0, :310])


def test_feedback_expected_makes_a_shift_normal_at_once_and_confirmed_changes_nothing() -> None:
    times, y = daily(seed=12, n=1)
    y[0, ONSET:] += 45
    plain = detect(times, y)
    note = FeedbackNote(0, ONSET, ONSET + 2, "expected", effective=ONSET + 3)
    expected = detect(times, y, feedback=[note])
    confirmed = detect(
        times, y, feedback=[FeedbackNote(0, ONSET, ONSET + 2, "confirmed", effective=ONSET + 3)]
    )
    after = slice(ONSET + 3, None)
    assert plain.flags[0, after].sum() >= 3
    assert not expected.flags[0, after].any()
    assert np.array_equal(expected.flags[0, : ONSET + 3], plain.flags[0, : ONSET + 3])
    assert np.array_equal(confirmed.flags, plain.flags)


@pytest.mark.parametrize("cuts", [list(range(0, DAYS + 1)), [0, 5, 70, 71, 163, 300, 401, 402, 470, DAYS]])
def test_judging_in_chunks_from_the_kept_state_equals_one_run_bit_for_bit(cuts: list[int]) -> None:
    """The service judges each day from the state the day before left (``detect_from``): every
    number must be the one a single run over the whole series gives (spike, shift, drift,
    monthly charge, seasonal break, feedback), whatever the chunks."""
    times, y = daily(seed=9, n=5)
    y[0, ONSET] += 150
    y[1, ONSET:] += 60
    y[2, ONSET:] += np.linspace(0, 150, DAYS - ONSET)
    y[3] += 300 * ((times - times.astype("datetime64[M]")).astype(np.int64) == 0)
    y[4, ONSET:] += 90 * ((times[ONSET:].astype(np.int64) + 3) % 7 == 2)
    notes = [FeedbackNote(1, ONSET, ONSET + 6, "false", effective=ONSET + 20)]
    whole = detect(times, y, feedback=notes)
    state, parts = None, []
    for lo, hi in itertools.pairwise(cuts):
        part, state = detect_from(state, times[lo:hi], y[:, lo:hi], feedback=notes)
        parts.append(part)
    assert state is not None and state.arrays["y"].shape[1] < 250  # a window is kept, not the past
    for name in ("expected", "scores", "flags", "kind", "judged"):
        chunked = np.concatenate([getattr(p, name) for p in parts], axis=1)
        assert np.array_equal(getattr(whole, name), chunked, equal_nan=True), name
    assert whole.flags.any(axis=1).all()
