"""Generation streams: memory is bounded by one month of events, not by the length of the run."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from msp_sim.generate import generate
from msp_sim.params import Params


def _peak(params: Params, out: Path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        stats = generate(params, out)
        return tracemalloc.get_traced_memory()[1], stats.bytes
    finally:
        tracemalloc.stop()


def test_peak_memory_does_not_grow_with_the_number_of_months(tmp_path: Path) -> None:
    short_peak, short_bytes = _peak(
        Params(seed=11, clients=20, technicians=4, months=1), tmp_path / "short.jsonl"
    )
    long_peak, long_bytes = _peak(
        Params(seed=11, clients=20, technicians=4, months=3), tmp_path / "long.jsonl"
    )
    assert long_bytes > 2.5 * short_bytes
    # Three times the events, but only one month is ever held: the peak stays close to the short run's.
    assert long_peak < 1.6 * short_peak, (short_peak, long_peak)
    assert long_peak < long_bytes
