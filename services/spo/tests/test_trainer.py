"""The generic trainer (``msp-spo train|score``) on hand-made CSVs: mixed types, missing values,
an unseen category at scoring time, a model stored as data, and every bad input refused by name."""

from __future__ import annotations

import csv
import io
import json
import random
from contextlib import redirect_stdout
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingClassifier

from spo.winmodel.cli import main
from spo.winmodel.columns import design_matrix, detect
from spo.winmodel.model import WinModel
from spo.winmodel.table import InputError, parse_table, read_table
from spo.winmodel.train import GB_PARAMS, _fit_family, train

HEADER = ["deal", "created", "last_activity", "source", "industry", "amount", "recurring", "outcome"]


def history(rows: int = 160, seed: int = 3) -> list[list[str]]:
    """Deals whose outcome follows documented drivers: referrals win, silence loses, MRR helps."""
    r = random.Random(seed)
    out = []
    for i in range(rows):
        source = r.choice(["Referral", "Website", "Cold call", "Partner"])
        created = date(2025, 1, 1) + timedelta(days=i * 2)
        silent = r.randint(0, 60)
        recurring = r.choice(["yes", "no"])
        logit = (2.0 if source == "Referral" else -0.5) - silent / 20 + (0.6 if recurring == "yes" else 0)
        won = logit + r.gauss(0, 0.8) > 0
        out.append(
            [
                f"D-{i}",
                created.isoformat(),
                "" if i % 11 == 0 else (created + timedelta(days=silent)).isoformat(),
                source,
                r.choice(["Legal", "Dental", "Café"]),
                "" if i % 13 == 0 else f"{r.uniform(1000, 90000):,.2f}",
                recurring,
                "Won" if won else "Lost",
            ]
        )
    return out


def write(
    path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8"
) -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        w = csv.writer(handle, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """One training run shared by the tests that read its output (training is the slow part)."""
    tmp = tmp_path_factory.mktemp("trainer")
    csv_path = write(tmp / "history.csv", HEADER, history(), delimiter=";", encoding="cp1252")
    model_path = tmp / "model.json"
    printed = io.StringIO()
    with redirect_stdout(printed):
        code = main(
            [
                "train",
                "--csv",
                str(csv_path),
                "--target",
                "outcome",
                "--positive",
                "Won",
                "--drop",
                "deal",
                "--time-col",
                "created",
                "--model",
                str(model_path),
            ]
        )
    assert code == 0
    return csv_path, model_path, printed.getvalue()


def test_dialect_and_column_types_are_detected(trained: tuple[Path, Path, str]) -> None:
    table = read_table(trained[0])
    assert (table.encoding, table.delimiter) == ("cp1252", ";")
    detected = detect(table, {"outcome", "deal"}, "created")
    kinds = {s.name: s.kind for s in detected.features}
    assert kinds == {
        "last_activity": "date",
        "source": "categorical",
        "industry": "categorical",
        "amount": "numeric",
        "recurring": "boolean",
    }
    assert detected.reference is not None and detected.reference.name == "created"
    # "1,234.50" reads as a number; the missing amounts take the median and flag themselves
    X = design_matrix(detected.features, detected.reference, table)
    assert not np.isnan(X).any()


def test_train_prints_cv_auc_log_loss_calibration_and_out_of_time(trained: tuple[Path, Path, str]) -> None:
    _, model_path, printed = trained
    print(printed)
    assert "read " in printed and "encoding cp1252, delimiter ';'" in printed
    assert "cross-validated ROC-AUC logistic_regression" in printed
    assert "cross-validated ROC-AUC gradient_boosting" in printed
    assert "log loss" in printed and "calibration (out of fold)" in printed
    assert "out-of-time (train before" in printed
    metrics = json.loads(model_path.read_text())["metrics"]
    assert metrics["out_of_time"]["test_rows"] == 32  # the latest 20 % of 160
    assert max(metrics["cv_auc"].values()) > 0.8  # the drivers are learnable


def test_score_writes_every_row_back_with_probability_and_why_even_for_an_unseen_category(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    _, model_path, _ = trained
    fresh = [
        ["N-1", "2026-01-05", "2026-01-07", "Referral", "Legal", "40,000.00", "yes", ""],
        ["N-2", "2026-01-05", "2026-03-01", "Cold call", "Legal", "40,000.00", "no", ""],
        ["N-3", "2026-01-05", "", "Trade show", "Aerospace", "", "", ""],  # unseen, all missing
    ]
    open_csv = write(tmp_path / "open.csv", HEADER, fresh)
    out = tmp_path / "scored.csv"
    assert main(["score", "--csv", str(open_csv), "--model", str(model_path), "--out", str(out)]) == 0
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["deal"] for r in rows] == ["N-1", "N-2", "N-3"]
    p = [float(r["probability"]) for r in rows]
    assert all(0 < v < 1 for v in p)
    assert p[0] > 0.7 > 0.2 > p[1]  # a fresh referral vs a silent cold call
    assert "raised by" in rows[0]["why"] and "source Referral" in rows[0]["why"]
    assert "lowered by" in rows[1]["why"]
    assert rows[2]["why"].startswith(f"{p[2]:.0%} win chance")


def test_each_explanation_adds_up_for_a_logistic_model(trained: tuple[Path, Path, str]) -> None:
    csv_path, model_path, _ = trained
    model = WinModel.loads(model_path.read_text())
    table = read_table(csv_path)
    X = model.design(table)
    _, contributions = model.contributions(X)
    if model.family == "logistic_regression":  # exact: the score is the average deal plus the parts
        average = model.calib_slope * model.raw(np.asarray([model.baseline]))[0] + model.calib_intercept
        total = average + contributions.sum(axis=1)
        logit = model.calib_slope * model.raw(X) + model.calib_intercept
        assert np.allclose(total, logit)
    assert contributions.shape == (len(table.rows), len(model.columns))


def test_the_model_is_data_and_scores_bit_for_bit_after_a_round_trip(trained: tuple[Path, Path, str]) -> None:
    csv_path, model_path, _ = trained
    text = model_path.read_text()
    assert "pickle" not in text and json.loads(text)["format"] == "msp-spo-win-model/1"
    model = WinModel.loads(text)
    again = WinModel.loads(model.dumps())
    table = read_table(csv_path)
    assert model.probabilities(table).tobytes() == again.probabilities(table).tobytes()


def test_training_is_deterministic(trained: tuple[Path, Path, str]) -> None:
    csv_path, model_path, _ = trained
    again, _ = train(read_table(csv_path), "outcome", "Won", ["deal"], "created")
    assert again.dumps() + "\n" == model_path.read_text()


def test_exported_trees_score_exactly_as_scikit_learn(trained: tuple[Path, Path, str]) -> None:
    table = read_table(trained[0])
    detected = detect(table, {"outcome", "deal"}, "created")
    X = design_matrix(detected.features, detected.reference, table)
    y = np.array([1 if v == "Won" else 0 for v in table.column("outcome")])
    ours = _fit_family("gradient_boosting", X, y, seed=0)
    theirs = GradientBoostingClassifier(random_state=0, **GB_PARAMS).fit(X, y)
    assert np.allclose(ours.raw(X), theirs.decision_function(X), rtol=0, atol=1e-9)


def test_yes_no_and_one_zero_targets_need_no_positive(tmp_path: Path) -> None:
    rows = history(60)
    for i, row in enumerate(rows):
        row[-1] = ("1" if row[-1] == "Won" else "0") if i % 2 else ("yes" if row[-1] == "Won" else "no")
    rows[5][-1] = ""  # an open deal in the export: skipped, not an error
    table = parse_table(
        ("\t".join(HEADER) + "\n" + "\n".join("\t".join(r) for r in rows)).encode("utf-8-sig"), "h.tsv"
    )
    assert table.delimiter == "\t"
    _, report = train(table, "outcome", None, ["deal"])
    assert (report.rows, report.skipped_unlabelled) == (59, 1)


def fails(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def train_argv(path: Path, tmp_path: Path, *extra: str) -> list[str]:
    return ["train", "--csv", str(path), "--model", str(tmp_path / "m.json"), *extra]


def test_an_empty_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    assert f"{path}: the file is empty" in fails(
        tmp_path, capsys, train_argv(path, tmp_path, "--target", "won")
    )
    path.write_text("a,b,won\n")
    assert f"{path}: no data rows" in fails(tmp_path, capsys, train_argv(path, tmp_path, "--target", "won"))


def test_a_missing_target_column_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "h.csv", HEADER, history(40))
    err = fails(tmp_path, capsys, train_argv(path, tmp_path, "--target", "won"))
    assert f"{path}, line 1: no target column 'won'" in err


def test_a_one_class_target_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = history(40)
    for row in rows:
        row[-1] = "Won"
    path = write(tmp_path / "h.csv", HEADER, rows)
    err = fails(tmp_path, capsys, train_argv(path, tmp_path, "--target", "outcome", "--positive", "Won"))
    assert f"{path}, column 'outcome': every labelled row (lines 2-41) is positive" in err


def test_too_few_of_one_outcome_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = history(40)
    for i, row in enumerate(rows):
        row[-1] = "Lost" if i < 3 else "Won"
    path = write(tmp_path / "h.csv", HEADER, rows)
    err = fails(tmp_path, capsys, train_argv(path, tmp_path, "--target", "outcome", "--positive", "Won"))
    assert "37 positive and 3 negative rows; at least 5 of each" in err


def test_a_target_that_is_not_yes_no_needs_positive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "h.csv", HEADER, history(40))
    err = fails(tmp_path, capsys, train_argv(path, tmp_path, "--target", "outcome"))
    assert f"{path}, line 2, column 'outcome'" in err and "--positive" in err
    err = fails(tmp_path, capsys, train_argv(path, tmp_path, "--target", "outcome", "--positive", "Closed"))
    assert "no row has the positive value 'Closed'" in err


def test_a_ragged_line_is_refused_with_its_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "h.csv"
    path.write_text("a,b,won\n1,2,yes\n3,no\n")
    err = fails(tmp_path, capsys, train_argv(path, tmp_path, "--target", "won"))
    assert f"{path}, line 3: 2 fields where the header has 3" in err


def test_a_bad_drop_or_time_column_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "h.csv", HEADER, history(40))
    args = ("--target", "outcome", "--positive", "Won")
    assert "no column 'nope'" in fails(tmp_path, capsys, train_argv(path, tmp_path, *args, "--drop", "nope"))
    err = fails(tmp_path, capsys, train_argv(path, tmp_path, *args, "--time-col", "source"))
    assert "column 'source': --time-col must be a date column" in err


def test_scoring_refuses_a_bad_cell_a_missing_column_and_a_missing_model(
    trained: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, model_path, _ = trained
    out = str(tmp_path / "out.csv")
    bad = write(
        tmp_path / "bad.csv",
        HEADER,
        [["N-1", "2026-01-05", "2026-01-07", "Referral", "Legal", "lots", "yes", ""]],
    )
    err = fails(tmp_path, capsys, ["score", "--csv", str(bad), "--model", str(model_path), "--out", out])
    assert f"{bad}, line 2, column 'amount': 'lots' is not a number" in err
    short = write(tmp_path / "short.csv", ["deal", "created", "source"], [["N-1", "2026-01-05", "Referral"]])
    err = fails(tmp_path, capsys, ["score", "--csv", str(short), "--model", str(model_path), "--out", out])
    assert f"{short}, line 1: no column 'last_activity'" in err
    err = fails(
        tmp_path, capsys, ["score", "--csv", str(short), "--model", str(tmp_path / "none.json"), "--out", out]
    )
    assert "no such model file" in err
    not_model = tmp_path / "x.json"
    not_model.write_text('{"format": "other"}')
    err = fails(tmp_path, capsys, ["score", "--csv", str(short), "--model", str(not_model), "--out", out])
    assert "not a model written by 'msp-spo train'" in err


def test_an_input_error_names_file_line_and_column() -> None:
    with pytest.raises(InputError, match=r"x\.csv, line 1, column 'a': the column name appears twice"):
        parse_table(b"a,a,won\n1,2,yes\n", "x.csv")
