"""``msp-dsa``: DSA's detector and forecaster on any CSV of timestamped series.

``anomalies`` runs the very detector the service runs (each point judged from the points before
it), so what an analyst sees on an export is what the agent would have said live.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dsa.detection.detector import DetectorConfig, calendar_for, detect
from dsa.detection.episodes import episodes
from dsa.series_csv import InputError, read_series


def anomalies(args: argparse.Namespace) -> int:
    table = read_series(Path(args.csv), args.time_col, args.value_col, args.series_col)
    config = DetectorConfig(threshold=args.threshold)
    scores = np.zeros(table.row_count)
    flags = np.zeros(table.row_count, dtype=np.int8)
    found = []
    for series in table.series:
        result = detect(series.times, series.values, config)
        gap = calendar_for(series.times, config.warmup).season_points
        for ep in episodes(result, series.values, gap):
            found.append((series, ep))
        for k, members in enumerate(series.rows):
            for row in members:
                scores[row] = result.scores[0, k]
                flags[row] = int(result.flags[0, k])
    with Path(args.out).open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["series", "start", "end", "peak_time", "score", "expected", "actual", "shape"])
        for series, ep in found:
            out.writerow(
                [
                    series.name,
                    _iso(series.times[ep.start]),
                    _iso(series.times[ep.end]),
                    _iso(series.times[ep.peak]),
                    f"{ep.score:.4f}",
                    f"{ep.expected:.4f}",
                    f"{ep.actual:.4f}",
                    ep.shape,
                ]
            )
    if args.scores_out:
        with Path(args.scores_out).open("w", newline="") as handle:
            scored = csv.writer(handle)
            scored.writerow([*table.header, "anomaly_score", "anomaly_flag"])
            for i, line in enumerate(table.rows):
                scored.writerow([*line, f"{scores[i]:.4f}", int(flags[i])])
    print(f"{len(table.series)} series, {table.row_count} rows, {len(found)} anomalies -> {args.out}")
    return 0


def forecast(args: argparse.Namespace) -> int:
    import pandas as pd  # heavy (and statsforecast's numba): only for this command

    from dsa.forecasting.forecast import MEMBERS, WITH_ARIMA, ForecastError
    from dsa.forecasting.forecast import forecast as run_forecast

    path = Path(args.csv)
    table = read_series(path, args.time_col, args.value_col, args.series_col)
    frames, freq = [], None
    for series in table.series:
        ds = pd.DatetimeIndex(series.times)
        inferred = pd.infer_freq(ds) if len(ds) >= 3 else None
        if inferred is None:
            raise InputError(
                f"{path}: series {series.name or '(all rows)'!r}: times are not at a regular interval"
            )
        if freq is not None and inferred != freq:
            raise InputError(f"{path}: series {series.name!r} is sampled {inferred}, the first one {freq}")
        freq = inferred
        frames.append(pd.DataFrame({"unique_id": series.name or "series", "ds": ds, "y": series.values}))
    if not frames:
        raise InputError(f"{path}: no data rows")
    try:
        result = run_forecast(
            pd.concat(frames, ignore_index=True),
            args.horizon,
            args.season_length,
            freq or "MS",
            windows=args.windows,
            members=WITH_ARIMA if args.with_arima else MEMBERS,
        )
    except ForecastError as error:
        raise InputError(f"{path}: {error}") from None
    print(f"backtest ({args.windows} windows of {args.horizon}), mean over series:")
    print(f"  {'method':<14} {'MASE':>7} {'sMAPE':>7}")
    for b in result.backtests:
        print(f"  {b.method:<14} {b.mase:>7.3f} {b.smape:>7.3f}")
    baseline = next(b for b in result.backtests if b.method == "SeasonalNaive")
    chosen = result.backtests[0]
    print(f"chosen: {result.chosen} (MASE {chosen.mase:.3f} vs seasonal naive {baseline.mase:.3f})")
    out = result.forecast.rename(columns={"unique_id": "series", "ds": "time"})
    out.insert(2, "method", result.chosen)
    out.to_csv(args.out, index=False, float_format="%.4f", date_format="%Y-%m-%dT%H:%M:%SZ")
    return 0


def _iso(value: np.datetime64) -> str:
    return str(value.astype("datetime64[s]")) + "Z"


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="msp-dsa", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    a = commands.add_parser("anomalies", help="flag anomalies in timestamped series, no look-ahead")
    a.add_argument("--csv", required=True, help="input CSV with a header line")
    a.add_argument("--time-col", default="time", help="ISO 8601 date or date-time column (default: time)")
    a.add_argument("--value-col", default="value", help="numeric column (default: value)")
    a.add_argument("--series-col", default=None, help="column naming the series (default: one series)")
    a.add_argument("--out", required=True, help="anomalies CSV: one row per anomaly")
    a.add_argument("--scores-out", default=None, help="every input row with its score in [0, 1] and flag")
    a.add_argument("--threshold", type=float, default=DetectorConfig().threshold, help="robust z to flag")
    a.set_defaults(run=anomalies)
    f = commands.add_parser("forecast", help="backtest, choose and forecast regular series with intervals")
    f.add_argument("--csv", required=True, help="input CSV with a header line")
    f.add_argument("--horizon", type=int, required=True, help="periods to forecast (and to backtest)")
    f.add_argument("--time-col", default="time", help="ISO 8601 date or date-time column (default: time)")
    f.add_argument("--value-col", default="value", help="numeric column (default: value)")
    f.add_argument("--series-col", default=None, help="column naming the series (default: one series)")
    f.add_argument("--season-length", type=int, default=12, help="periods in a season (default: 12)")
    f.add_argument("--windows", type=int, default=2, help="backtest windows (default: 2)")
    f.add_argument("--with-arima", action="store_true", help="AutoARIMA as a candidate too (slow)")
    f.add_argument("--out", required=True, help="forecast CSV: mean and 80/95 % bounds per period")
    f.set_defaults(run=forecast)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except InputError as error:
        print(f"msp-dsa: {error}", file=sys.stderr)
        return 2
    return code


def entry() -> None:
    sys.exit(main())
