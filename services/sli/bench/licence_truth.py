"""SLI's licence findings against the simulator's ground truth: precision, recall, seats and money.

    .venv/bin/python services/sli/bench/licence_truth.py [--seed 1] [--clients 20] [--technicians 4]
        [--months 6] [--log /tmp/x.jsonl] [--out DIR]

Generates a simulation (unless ``--log`` names one with its ``.truth.json`` beside it), feeds the
events SLI consumes through SLI with the replay harness (in-process transport, SQLite,
``order="day"``), and scores the ``license.compliance.violation`` events it published.

The simulator plants three licence problems (``truth.licences[]``) on distinct subscriptions, with
the users concerned: ``over_deployed`` (new starters assigned beyond the seats bought),
``unused`` (users whose last sign-in stops at ``from_date``) and ``assigned_unbilled`` (the PSA
agreement bills fewer seats than are bought and assigned). Its definition of unused is 30 days
without a sign-in, so SLI runs with ``SLI_INACTIVE_DAYS=30`` here (its default is 60).

**Scoring, per planted problem.** The expected finding is SLI's class for the kind
(``over_deployed`` -> over_deployed, ``unused`` -> unused, ``assigned_unbilled`` -> under_billed)
on the client's SKU. It is a true positive (TP) when SLI's last report of that finding is open with
the truth's seat count (over-deployed: assigned - purchased; unused: the idle users; under-billed:
assigned - billed), the money the subscription's prices give (seats x unit cost for over-deployed
and unused, seats x the billed price for under-billing), and, for unused, exactly the truth's
users by name; otherwise a false negative (FN) with the reason. Sign-in is per user, not per
licence: a planted idle user is idle on every licence it holds, while the truth lists it under one
subscription. So an unused finding expects, besides its plant's users, the client's other planted
idle users who hold that SKU (their last tenant read says so), and an unused finding on an
unplanted SKU whose inactive users are all planted idle users is *explained*, not a false
positive. Every other finding SLI opened (distinct ``violation_id`` over the whole run) is a false
positive (FP).
Precision = TP / (TP + FP), recall = TP / (TP + FN). Lead: days from ``detectable_from`` to the
first report (the tenant is read once a month, so up to a month).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from msp_events import eventlog
from msp_events.testing.replay import replay
from msp_events.types.agents import LicenseComplianceViolation
from msp_events.types.licensing import SeatActivity, SubscriptionUpserted

from sli.app import create_service
from sli.settings import Settings

CLASS_OF = {"over_deployed": "over_deployed", "unused": "unused", "assigned_unbilled": "under_billed"}
CENT = Decimal("0.01")


@dataclass
class Verdict:
    kind: str
    client_id: str
    sku_id: str
    outcome: str
    detail: str
    lead_days: int | None = None


@dataclass
class Score:
    verdicts: list[Verdict] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)
    explained: list[str] = field(default_factory=list)

    @property
    def tp(self) -> int:
        return sum(v.outcome == "TP" for v in self.verdicts)

    @property
    def fn(self) -> int:
        return sum(v.outcome == "FN" for v in self.verdicts)

    @property
    def fp(self) -> int:
        return len(self.false_positives)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Evaluation:
    truth: dict[str, Any]
    score: Score
    published: list[LicenseComplianceViolation]


@dataclass
class LogFacts:
    upn: dict[str, str] = field(default_factory=dict)
    """User id -> sign-in name."""
    holds: dict[str, set[str]] = field(default_factory=dict)
    """User id -> SKU ids held at its last tenant read."""
    subs: dict[str, SubscriptionUpserted] = field(default_factory=dict)
    """Subscription id -> its last active version."""


def _facts(log: Path) -> LogFacts:
    out = LogFacts()
    for envelope in eventlog.read(log):
        data = envelope.data
        if isinstance(data, SeatActivity):
            out.upn[data.user_id] = data.user_principal_name
            out.holds[data.user_id] = {lic.sku_id for lic in data.assigned_licences}
        elif isinstance(data, SubscriptionUpserted) and data.status == "active":
            out.subs[data.subscription_id] = data
    return out


def score(truth: dict[str, Any], outputs: list[Any], log: LogFacts) -> Score:
    last: dict[str, LicenseComplianceViolation] = {}
    first_at: dict[str, date] = {}
    for envelope in outputs:
        v = envelope.data
        if not isinstance(v, LicenseComplianceViolation):
            continue
        last[v.violation_id] = v
        first_at.setdefault(v.violation_id, envelope.time.date())
    by_key = {(v.client_id, v.sku_id, v.finding_class): vid for vid, v in last.items()}
    result = Score()
    expected_ids = set()
    idle_by_client: dict[str, set[str]] = {}
    for planted in truth["licences"]:
        if planted["kind"] == "unused":
            idle_by_client.setdefault(planted["client_id"], set()).update(planted["user_ids"])
    for planted in truth["licences"]:
        kind, client_id, sku_id = planted["kind"], planted["client_id"], planted["sku_id"]
        cls = CLASS_OF[kind]
        vid = by_key.get((client_id, sku_id, cls))
        if vid is None:
            result.verdicts.append(Verdict(kind, client_id, sku_id, "FN", f"no {cls} finding"))
            continue
        expected_ids.add(vid)
        v = last[vid]
        sub = log.subs[planted["subscription_id"]]
        idle = set(planted["user_ids"]) | {
            u for u in idle_by_client.get(client_id, set()) if sku_id in log.holds.get(u, set())
        }
        if kind == "assigned_unbilled":
            seats = planted["assigned"] - planted["billed"]
            unit = sub.unit_price.amount
        else:
            seats = len(idle) if kind == "unused" else planted["assigned"] - planted["purchased"]
            unit = sub.unit_cost.amount
        money = (seats * unit).quantize(CENT)
        problems = []
        if v.status != "open":
            problems.append(f"last report is {v.status}")
        if v.seats_affected != seats:
            problems.append(f"seats {v.seats_affected} != {seats}")
        if v.monthly_exposure.amount != money:
            problems.append(f"money {v.monthly_exposure.amount} != {money}")
        if kind == "unused":
            names = sorted(log.upn[u] for u in idle)
            if sorted(v.inactive_users) != names:
                problems.append(f"users {v.inactive_users} != {names}")
        lead = (first_at[vid] - date.fromisoformat(planted["detectable_from"])).days
        detail = "; ".join(problems) or f"{seats} seats, {money} a month, {lead} days after detectable"
        result.verdicts.append(Verdict(kind, client_id, sku_id, "FN" if problems else "TP", detail, lead))
    upn_of = {name: uid for uid, name in log.upn.items()}
    for vid, v in sorted(last.items()):
        if vid in expected_ids:
            continue
        what = f"{v.client_id} {v.sku_part_number} {v.finding_class} {v.seats_affected} seats ({v.status})"
        users = {upn_of.get(name) for name in v.inactive_users}
        if v.finding_class == "unused" and users and users <= idle_by_client.get(v.client_id, set()):
            result.explained.append(what + ": planted idle users holding another licence")
        else:
            result.false_positives.append(what)
    return result


def evaluate(log: Path, workdir: Path) -> Evaluation:
    truth = json.loads(log.with_suffix(".truth.json").read_text())
    settings = Settings(MSP_TRANSPORT="inprocess", SLI_INACTIVE_DAYS=30)
    result = asyncio.run(
        replay(
            create_service,
            settings,
            log,
            database_url=f"sqlite:///{workdir}/sli-truth.db",
            order="day",
            timeout_s=1800,
        )
    )
    assert result.dead_letters == [], result.dead_letters
    published = [e.data for e in result.outputs if isinstance(e.data, LicenseComplianceViolation)]
    return Evaluation(truth, score(truth, result.outputs, _facts(log)), published)


def report(e: Evaluation) -> str:
    s = e.score
    lines = [f"planted {len(s.verdicts)}, TP {s.tp}, FN {s.fn}, FP {s.fp}, explained {len(s.explained)}"]
    lines += [f"  {v.outcome} {v.kind:18} {v.client_id} {v.detail}" for v in s.verdicts]
    lines += [f"  FP {fp}" for fp in s.false_positives]
    lines += [f"  explained {x}" for x in s.explained]
    lines.append(f"precision {s.precision:.2f}  recall {s.recall:.2f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--technicians", type=int, default=4)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--log", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    workdir = args.out or Path(tempfile.mkdtemp(prefix="sli-truth-"))
    log = args.log
    if log is None:
        from msp_sim.generate import generate
        from msp_sim.params import Params

        log = workdir / "sim.jsonl"
        generate(Params(args.seed, args.clients, args.technicians, args.months), log)
    print(report(evaluate(log, workdir)))


if __name__ == "__main__":
    main()
