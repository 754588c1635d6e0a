"""One medium simulated run shared by the tests that only read it (generation takes seconds)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from msp_events import Envelope
from msp_events.eventlog import read

from msp_sim.generate import Stats, generate
from msp_sim.params import Params
from msp_sim.truth import Truth


@dataclass
class Run:
    params: Params
    stats: Stats
    log: Path
    truth: Truth
    events: list[Envelope[Any]]

    def of_type(self, event_type: str) -> Iterator[Envelope[Any]]:
        return (e for e in self.events if e.type == event_type)


@pytest.fixture(scope="session")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    params = Params(seed=7, clients=30, technicians=7, months=8, start=date(2025, 1, 1))
    log = tmp_path_factory.mktemp("sim") / "msp.jsonl"
    stats = generate(params, log)
    assert stats.truth_path is not None
    truth = Truth.model_validate_json(stats.truth_path.read_text())
    return Run(params, stats, log, truth, list(read(log)))
