"""What a daily detection run keeps of a spend source for the next one, and its stored form.

Why kept: the detector judges each day from the days before it, so the next run only needs the
detector's state after the last judged day (``DetectorState``: per-series numbers and a trailing
window) plus what turns flags into anomalies: the series in their order, the source's first day,
its main currency and the spend per currency that decides it, the feedback already applied, and
the flagged points of each series' anomaly that is still open. With these the run judges only the
days booked since, and gives what one run over the whole stored history gives.

Stored as one blob: a JSON header (the scalars and lists; floats are written with ``repr`` and
read back to the same bits; each array's dtype and shape) and the arrays' raw bytes after it,
never with pickle. A run reads and writes it once per source and day, so it is kept plain:
``np.savez``'s zip container cost more than the day's judgement.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dsa.detection.detector import F64, DetectorState, SeriesState

Point = tuple[int, float, int, float, float]
"""a flagged point of an open anomaly: absolute index, score, kind, expected, actual."""
Note = tuple[str, str, str, str, str]
"""a feedback note applied: series key, first and last day, label, first day it acts on."""


@dataclass
class KeptState:
    first: date
    judged_through: date
    keys: list[tuple[str, str, str, str]]
    """the series (dimension, department, value, source) in the detector's row order."""
    currency: str
    spend: dict[str, Decimal]
    """absolute spend per currency of the judged lines: the main currency is the largest."""
    notes: list[Note]
    detector: DetectorState
    open_points: dict[int, list[Point]] = field(default_factory=dict)


def dumps(kept: KeptState) -> bytes:
    det = kept.detector
    meta: dict[str, Any] = {
        "first": kept.first.isoformat(),
        "judged_through": kept.judged_through.isoformat(),
        "keys": kept.keys,
        "currency": kept.currency,
        "spend": {c: str(v) for c, v in sorted(kept.spend.items())},
        "notes": kept.notes,
        "open_points": {str(s): pts for s, pts in sorted(kept.open_points.items())},
        "step": det.step,
        "length": det.length,
        "base": det.base,
        "seen": [sorted([p, idx] for p, idx in stage.items()) for stage in det.seen],
        "phase_runs": sorted([s, key, hits] for (s, key), hits in det.st.phase_runs.items()),
        "arrays": sorted(det.arrays),
    }
    arrays: dict[str, F64 | NDArray[np.int64]] = {f"a_{k}": v for k, v in det.arrays.items()}
    arrays |= {"raise_": det.st.raise_, "run": det.st.run, "spread": det.st.spread}
    meta["layout"] = [[name, a.dtype.str, list(a.shape)] for name, a in arrays.items()]
    header = json.dumps(meta).encode()
    body = [np.ascontiguousarray(a).tobytes() for a in arrays.values()]
    return b"".join([len(header).to_bytes(8, "little"), header, *body])


def loads(blob: bytes) -> KeptState:
    blob = bytes(blob)
    size = int.from_bytes(blob[:8], "little")
    meta = json.loads(blob[8 : 8 + size])
    data: dict[str, NDArray[Any]] = {}
    offset = 8 + size
    for name, dtype, shape in meta["layout"]:
        count = int(np.prod(shape))
        # a copy: the state is changed in place as the next days are judged
        data[name] = np.frombuffer(blob, dtype=dtype, count=count, offset=offset).reshape(shape).copy()
        offset += count * np.dtype(dtype).itemsize
    st = SeriesState(
        raise_=data["raise_"],
        run=data["run"],
        spread=data["spread"],
        phase_runs={(s, key): list(hits) for s, key, hits in meta["phase_runs"]},
    )
    detector = DetectorState(
        step=meta["step"],
        length=meta["length"],
        base=meta["base"],
        arrays={k: data[f"a_{k}"] for k in meta["arrays"]},
        seen=[{int(p): list(idx) for p, idx in stage} for stage in meta["seen"]],
        st=st,
    )
    return KeptState(
        first=date.fromisoformat(meta["first"]),
        judged_through=date.fromisoformat(meta["judged_through"]),
        keys=[tuple(k) for k in meta["keys"]],  # type: ignore[misc]
        currency=meta["currency"],
        spend={c: Decimal(v) for c, v in meta["spend"].items()},
        notes=[tuple(n) for n in meta["notes"]],  # type: ignore[misc]
        detector=detector,
        open_points={int(s): [tuple(p) for p in pts] for s, pts in meta["open_points"].items()},  # type: ignore[misc]
    )
