"""RAM's utilisation alerts scored against the simulator's planted over- and under-used technicians.

Rules: a technician is *flagged* ``over`` (``under``) when RAM published a technician-scope
``resource.utilization.alert`` that *entered* that band for a closed month. A planted technician
(``truth.utilisation[]``, kind over | under) is found when flagged with its kind; a flag on any
other technician, or with the other kind, is a false positive. Weekly alerts are reported but
not scored (a normal technician's quiet week is a true statement, not a planted problem).

    .venv/bin/python services/ram/bench/utilisation_truth.py --seed 1 --clients 15 --technicians 3 --months 4
"""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from msp_events.testing.replay import replay
from msp_events.types.agents import ResourceUtilizationAlert

from ram.app import create_service
from ram.settings import Settings


@dataclass
class Score:
    planted: dict[str, str]
    flagged: dict[str, set[str]]
    weekly_alerts: int
    monthly_alerts: int
    truth: dict[str, Any]

    @property
    def true_positives(self) -> list[str]:
        return sorted(t for t, kind in self.planted.items() if kind in self.flagged.get(t, set()))

    @property
    def false_positives(self) -> list[tuple[str, str]]:
        return sorted((t, k) for t, kinds in self.flagged.items() for k in kinds if self.planted.get(t) != k)

    @property
    def recall(self) -> float:
        return len(self.true_positives) / len(self.planted) if self.planted else 1.0

    @property
    def precision(self) -> float:
        flags = sum(len(k) for k in self.flagged.values())
        return len(self.true_positives) / flags if flags else 1.0

    def report(self) -> str:
        return (
            f"planted {len(self.planted)}, found {len(self.true_positives)} (recall {self.recall:.2f}), "
            f"flags {sum(len(k) for k in self.flagged.values())} (precision {self.precision:.2f}); "
            f"false positives {self.false_positives}; alerts: {self.monthly_alerts} monthly, "
            f"{self.weekly_alerts} weekly"
        )


def evaluate(log: Path, workdir: Path) -> Score:
    truth = json.loads(log.with_suffix(".truth.json").read_text())
    settings = Settings(MSP_TRANSPORT="inprocess", route_iterations=20)
    result = asyncio.run(
        replay(
            create_service,
            settings,
            log,
            database_url=f"sqlite:///{workdir}/ram-truth.db",
            order="day",
            timeout_s=1800,
        )
    )
    assert result.dead_letters == [], result.dead_letters
    alerts = [e.data for e in result.outputs if isinstance(e.data, ResourceUtilizationAlert)]
    return score(truth, alerts)


def score(truth: dict[str, Any], alerts: list[ResourceUtilizationAlert]) -> Score:
    """RAM's published utilisation alerts against the truth (the rules in the module docstring)."""
    flagged: dict[str, set[str]] = {}
    for a in alerts:
        if a.scope == "technician" and a.granularity == "month" and a.change == "entered":
            flagged.setdefault(a.technician_id, set()).add(a.kind)
    return Score(
        planted={u["technician_id"]: u["kind"] for u in truth["utilisation"]},
        flagged=flagged,
        weekly_alerts=sum(1 for a in alerts if a.granularity == "week"),
        monthly_alerts=sum(1 for a in alerts if a.granularity == "month"),
        truth=truth,
    )


def main() -> None:
    from msp_sim.generate import generate
    from msp_sim.params import Params

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clients", type=int, default=15)
    parser.add_argument("--technicians", type=int, default=3)
    parser.add_argument("--months", type=int, default=4)
    parser.add_argument("--workdir", type=Path, default=Path(".data/ram-truth"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    log = args.workdir / "sim.jsonl"
    generate(Params(args.seed, args.clients, args.technicians, args.months), log)
    print(evaluate(log, args.workdir).report())


if __name__ == "__main__":
    main()
