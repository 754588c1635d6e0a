"""Fitting the win model with scikit-learn: the family is chosen by cross-validation, then calibrated.

Both candidates, a logistic regression on standardised columns and a gradient-boosted tree
ensemble, are scored out of fold (stratified, shuffled with a fixed seed); the one with the higher
ROC-AUC wins (a tie goes to the regression, the simpler to read). Its out-of-fold scores fit a
Platt calibration, whose own quality is measured out of fold again (log loss, calibration table).
With a time column the honest test is out of time: everything above is redone on the oldest 80 %
and judged on the latest 20 %, because a model always scores deals newer than its history.
Seeded throughout: the same rows give the same model, bit for bit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from spo.winmodel.columns import (
    FALSE,
    TRUE,
    ColumnSpec,
    design_matrix,
    detect,
    is_missing,
    parse_date,
)
from spo.winmodel.model import Family, Tree, WinModel
from spo.winmodel.table import InputError, RawTable

MIN_PER_CLASS = 5
"""Fewer won or lost rows than this and cross-validation says nothing: training refuses."""
OUT_OF_TIME_SHARE = 0.2
CALIBRATION_BINS = 10
LR_C = 1.0
GB_PARAMS: dict[str, Any] = {"n_estimators": 100, "max_depth": 3, "learning_rate": 0.1, "subsample": 0.8}


@dataclass
class Report:
    rows: int
    positives: int
    skipped_unlabelled: int
    left_out: dict[str, str]
    kinds: dict[str, str]
    cv_auc: dict[str, float]
    chosen: str
    cv_log_loss: float
    calibration: list[tuple[float, float, float, int]]
    """(bin low, mean predicted, observed rate, rows) per non-empty bin"""
    out_of_time: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"rows: {self.rows} labelled ({self.positives} positive), {self.skipped_unlabelled} without "
            "a target value skipped",
            "columns: " + ", ".join(f"{n} ({k})" for n, k in self.kinds.items()),
        ]
        out += [f"left out: {n}: {why}" for n, why in self.left_out.items()]
        out += [f"cross-validated ROC-AUC {fam}: {auc:.4f}" for fam, auc in self.cv_auc.items()]
        out.append(
            f"chosen: {self.chosen}, calibrated (Platt); cross-validated log loss {self.cv_log_loss:.4f}"
        )
        out.append("calibration (out of fold): bin        predicted  observed  rows")
        out += [
            f"  {lo:.1f}-{lo + 0.1:.1f}    {p:9.3f}  {o:8.3f}  {n:4d}" for lo, p, o, n in self.calibration
        ]
        if self.out_of_time is not None:
            oot = self.out_of_time
            out.append(
                f"out-of-time (train before {oot['split']}, test on the latest {oot['test_rows']} rows): "
                + (
                    f"ROC-AUC {oot['auc']:.4f}, log loss {oot['log_loss']:.4f} ({oot['chosen']})"
                    if "auc" in oot
                    else oot["note"]
                )
            )
        out += self.notes
        return out


def labels(table: RawTable, target: str, positive: str | None) -> NDArray[np.float64]:
    """1 won / 0 lost / NaN unlabelled, per row; refuses a target that is not two outcomes."""
    if target not in table.header:
        raise InputError(
            f"{table.source}, line 1: no target column {target!r} (columns: {', '.join(table.header)})"
        )
    values = table.column(target)
    y = np.full(len(values), np.nan)
    wanted = None if positive is None else positive.strip().lower()
    if wanted is not None and not any(v.strip().lower() == wanted for v in values):
        raise InputError(
            f"{table.source}, column {target!r}: no row has the positive value {positive!r} "
            f"(values: {', '.join(sorted({v for v in values if not is_missing(v)})[:10])})"
        )
    for i, v in enumerate(values):
        if is_missing(v):
            continue
        t = v.strip().lower()
        if wanted is not None:
            y[i] = 1.0 if t == wanted else 0.0
        elif t in TRUE or t in FALSE:
            y[i] = 1.0 if t in TRUE else 0.0
        else:
            raise InputError(
                f"{table.source}, line {table.lines[i]}, column {target!r}: {v!r} is not yes/no, true/false "
                "or 1/0; name the positive value with --positive"
            )
    return y


def train(
    table: RawTable,
    target: str,
    positive: str | None = None,
    drop: list[str] | None = None,
    time_col: str | None = None,
    seed: int = 0,
) -> tuple[WinModel, Report]:
    drop = drop or []
    for name in [*drop, *([time_col] if time_col else [])]:
        if name not in table.header:
            raise InputError(
                f"{table.source}, line 1: no column {name!r} (columns: {', '.join(table.header)})"
            )
    y_all = labels(table, target, positive)
    keep = ~np.isnan(y_all)
    rows = [r for r, k in zip(table.rows, keep, strict=True) if k]
    lines = [n for n, k in zip(table.lines, keep, strict=True) if k]
    if not rows:
        raise InputError(f"{table.source}, column {target!r}: no row has a target value")
    labelled = RawTable(table.source, table.header, rows, lines, table.encoding, table.delimiter)
    y = y_all[keep].astype(np.int64)
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    if positives == 0 or negatives == 0:
        only = "positive" if negatives == 0 else "negative"
        raise InputError(
            f"{table.source}, column {target!r}: every labelled row (lines {lines[0]}-{lines[-1]}) "
            f"is {only}; a model needs both won and lost rows"
        )
    if min(positives, negatives) < MIN_PER_CLASS:
        raise InputError(
            f"{table.source}, column {target!r}: {positives} positive and {negatives} negative rows; "
            f"at least {MIN_PER_CLASS} of each are needed to train and validate"
        )
    detected = detect(labelled, {target, *drop}, time_col)
    if not detected.features:
        raise InputError(f"{table.source}: no usable feature column (left out: {detected.left_out})")
    X = design_matrix(detected.features, detected.reference, labelled)
    model, cv_auc, chosen, cv_ll, table_rows = fit(X, y, detected.features, detected.reference, seed)
    model.target, model.positive = target, positive or "yes/true/1"
    report = Report(
        rows=len(y),
        positives=positives,
        skipped_unlabelled=int((~keep).sum()),
        left_out=detected.left_out,
        kinds={s.name: s.kind for s in detected.features},
        cv_auc=cv_auc,
        chosen=chosen,
        cv_log_loss=cv_ll,
        calibration=table_rows,
    )
    if detected.reference is not None and time_col is not None:
        report.out_of_time = out_of_time(X, y, labelled, detected.features, detected.reference, seed)
    model.metrics = {
        "cv_auc": cv_auc,
        "chosen": chosen,
        "cv_log_loss": cv_ll,
        "out_of_time": report.out_of_time,
        "training_digest": digest(X, y),
    }
    return model, report


def fit(
    X: NDArray[np.float64],
    y: NDArray[np.int64],
    specs: list[ColumnSpec],
    reference: ColumnSpec | None,
    seed: int,
) -> tuple[WinModel, dict[str, float], Family, float, list[tuple[float, float, float, int]]]:
    """Choose the family by out-of-fold AUC, calibrate on its out-of-fold scores, refit on all rows."""
    folds = StratifiedKFold(n_splits=int(min(5, y.sum(), len(y) - y.sum())), shuffle=True, random_state=seed)
    splits = list(folds.split(X, y))
    oof: dict[Family, NDArray[np.float64]] = {}
    for family in ("logistic_regression", "gradient_boosting"):
        scores = np.zeros(len(y))
        for train_idx, test_idx in splits:
            scores[test_idx] = _fit_family(family, X[train_idx], y[train_idx], seed).raw(X[test_idx])
        oof[family] = scores
    cv_auc = {family: float(roc_auc_score(y, s)) for family, s in oof.items()}
    chosen: Family = (
        "gradient_boosting"
        if cv_auc["gradient_boosting"] > cv_auc["logistic_regression"]
        else "logistic_regression"
    )
    slope, intercept = platt(oof[chosen], y)
    # the calibration's own quality, out of fold as well: calibrate each fold from the others
    calibrated = np.zeros(len(y))
    for train_idx, test_idx in splits:
        a, b = platt(oof[chosen][train_idx], y[train_idx])
        calibrated[test_idx] = 1.0 / (1.0 + np.exp(-(a * oof[chosen][test_idx] + b)))
    model = _fit_family(chosen, X, y, seed)
    model.columns, model.reference = specs, reference
    model.calib_slope, model.calib_intercept = slope, intercept
    model.training_rows = len(y)
    return (
        model,
        cv_auc,
        chosen,
        float(log_loss(y, calibrated, labels=[0, 1])),
        calibration_table(calibrated, y),
    )


def _fit_family(family: Family, X: NDArray[np.float64], y: NDArray[np.int64], seed: int) -> WinModel:
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    common: dict[str, Any] = {
        "target": "",
        "positive": "",
        "columns": [],
        "reference": None,
        "family": family,
        "baseline": [float(v) for v in mean],
        "mean": [float(v) for v in mean],
        "scale": [float(v) for v in scale],
    }
    if family == "logistic_regression":
        lr = LogisticRegression(C=LR_C, max_iter=5000)
        lr.fit((X - mean) / scale, y)
        return WinModel(**common, coef=[float(v) for v in lr.coef_[0]], intercept=float(lr.intercept_[0]))
    gb = GradientBoostingClassifier(random_state=seed, **GB_PARAMS)
    gb.fit(X, y)
    prior = float(np.clip(y.mean(), 1e-9, 1 - 1e-9))
    trees = []
    for [estimator] in gb.estimators_:
        t = estimator.tree_
        trees.append(
            Tree(
                left=[int(v) for v in t.children_left],
                right=[int(v) for v in t.children_right],
                feature=[int(v) for v in t.feature],
                threshold=[float(v) for v in t.threshold],
                value=[float(v) for v in t.value[:, 0, 0]],
                depth=int(t.max_depth),
            )
        )
    return WinModel(
        **common,
        init=float(np.log(prior / (1 - prior))),
        learning_rate=float(GB_PARAMS["learning_rate"]),
        trees=trees,
    )


def platt(raw: NDArray[np.float64], y: NDArray[np.int64]) -> tuple[float, float]:
    """Slope and intercept of Platt scaling (a one-feature logistic regression, barely regularised)."""
    if len(set(y.tolist())) < 2:
        return 1.0, 0.0
    lr = LogisticRegression(C=1e6, max_iter=5000)
    lr.fit(raw.reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def calibration_table(p: NDArray[np.float64], y: NDArray[np.int64]) -> list[tuple[float, float, float, int]]:
    bins = np.minimum((p * CALIBRATION_BINS).astype(np.int64), CALIBRATION_BINS - 1)
    out = []
    for b in range(CALIBRATION_BINS):
        members = bins == b
        if members.any():
            out.append(
                (b / CALIBRATION_BINS, float(p[members].mean()), float(y[members].mean()), int(members.sum()))
            )
    return out


def out_of_time(
    X: NDArray[np.float64],
    y: NDArray[np.int64],
    table: RawTable,
    specs: list[ColumnSpec],
    reference: ColumnSpec,
    seed: int,
) -> dict[str, Any]:
    """Train on the oldest 80 % by the time column, test on the latest 20 %."""
    days = np.array(
        [np.nan if is_missing(v) else _ordinal(v, reference) for v in table.column(reference.name)]
    )
    dated = np.flatnonzero(~np.isnan(days))
    order = dated[np.argsort(days[dated], kind="stable")]
    cut = round(len(order) * (1 - OUT_OF_TIME_SHARE))
    past, latest = order[:cut], order[cut:]
    split = date.fromordinal(int(days[latest[0]])).isoformat() if len(latest) else "-"
    result: dict[str, Any] = {"split": split, "test_rows": len(latest), "train_rows": len(past)}
    yp, yl = y[past], y[latest]
    if min(int(yp.sum()), int(len(yp) - yp.sum())) < MIN_PER_CLASS or len(set(yl.tolist())) < 2:
        result["note"] = "not measurable: the past or the latest rows lack both outcomes"
        return result
    model, _, chosen, _, _ = fit(X[past], yp, specs, reference, seed)
    p = model.calibrate(model.raw(X[latest]))
    result.update(
        auc=float(roc_auc_score(yl, p)),
        log_loss=float(log_loss(yl, p, labels=[0, 1])),
        chosen=chosen,
        calibration=calibration_table(p, yl),
    )
    return result


def _ordinal(text: str, reference: ColumnSpec) -> float:
    parsed = parse_date(text, reference.date_format or "iso")
    return np.nan if parsed is None else float(parsed.toordinal())


def digest(X: NDArray[np.float64], y: NDArray[np.int64]) -> str:
    """SHA-256 of the training matrix and labels: the same digest means the same model."""
    h = hashlib.sha256(np.ascontiguousarray(X).tobytes())
    h.update(np.ascontiguousarray(y).tobytes())
    return h.hexdigest()
