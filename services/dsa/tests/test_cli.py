"""``msp-dsa anomalies`` end to end on CSV files: the planted spike is the one anomaly, every row
gets a score, and bad input is refused naming file, line and column."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from dsa.cli import main


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def spend_csv(path: Path) -> Path:
    rng = np.random.default_rng(3)
    rows = [["day", "department", "spend"]]
    for dept in ("Sales", "Service Delivery"):
        for i in range(200):
            day = date(2026, 1, 1) + timedelta(days=i)
            value = (
                100
                + 30 * (day.weekday() < 5)
                + rng.normal(0, 5)
                + (90 if dept == "Sales" and i == 150 else 0)
            )
            rows.append([day.isoformat(), dept, f"{value:.2f}"])
    return write(path, rows)


def test_anomalies_and_scores_are_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = spend_csv(tmp_path / "spend.csv")
    out, scores = tmp_path / "anomalies.csv", tmp_path / "scores.csv"
    args = ["anomalies", "--csv", str(source), "--time-col", "day", "--value-col", "spend"]
    code = main([*args, "--series-col", "department", "--out", str(out), "--scores-out", str(scores)])
    assert code == 0
    [anomaly] = list(csv.DictReader(out.open()))
    assert (anomaly["series"], anomaly["start"], anomaly["end"]) == (
        "Sales",
        "2026-05-31T00:00:00Z",
        "2026-05-31T00:00:00Z",
    )
    assert float(anomaly["actual"]) - float(anomaly["expected"]) == pytest.approx(90, abs=20)
    scored = list(csv.DictReader(scores.open()))
    assert len(scored) == 400
    assert all(0 <= float(r["anomaly_score"]) <= 1 for r in scored)
    assert [r["day"] for r in scored if r["anomaly_flag"] == "1"] == ["2026-05-31"]
    assert "2 series, 400 rows, 1 anomalies" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("rows", "args", "message"),
    [
        ([["time", "value"], ["2026-01-01", "1"]], ["--value-col", "cost"], ":1: no column 'cost'"),
        ([["time", "value"], ["2026-01-01", "1"], ["yesterday", "2"]], [], ":3: column 'time': 'yesterday'"),
        ([["time", "value"], ["2026-01-01", "ten"]], [], ":2: column 'value': 'ten' is not a number"),
        ([["time", "value"], ["2026-01-01", ""]], [], ":2: column 'value': empty"),
        ([["time", "value"], ["2026-01-01", "nan"]], [], ":2: column 'value': 'nan' is not a finite"),
    ],
)
def test_bad_input_names_file_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: list[list[str]], args: list[str], message: str
) -> None:
    source = write(tmp_path / "bad.csv", rows)
    assert main(["anomalies", "--csv", str(source), "--out", str(tmp_path / "a.csv"), *args]) == 2
    error = capsys.readouterr().err
    assert str(source) in error and message in error


def test_a_missing_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["anomalies", "--csv", str(tmp_path / "none.csv"), "--out", str(tmp_path / "a.csv")]) == 2
    assert "none.csv: no such file" in capsys.readouterr().err
