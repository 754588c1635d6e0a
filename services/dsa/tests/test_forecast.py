"""Forecasts: the backtest-chosen method beats seasonal naive on generated seasonal series, its
intervals nest (80 % inside 95 %), and ``msp-dsa forecast`` prints the backtest and writes them."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dsa.cli import main
from dsa.forecasting.forecast import BASELINE, ForecastError, backtest, forecast

MONTHS = 60


def seasonal(n: int = 12, seed: int = 0) -> pd.DataFrame:
    """Monthly spend: level 1,000, +5 a month, a yearly swing of 150 with a phase per series, noise 40."""
    rng = np.random.default_rng(seed)
    t = np.arange(MONTHS)
    frames = [
        pd.DataFrame(
            {
                "unique_id": f"dept-{i}",
                "ds": pd.date_range("2021-01-01", periods=MONTHS, freq="MS"),
                "y": 1000 + 5 * t + 150 * np.sin(2 * np.pi * t / 12 + i) + rng.normal(0, 40, MONTHS),
            }
        )
        for i in range(n)
    ]
    return pd.concat(frames, ignore_index=True)


def test_the_chosen_method_beats_seasonal_naive_in_the_backtest() -> None:
    result = forecast(seasonal(), horizon=12, season_length=12, freq="MS")
    scores = {b.method: b for b in result.backtests}
    assert result.chosen != BASELINE
    assert scores[result.chosen].mase < 0.9 * scores[BASELINE].mase
    assert scores[result.chosen].smape < scores[BASELINE].smape
    assert result.backtests[0].method == result.chosen


def test_the_forecast_has_every_month_and_nested_intervals() -> None:
    result = forecast(seasonal(n=3, seed=1), horizon=6, season_length=12, freq="MS")
    frame = result.forecast
    assert len(frame) == 3 * 6
    assert list(frame.columns) == ["unique_id", "ds", "mean", "lo-80", "hi-80", "lo-95", "hi-95"]
    assert (frame["lo-95"] <= frame["lo-80"]).all() and (frame["lo-80"] <= frame["mean"]).all()
    assert (frame["mean"] <= frame["hi-80"]).all() and (frame["hi-80"] <= frame["hi-95"]).all()
    assert frame["ds"].min() == pd.Timestamp("2026-01-01")


def test_too_short_a_history_is_refused_with_the_numbers() -> None:
    with pytest.raises(ForecastError, match=r"has 20 points.*needs 48"):
        backtest(seasonal(n=1).head(20), horizon=12, season_length=12, freq="MS")


def test_the_forecast_command_prints_the_backtest_and_writes_intervals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = seasonal(n=2, seed=2)
    source = tmp_path / "monthly.csv"
    frame.assign(month=frame["ds"].dt.strftime("%Y-%m-%d")).to_csv(
        source, columns=["unique_id", "month", "y"], index=False
    )
    out = tmp_path / "forecast.csv"
    args = ["forecast", "--csv", str(source), "--horizon", "6", "--series-col", "unique_id"]
    assert main([*args, "--time-col", "month", "--value-col", "y", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "MASE" in printed and "sMAPE" in printed and "SeasonalNaive" in printed and "chosen:" in printed
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 12
    assert set(rows[0]) == {"series", "time", "method", "mean", "lo-80", "hi-80", "lo-95", "hi-95"}
    assert rows[0]["time"] == "2026-01-01T00:00:00Z"


def test_irregular_times_are_refused_for_a_forecast(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "odd.csv"
    source.write_text("time,value\n2026-01-01,1\n2026-01-02,2\n2026-01-09,3\n2026-02-01,4\n")
    assert main(["forecast", "--csv", str(source), "--horizon", "2", "--out", str(tmp_path / "f.csv")]) == 2
    assert "not at a regular interval" in capsys.readouterr().err
