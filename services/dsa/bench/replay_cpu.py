"""CPU seconds DSA's handlers take on a year-long replay (the size ``make demo`` runs).

``python services/dsa/bench/replay_cpu.py [--seed 1 --clients 40 --months 12]`` generates a
simulated MSP, replays every DSA input through DSA in process (SQLite, ``order="backlog"``) and
prints the process CPU seconds of the replay, the CPU seconds inside the ``clock.ticked`` handler
(the anomaly detection runs), inside the time-entry handler (the ROI ledger's hours; the batch's
one insert runs at commit, outside it, and counts in the replay's total) and inside every handler
together, and how many anomaly events were published. CPU time, not wall time: the machine is
shared, and a ratio between two runs of this script (before / after a change) is what it is for.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from anomaly_truth import dsa_inputs, replay_dsa  # the bench directory: run as a script

from msp_events.runtime.router import Route

from dsa import handlers


def _timed(spent: dict[str, float], name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] += time.process_time() - start

    return wrapper


def measure(log: Path, workdir: Path) -> dict[str, float]:
    events = dsa_inputs(log)
    spent: dict[str, float] = defaultdict(float)
    router = handlers.router
    routes = router._routes  # the bench wraps every handler to time it
    originals = dict(routes)
    for type_, route in originals.items():
        routes[type_] = Route(route.spec, _timed(spent, type_, route.handler))
    start = time.process_time()
    try:
        result = replay_dsa(events, workdir / "dsa-cpu.db", timeout_s=3600)
    finally:
        routes.clear()
        routes.update(originals)
    total = time.process_time() - start
    anomalies = sum(1 for e in result.outputs if e.type == "spend.anomaly.detected")
    return {
        "events": len(events),
        "replay_cpu_s": total,
        "handlers_cpu_s": sum(spent.values()),
        "clock_cpu_s": spent.get("clock.ticked", 0.0),
        "time_entry_cpu_s": spent.get("psa.time_entry.logged", 0.0),
        "anomaly_events": anomalies,
    }


def main() -> None:
    from msp_demo.scenario import params_for
    from msp_sim.generate import generate

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--workdir", type=Path, default=Path(".bench/dsa-cpu"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    (args.workdir / "dsa-cpu.db").unlink(missing_ok=True)
    log = args.workdir / f"sim-{args.seed}-{args.clients}x{args.months}.jsonl"
    if not log.exists():
        generate(params_for(args.seed, args.clients, args.months), log)
    numbers = measure(log, args.workdir)
    print(
        f"{numbers['events']} DSA inputs; replay {numbers['replay_cpu_s']:.1f} s CPU, handlers "
        f"{numbers['handlers_cpu_s']:.1f} s (clock.ticked: detection {numbers['clock_cpu_s']:.1f} s, "
        f"psa.time_entry.logged {numbers['time_entry_cpu_s']:.1f} s); "
        f"{numbers['anomaly_events']} spend.anomaly.detected"
    )


if __name__ == "__main__":
    main()
