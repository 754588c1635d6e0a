"""The simulated MSP the demo runs on: ``msp-sim`` with a fixed seed, its log and its truth file.

Why a simulation and not hand-built facts: the simulator plants known problems (margin erosion,
licence leakage, spend anomalies, contracts near their notice deadline, over- and under-used
technicians) and writes them down, so the demo can say not only what the agents found but how
much of what was there they found (``scoring``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from msp_sim.generate import Stats, generate, truth_path_for
from msp_sim.params import Params
from msp_sim.truth import Truth

DEFAULT_SEED = 7
DEFAULT_CLIENTS = 40
DEFAULT_MONTHS = 12
CLIENTS_PER_TECHNICIAN = 5
"""The simulator's calibrated ratio (1 technician per 5 clients gives a team median near 70 %)."""


@dataclass(frozen=True)
class Scenario:
    params: Params
    log: Path
    truth_path: Path
    events: int

    def truth(self) -> Truth:
        return Truth.model_validate_json(self.truth_path.read_text())


def params_for(seed: int, clients: int, months: int, technicians: int | None = None) -> Params:
    """The run size; technicians follow the simulator's calibrated ratio unless given."""
    return Params(
        seed=seed,
        clients=clients,
        technicians=technicians or max(1, round(clients / CLIENTS_PER_TECHNICIAN)),
        months=months,
    )


def simulate(
    params: Params, state_dir: Path, progress: Callable[[int, int, int], None] | None = None
) -> Scenario:
    """Write ``state_dir/sim.jsonl`` and ``sim.truth.json`` (same seed and size: same bytes)."""
    log = state_dir / "sim.jsonl"
    stats: Stats = generate(params, log, progress=progress)
    return Scenario(params, log, truth_path_for(log), stats.events)
