"""Training the churn model with scikit-learn, deterministically, into a JSON-storable model.

A logistic regression on standardised features, calibrated with Platt's sigmoid through
``CalibratedClassifierCV(ensemble=False)``: the calibration is fitted on 5-fold out-of-fold
decision values (unshuffled stratified folds), the regression itself on all rows. The result is
one set of coefficients plus two calibration numbers, stored as JSON and evaluated in pure Python
(``cpi.domain.churn.LogisticModel``), so every replica and every replay score the same.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from cpi.domain.churn import FEATURES, LogisticModel, TrainingRow

C = 0.5
"""Inverse L2 strength: a little shrinkage keeps coefficients stable with a few dozen outcomes."""


def training_digest(rows: Sequence[TrainingRow]) -> str:
    """SHA-256 of the training set in its order: same digest, same model."""
    h = hashlib.sha256()
    for r in rows:
        h.update(json.dumps([r.client_id, r.month.isoformat(), list(r.features), r.churned]).encode())
    return h.hexdigest()


def fit(rows: Sequence[TrainingRow]) -> LogisticModel:
    X = np.array([r.features for r in rows], dtype=np.float64)
    y = np.array([1 if r.churned else 0 for r in rows], dtype=np.int64)
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (X - mean) / scale
    folds = int(min(5, y.sum(), len(y) - y.sum()))
    base = LogisticRegression(C=C, max_iter=2000, solver="lbfgs")
    calibrated = CalibratedClassifierCV(
        base, method="sigmoid", cv=StratifiedKFold(n_splits=max(folds, 2)), ensemble=False
    )
    calibrated.fit(Z, y)
    [fitted] = calibrated.calibrated_classifiers_
    lr = fitted.estimator
    [sigmoid] = fitted.calibrators
    return LogisticModel(
        features=FEATURES,
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        coef=tuple(float(v) for v in lr.coef_[0]),
        intercept=float(lr.intercept_[0]),
        calib_a=float(sigmoid.a_),
        calib_b=float(sigmoid.b_),
    )
