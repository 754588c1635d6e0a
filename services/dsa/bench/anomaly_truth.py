"""DSA's published spend anomalies scored against the simulator's planted ones.

``python services/dsa/bench/anomaly_truth.py [--seed N --clients C --months M]`` generates a
simulated MSP, replays it through DSA (in process, SQLite, ``order="backlog"``: the whole log is
on the bus before DSA starts and event-time alignment hands it over in event order, as ``"day"``
did, without the harness waiting for every simulated day; same outputs, a third less time) and
prints precision, recall and detection delay. Definitions:

* a planted anomaly (``truth.spend_anomalies``) is *found* when DSA published an anomaly in the
  same department whose series is the planted stream's (its vendor or category for an expense
  stream, its service or account for a cloud line, or the department's total of that source) and
  whose period overlaps the planted window; *delay* = first such event's time - planted start;
* a published anomaly (counted once per id) is a *true positive* when it is in a series of a
  planted anomaly and overlaps its window (+ 7 days), else a *false positive*;
* *judgeable*: planted anomalies starting after DSA's warm-up (63 days from the first spend day).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from msp_events import Envelope, eventlog
from msp_events.registry import REGISTRY
from msp_events.testing.replay import ReplayResult, replay

from dsa.app import create_service
from dsa.settings import Settings

WARMUP_DAYS = 63
SLACK = timedelta(days=7)


@dataclass(frozen=True)
class Evaluation:
    planted: int
    judgeable: int
    found: int
    published: int
    true_positives: int
    delays: list[int]

    @property
    def recall(self) -> float:
        return self.found / self.judgeable if self.judgeable else 1.0

    @property
    def precision(self) -> float:
        return self.true_positives / self.published if self.published else 1.0

    def report(self) -> str:
        delays = sorted(self.delays)
        median = delays[len(delays) // 2] if delays else None
        return (
            f"planted {self.planted} (judgeable {self.judgeable}), found {self.found}: "
            f"recall {self.recall:.2f}; published {self.published}, true {self.true_positives}: "
            f"precision {self.precision:.2f}; "
            f"delay days median {median}, max {max(delays) if delays else None}"
        )


def _series_match(truth: dict[str, Any], data: Any) -> bool:
    if data.department != truth["department"] or data.spend_source != truth["source"]:
        return False
    values = {truth.get(k) for k in ("vendor", "category", "service", "linked_account_id")}
    return (
        data.dimension == "department"
        or (data.vendor or data.category or "") in values
        or any(v and v in data.summary for v in values)
    )


def evaluate(log: Path, workdir: Path) -> Evaluation:
    truth = json.loads(log.with_name(log.name.removesuffix(".jsonl") + ".truth.json").read_text())
    planted = truth["spend_anomalies"]
    # only DSA's inputs are validated into envelopes: the rest of the simulated MSP (time entries,
    # seat activity...) would be parsed only to be left out; of DSA's inputs the ticket updates,
    # time entries and technicians are left out too: they only tell the ROI ledger what a RAM move
    # saved, the anomalies never read them, and the simulated PSA logs them all day
    events = dsa_inputs(
        log, leave_out={"psa.ticket.updated", "psa.time_entry.logged", "psa.technician.upserted"}
    )
    first_day = min(
        e.data.expense_date if e.type == "finance.expense.recorded" else e.data.usage_date
        for e in events
        if e.type in ("finance.expense.recorded", "cloud.cost.recorded")
    )
    result = replay_dsa(events, workdir / "dsa.db", timeout_s=600)
    return score(planted, result.outputs, first_day)


def dsa_inputs(log: Path, leave_out: Iterable[str] = ()) -> list[Envelope[Any]]:
    """The events of a simulated log that DSA consumes (but ``leave_out``), parsed."""
    consumed = {spec.type for spec in REGISTRY.consumed_by("dsa")} - set(leave_out)
    with log.open() as lines:
        return [eventlog.loads(line) for line in lines if json.loads(line)["type"] in consumed]


def replay_dsa(events: list[Envelope[Any]], database: Path, timeout_s: float) -> ReplayResult:
    """DSA in process on SQLite, the whole log on the bus before it starts (``order="backlog"``)."""
    return asyncio.run(
        replay(
            create_service,
            Settings(MSP_TRANSPORT="inprocess"),
            events,
            order="backlog",
            database_url=f"sqlite:///{database}",
            timeout_s=timeout_s,
        )
    )


def score(planted: list[dict[str, Any]], outputs: Iterable[Any], first_day: date) -> Evaluation:
    """Published anomalies (envelopes) against the planted ones; ``first_day``: the first spend day
    of the log (the warm-up counts from it). The definitions are in the module docstring."""
    first_seen: dict[str, Any] = {}
    for e in outputs:
        if e.type == "spend.anomaly.detected":
            first_seen.setdefault(e.data.anomaly_id, e)
    warm = first_day + timedelta(days=WARMUP_DAYS)
    judgeable = [p for p in planted if date.fromisoformat(p["start"]) >= warm]
    found, delays = 0, []
    for p in judgeable:
        start, end = date.fromisoformat(p["start"]), date.fromisoformat(p["end"])
        hits = [
            e
            for e in first_seen.values()
            if _series_match(p, e.data) and e.data.period_start <= end + SLACK and e.data.period_end >= start
        ]
        if hits:
            found += 1
            delays.append(min((e.time.date() - start).days for e in hits))
    tp = 0
    for e in first_seen.values():
        if any(
            _series_match(p, e.data)
            and e.data.period_start <= date.fromisoformat(p["end"]) + SLACK
            and e.data.period_end >= date.fromisoformat(p["start"])
            for p in planted
        ):
            tp += 1
    return Evaluation(len(planted), len(judgeable), found, len(first_seen), tp, delays)


def main() -> None:
    from msp_sim.generate import generate
    from msp_sim.params import Params

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--technicians", type=int, default=3)
    parser.add_argument("--months", type=int, default=8)
    parser.add_argument("--workdir", type=Path, default=Path(".bench/dsa-truth"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    log = args.workdir / f"sim-{args.seed}.jsonl"
    generate(Params(args.seed, args.clients, args.technicians, args.months), log)
    print(evaluate(log, args.workdir).report())


if __name__ == "__main__":
    main()
