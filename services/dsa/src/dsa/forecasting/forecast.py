"""Forecasts of spend series with 80 % and 95 % intervals, the method chosen by backtest.

Why: a controller wants to know where the year lands and how sure that is. statsforecast's
AutoETS, AutoTheta and AutoARIMA each win on some kinds of series and lose on others, and their
mean (an equal-weight ensemble) is often better than each (the M4 lesson). So the candidates are
backtested on the last ``windows`` x ``horizon`` points of every series (rolling origin, refit at
each cutoff, statsforecast's ``cross_validation``), scored with MASE (scale: the in-sample seasonal
naive error before each cutoff) and sMAPE from utilsforecast, and the one with the lowest mean
MASE over all series and windows forecasts the future. Seasonal naive is always scored alongside
as the baseline a method has to beat.

The ensemble's interval is the mean of its members' bounds: a convention (not a probability
statement), stated so in the README.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, SeasonalNaive
from utilsforecast import losses

LEVELS = (80, 95)
MEMBERS = ("AutoETS", "AutoTheta")
"""AutoARIMA is a candidate on request only: 0.5 s a series against AutoETS's 0.08 and AutoTheta's
0.02 (20 monthly series of 60 points), i.e. about 50 minutes for a 2,000-series backtest."""
WITH_ARIMA = (*MEMBERS, "AutoARIMA")
ENSEMBLE = "Ensemble"
BASELINE = "SeasonalNaive"


class ForecastError(ValueError):
    """The series cannot be forecast as asked (too short, irregular): said so, not guessed."""


@dataclass(frozen=True)
class Backtest:
    method: str
    mase: float
    smape: float


@dataclass(frozen=True)
class ForecastResult:
    chosen: str
    backtests: list[Backtest]
    """every candidate and the seasonal naive baseline, best MASE first."""
    forecast: pd.DataFrame
    """unique_id, ds, mean, lo-95, lo-80, hi-80, hi-95 for each series and future period."""


def _models(season_length: int, members: tuple[str, ...]) -> list[object]:
    build = {
        "AutoETS": lambda: AutoETS(season_length=season_length),
        "AutoTheta": lambda: AutoTheta(season_length=season_length),
        "AutoARIMA": lambda: AutoARIMA(season_length=season_length),
    }
    return [*(build[m]() for m in members), SeasonalNaive(season_length=season_length)]


def _with_ensemble(frame: pd.DataFrame, members: tuple[str, ...], levels: tuple[int, ...]) -> pd.DataFrame:
    frame = frame.copy()
    frame[ENSEMBLE] = frame[list(members)].mean(axis=1)
    for level in levels:
        for side in ("lo", "hi"):
            frame[f"{ENSEMBLE}-{side}-{level}"] = frame[[f"{m}-{side}-{level}" for m in members]].mean(axis=1)
    return frame


def backtest(
    df: pd.DataFrame,
    horizon: int,
    season_length: int,
    freq: str | int,
    windows: int = 2,
    members: tuple[str, ...] = MEMBERS,
) -> list[Backtest]:
    """Rolling-origin backtest of every candidate on ``df`` (unique_id, ds, y)."""
    shortest = int(df.groupby("unique_id").size().min())
    needed = 2 * season_length + windows * horizon
    if shortest < needed:
        raise ForecastError(
            f"the shortest series has {shortest} points; a backtest of {windows} x {horizon} with a "
            f"season of {season_length} needs {needed}"
        )
    sf = StatsForecast(models=_models(season_length, members), freq=freq, n_jobs=1)
    cv = sf.cross_validation(h=horizon, df=df, n_windows=windows, step_size=horizon)
    cv = _with_ensemble(cv.reset_index() if "unique_id" not in cv.columns else cv, members, ())
    methods = [*members, ENSEMBLE, BASELINE]  # the baseline competes too: when nothing beats it, it is used
    mase_parts, smape_parts = [], []
    for cutoff, part in cv.groupby("cutoff"):
        train = df[df["ds"] <= cutoff]
        mase_parts.append(losses.mase(part, methods, season_length, train, cutoff_col="cutoff"))
        smape_parts.append(losses.smape(part, methods, cutoff_col="cutoff"))
    mase = pd.concat(mase_parts)[methods].replace([np.inf, -np.inf], np.nan)
    smape = pd.concat(smape_parts)[methods]
    result = [Backtest(m, float(mase[m].mean()), float(smape[m].mean())) for m in methods]
    return sorted(result, key=lambda b: (np.isnan(b.mase), b.mase))


def forecast(
    df: pd.DataFrame,
    horizon: int,
    season_length: int,
    freq: str | int,
    windows: int = 2,
    members: tuple[str, ...] = MEMBERS,
) -> ForecastResult:
    """Backtest, choose the best candidate by MASE, and forecast ``horizon`` periods with it."""
    scores = backtest(df, horizon, season_length, freq, windows, members)
    chosen = scores[0].method
    sf = StatsForecast(models=_models(season_length, members), freq=freq, n_jobs=1)
    raw = sf.forecast(h=horizon, df=df, level=list(LEVELS))
    raw = raw.reset_index() if "unique_id" not in raw.columns else raw
    raw = _with_ensemble(raw, members, LEVELS)
    columns = {chosen: "mean"} | {
        f"{chosen}-{side}-{level}": f"{side}-{level}" for level in LEVELS for side in ("lo", "hi")
    }
    out = raw[["unique_id", "ds", *columns]].rename(columns=columns)
    return ForecastResult(chosen=chosen, backtests=scores, forecast=out)
