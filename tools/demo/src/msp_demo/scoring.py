"""How much of what the simulator planted each agent found: found, missed, flagged falsely.

The matching rules are the agents' own truth benchmarks (``services/*/bench/*_truth.py``, which
their truth tests run), called here on what the embedded run published, so the demo's numbers
mean exactly what those tests assert:

* CPI: planted margin erosion, ``services/cpi/bench/margin_truth.py`` (a fall flagged on or after
  the start; churning clients whose labour truly rose are *explained*, not false);
* RAM: planted over- and under-used technicians, ``services/ram/bench/utilisation_truth.py``;
* SLI: planted licence problems with their seats, money and users, ``services/sli/bench/licence_truth.py``;
* DSA: planted spend anomalies (judgeable after the warm-up), ``services/dsa/bench/anomaly_truth.py``;
  false = published anomaly ids on no planted series and window;
* VCM has no truth benchmark: a contract the truth marks ``near_notice`` is found when VCM published
  ``contract.renewal.due`` for the same vendor with exactly the truth's notice deadline (a reminder
  with a wrong deadline is a miss); a reminder whose vendor and deadline match no contract of the
  truth at all is false (a reminder for a real contract whose deadline falls after the log's end is
  right, but not planted, so it is neither);
* SPO: the simulator plants win drivers, not problems (ranked by AUC in SPO's win-model truth test),
  so there is nothing to count here.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from msp_events.envelope import Envelope
from msp_events.types.agents import ResourceUtilizationAlert

from msp_sim.truth import Truth

REPO = Path(__file__).resolve().parents[4]
BENCHES = {
    "cpi": "services/cpi/bench/margin_truth.py",
    "ram": "services/ram/bench/utilisation_truth.py",
    "sli": "services/sli/bench/licence_truth.py",
    "dsa": "services/dsa/bench/anomaly_truth.py",
}


@dataclass
class AgentScore:
    agent: str
    problem: str
    """What was planted for this agent to find."""
    planted: int
    found: int
    missed: int
    false: int
    precision: float | None
    """found / everything it flagged, as the agent's truth rule defines it; None: nothing to score."""
    recall: float | None
    rule: str
    """Where the matching rule is defined."""
    notes: list[str] = field(default_factory=list)
    """What was missed and what was flagged falsely, one line each."""

    def as_json(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "problem": self.problem,
            "planted": self.planted,
            "found": self.found,
            "missed": self.missed,
            "false": self.false,
            "precision": None if self.precision is None else round(self.precision, 4),
            "recall": None if self.recall is None else round(self.recall, 4),
            "rule": self.rule,
            "notes": self.notes,
        }


@cache
def bench(agent: str) -> ModuleType:
    """An agent's truth benchmark module, loaded by path as its truth test loads it."""
    path = REPO / BENCHES[agent]
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: the demo scores with the agents' truth benchmarks (run it from the repo)"
        )
    spec = importlib.util.spec_from_file_location(f"msp_demo_bench_{agent}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def score_cpi(truth: Truth, outputs: list[Envelope[Any]], cpi_store: str, sim_log: Path) -> AgentScore:
    from cpi.app import ledger_config
    from cpi.settings import Settings

    b = bench("cpi")
    judgements, lines = b.ledger_state(cpi_store)
    clients, types = b.log_facts(sim_log)
    result = b.score(
        truth, b.alerts_of(outputs), judgements, lines, clients, ledger_config(Settings()).policy, types
    )
    notes = [
        f"{v.outcome} {v.client_id}: {v.detail}"
        for v in result.verdicts.values()
        if v.outcome in ("FN", "FP")
    ]
    notes += [
        f"explained {v.client_id}: {v.detail}" for v in result.verdicts.values() if v.outcome == "explained"
    ]
    flagged = result.tp + result.fp + result.explained
    return AgentScore(
        "cpi",
        "margin erosion",
        result.tp + result.fn,
        result.tp,
        result.fn,
        result.fp,
        _ratio(result.tp, flagged),
        _ratio(result.tp, result.tp + result.fn),
        BENCHES["cpi"],
        notes,
    )


def score_ram(truth: dict[str, Any], outputs: list[Envelope[Any]]) -> AgentScore:
    alerts = [e.data for e in outputs if isinstance(e.data, ResourceUtilizationAlert)]
    result = bench("ram").score(truth, alerts)
    found = len(result.true_positives)
    flags = sum(len(k) for k in result.flagged.values())
    missed = sorted(t for t in result.planted if t not in result.true_positives)
    notes = [f"missed {t} ({result.planted[t]})" for t in missed]
    notes += [f"false {t} ({k})" for t, k in result.false_positives]
    return AgentScore(
        "ram",
        "over- and under-used technicians",
        len(result.planted),
        found,
        len(missed),
        len(result.false_positives),
        _ratio(found, flags),
        _ratio(found, len(result.planted)),
        BENCHES["ram"],
        notes,
    )


def score_sli(truth: dict[str, Any], outputs: list[Envelope[Any]], sim_log: Path) -> AgentScore:
    b = bench("sli")
    with tempfile.TemporaryDirectory(prefix="msp-demo-sli-") as tmp:
        # the rule reads seat activity and subscriptions; only those lines are validated
        wanted = (b'"type":"licensing.seat.activity"', b'"type":"licensing.subscription.upserted"')
        facts_log = Path(tmp) / "licensing.jsonl"
        with sim_log.open("rb") as source, facts_log.open("wb") as target:
            target.writelines(line for line in source if any(w in line for w in wanted))
        facts = b._facts(facts_log)
    result = b.score(truth, outputs, facts)
    notes = [f"{v.outcome} {v.kind} {v.client_id}: {v.detail}" for v in result.verdicts if v.outcome == "FN"]
    notes += [f"false {fp}" for fp in result.false_positives]
    notes += [f"explained {x}" for x in result.explained]
    return AgentScore(
        "sli",
        "licence leakage (over-deployed, unused, unbilled)",
        len(result.verdicts),
        result.tp,
        result.fn,
        result.fp,
        _ratio(result.tp, result.tp + result.fp),
        _ratio(result.tp, result.tp + result.fn),
        BENCHES["sli"],
        notes,
    )


def first_spend_day(sim_log: Path) -> date | None:
    """The first expense or cloud-cost day of the log (DSA's warm-up counts from it)."""
    first: date | None = None
    with sim_log.open("rb") as file:
        for raw in file:
            if b'"type":"finance.expense.recorded"' in raw:
                day = date.fromisoformat(json.loads(raw)["data"]["expense_date"])
            elif b'"type":"cloud.cost.recorded"' in raw:
                day = date.fromisoformat(json.loads(raw)["data"]["usage_date"])
            else:
                continue
            first = day if first is None else min(first, day)
    return first


def score_dsa(truth: dict[str, Any], outputs: list[Envelope[Any]], first_day: date | None) -> AgentScore:
    planted = truth["spend_anomalies"]
    if first_day is None:
        return AgentScore("dsa", "spend anomalies", len(planted), 0, 0, 0, None, None, BENCHES["dsa"])
    result = bench("dsa").score(planted, outputs, first_day)
    missed = result.judgeable - result.found
    notes = []
    if result.planted > result.judgeable:
        notes.append(f"{result.planted - result.judgeable} planted before DSA's warm-up: not judged")
    if result.delays:
        notes.append(f"days from start to detection: {sorted(result.delays)}")
    return AgentScore(
        "dsa",
        "spend anomalies",
        result.judgeable,
        result.found,
        missed,
        result.published - result.true_positives,
        result.precision if result.published else None,
        result.recall if result.judgeable else None,
        BENCHES["dsa"],
        notes,
    )


def score_vcm(truth: dict[str, Any], renewals_due: list[dict[str, Any]]) -> AgentScore:
    """The rule is in the module docstring. ``renewals_due``: ``contract.renewal.due`` data."""
    reminded = {(r["vendor"], r["notice_deadline"]) for r in renewals_due}
    known = {(c["vendor_name"], c["notice_deadline"]) for c in truth["contracts"] if c["notice_deadline"]}
    planted = [c for c in truth["contracts"] if c["near_notice"]]
    found = [c for c in planted if (c["vendor_name"], c["notice_deadline"]) in reminded]
    missed = [c for c in planted if c not in found]
    by_contract: dict[str, tuple[str, str]] = {}
    for r in renewals_due:
        by_contract.setdefault(r["contract_id"], (r["vendor"], r["notice_deadline"]))
    false = sorted({(c, v, d) for c, (v, d) in by_contract.items() if (v, d) not in known})
    notes = [
        f"missed {c['vendor_name']} deadline {c['notice_deadline']} ({c['document_id']})" for c in missed
    ]
    notes += [f"false {c}: {v} deadline {d} matches no contract" for c, v, d in false]
    return AgentScore(
        "vcm",
        "contracts near their notice deadline",
        len(planted),
        len(found),
        len(missed),
        len(false),
        _ratio(len(found), len(found) + len(false)),
        _ratio(len(found), len(planted)),
        "tools/demo/src/msp_demo/scoring.py (score_vcm)",
        notes,
    )


def score_spo() -> AgentScore:
    return AgentScore(
        "spo",
        "none planted (the simulator plants win drivers; see services/spo/tests/test_truth_wins.py)",
        0,
        0,
        0,
        0,
        None,
        None,
        "services/spo/tests/test_truth_wins.py (AUC, not counts)",
    )


def score_all(
    truth_path: Path,
    sim_log: Path,
    stores: Mapping[str, str],
    outputs: list[Envelope[Any]],
    renewals_due: list[dict[str, Any]],
) -> list[AgentScore]:
    """Every agent's score, in the registry's agent order."""
    raw = json.loads(truth_path.read_text())
    truth = Truth.model_validate(raw)
    by_agent: dict[str, list[Envelope[Any]]] = {}
    for envelope in outputs:
        by_agent.setdefault(envelope.source.removeprefix("msp."), []).append(envelope)
    return [
        score_cpi(truth, by_agent.get("cpi", []), stores["cpi"], sim_log),
        score_spo(),
        score_ram(raw, by_agent.get("ram", [])),
        score_sli(raw, by_agent.get("sli", []), sim_log),
        score_dsa(raw, by_agent.get("dsa", []), first_spend_day(sim_log)),
        score_vcm(raw, renewals_due),
    ]
