"""A trained win model as plain JSON data, and scoring and explaining from that data alone.

No pickle and no scikit-learn at scoring time: a logistic regression is its coefficients, a
gradient-boosted ensemble its trees (children, split feature, threshold, leaf value), each with
a Platt calibration (``p = 1 / (1 + exp(-(slope * raw + intercept)))``). Every replica and every
replay therefore scores the same row to the same bits, and a model file can be read and audited.

Explanations are per input column, in log-odds of the calibrated probability: the change in the
score when that column is set to the average training deal (for a logistic regression this is
exactly coefficient x standardised value; for trees it is the same question asked of the trees).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from spo.winmodel.columns import ColumnSpec, design_matrix, group_slices
from spo.winmodel.table import RawTable

FORMAT = "msp-spo-win-model/1"
Family = Literal["logistic_regression", "gradient_boosting"]
TOP_REASONS = 3


@dataclass(frozen=True)
class Tree:
    left: list[int]
    right: list[int]
    feature: list[int]
    threshold: list[float]
    value: list[float]
    depth: int


@dataclass
class WinModel:
    target: str
    positive: str
    columns: list[ColumnSpec]
    reference: ColumnSpec | None
    family: Family
    baseline: list[float]
    """design-column means over the training rows: 'the average deal' explanations compare with"""
    mean: list[float]
    scale: list[float]
    coef: list[float] = field(default_factory=list)
    intercept: float = 0.0
    init: float = 0.0
    learning_rate: float = 0.0
    trees: list[Tree] = field(default_factory=list)
    calib_slope: float = 1.0
    calib_intercept: float = 0.0
    training_rows: int = 0
    metrics: dict[str, Any] = field(default_factory=dict)
    _pack: Any = field(default=None, repr=False, compare=False)

    # -- scoring ---------------------------------------------------------------------------
    def raw(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """The uncalibrated score (log-odds scale) of each design row."""
        if self.family == "logistic_regression":
            # an elementwise product summed along each row, not a matrix product: BLAS may block
            # rows differently by how many there are, and a row's score must not depend on the
            # rows scored with it (the service scores a batch's deals together)
            Z = (X - np.asarray(self.mean)) / np.asarray(self.scale)
            return np.asarray((Z * np.asarray(self.coef)).sum(axis=1) + self.intercept, dtype=np.float64)
        # trees compare in float32 as scikit-learn does, so thresholds split exactly alike; all
        # trees walk at once (rows x trees), one step per level
        left, right, feature, threshold, value = self._packed()
        X32 = X.astype(np.float32).astype(np.float64)
        trees = np.arange(left.shape[0])
        node = np.zeros((X.shape[0], left.shape[0]), dtype=np.int64)
        rows = np.arange(X.shape[0])[:, None]
        for _ in range(max((t.depth for t in self.trees), default=0)):
            leaf = left[trees, node] == -1
            go_left = X32[rows, np.maximum(feature[trees, node], 0)] <= threshold[trees, node]
            node = np.where(leaf, node, np.where(go_left, left[trees, node], right[trees, node]))
        return np.asarray(self.init + self.learning_rate * value[trees, node].sum(axis=1), dtype=np.float64)

    def _packed(
        self,
    ) -> tuple[
        NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]
    ]:
        """The trees as padded (trees x nodes) arrays, built once per model."""
        if self._pack is None:
            width = max(len(t.left) for t in self.trees)
            left = np.full((len(self.trees), width), -1, dtype=np.int64)
            right = np.full((len(self.trees), width), -1, dtype=np.int64)
            feature = np.zeros((len(self.trees), width), dtype=np.int64)
            threshold = np.zeros((len(self.trees), width))
            value = np.zeros((len(self.trees), width))
            for k, t in enumerate(self.trees):
                n = len(t.left)
                left[k, :n], right[k, :n], feature[k, :n] = t.left, t.right, t.feature
                threshold[k, :n], value[k, :n] = t.threshold, t.value
            self._pack = (left, right, feature, threshold, value)
        return self._pack

    def calibrate(self, raw: NDArray[np.float64]) -> NDArray[np.float64]:
        logit = self.calib_slope * raw + self.calib_intercept
        return np.asarray(1.0 / (1.0 + np.exp(-logit)), dtype=np.float64)

    def design(self, table: RawTable) -> NDArray[np.float64]:
        return design_matrix(self.columns, self.reference, table)

    def probabilities(self, table: RawTable) -> NDArray[np.float64]:
        return self.calibrate(self.raw(self.design(table)))

    def contributions(self, X: NDArray[np.float64]) -> tuple[list[str], NDArray[np.float64]]:
        """Per input column, the signed log-odds it adds against the average training deal."""
        raw = self.raw(X)
        names, out = [], np.zeros((X.shape[0], len(self.columns)))
        baseline = np.asarray(self.baseline)
        for k, (name, cols) in enumerate(group_slices(self.columns)):
            names.append(name)
            moved = X.copy()
            moved[:, cols] = baseline[cols]
            out[:, k] = self.calib_slope * (raw - self.raw(moved))
        return names, out

    def explain(self, table: RawTable) -> list[Explained]:
        X = self.design(table)
        p = self.calibrate(self.raw(X))
        names, contrib = self.contributions(X)
        cells = {name: table.column(name) for name in names}
        out = []
        for i in range(X.shape[0]):
            order = sorted(range(len(names)), key=lambda k: (-abs(contrib[i, k]), names[k]))
            top = [
                Reason(names[k], cells[names[k]][i], round(float(contrib[i, k]), 4))
                for k in order[:TOP_REASONS]
                if abs(contrib[i, k]) >= 0.005
            ]
            out.append(Explained(float(p[i]), top, why(float(p[i]), self.family, top)))
        return out

    # -- storage ---------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "target": self.target,
            "positive": self.positive,
            "columns": [c.to_json() for c in self.columns],
            "reference": None if self.reference is None else self.reference.to_json(),
            "family": self.family,
            "baseline": self.baseline,
            "mean": self.mean,
            "scale": self.scale,
            "coef": self.coef,
            "intercept": self.intercept,
            "init": self.init,
            "learning_rate": self.learning_rate,
            "trees": [t.__dict__ for t in self.trees],
            "calibration": {"slope": self.calib_slope, "intercept": self.calib_intercept},
            "training_rows": self.training_rows,
            "metrics": self.metrics,
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WinModel:
        if data.get("format") != FORMAT:
            raise ValueError(f"not a win model of format {FORMAT} (format {data.get('format')!r})")
        return cls(
            target=data["target"],
            positive=data["positive"],
            columns=[ColumnSpec.from_json(c) for c in data["columns"]],
            reference=None if data["reference"] is None else ColumnSpec.from_json(data["reference"]),
            family=data["family"],
            baseline=[float(v) for v in data["baseline"]],
            mean=[float(v) for v in data["mean"]],
            scale=[float(v) for v in data["scale"]],
            coef=[float(v) for v in data["coef"]],
            intercept=float(data["intercept"]),
            init=float(data["init"]),
            learning_rate=float(data["learning_rate"]),
            trees=[Tree(**t) for t in data["trees"]],
            calib_slope=float(data["calibration"]["slope"]),
            calib_intercept=float(data["calibration"]["intercept"]),
            training_rows=int(data["training_rows"]),
            metrics=dict(data["metrics"]),
        )

    @classmethod
    def loads(cls, text: str) -> WinModel:
        return cls.from_json(json.loads(text))


@dataclass(frozen=True)
class Reason:
    column: str
    value: str
    contribution: float
    """log-odds added to the win chance against the average deal (negative: lowers it)"""


@dataclass(frozen=True)
class Explained:
    probability: float
    reasons: list[Reason]
    why: str


FAMILY_WORDS = {"logistic_regression": "logistic regression", "gradient_boosting": "gradient boosting"}


def why(probability: float, family: str, reasons: list[Reason]) -> str:
    """One sentence: the chance, then what raises and what lowers it, strongest first."""

    def told(r: Reason) -> str:
        return f"{r.column} {r.value or '(empty)'} ({r.contribution:+.2f})"

    up = [told(r) for r in reasons if r.contribution > 0]
    down = [told(r) for r in reasons if r.contribution < 0]
    parts = []
    if up:
        parts.append("raised by " + ", ".join(up))
    if down:
        parts.append("lowered by " + ", ".join(down))
    because = "; ".join(parts) if parts else "close to the average deal on every column"
    return f"{probability:.0%} win chance ({FAMILY_WORDS.get(family, family)}): {because}."
