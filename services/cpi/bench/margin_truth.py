"""CPI's margin alerts against the simulator's ground truth: precision, recall and lead time.

    .venv/bin/python services/cpi/bench/margin_truth.py [--seed 1] [--clients 60] [--technicians 12]
        [--months 12] [--log /tmp/x.jsonl] [--out DIR]

Generates a simulation (unless ``--log`` names one that has its ``.truth.json`` beside it), feeds the
events CPI consumes through CPI with the replay harness (in-process transport, a SQLite file,
``order="day"``: each UTC day at once, waiting between days), then scores what CPI published.

**Flagged.** An alert is a published ``client.profitability.changed`` (CPI publishes on a band
crossing with hysteresis, a sustained and material move from the trailing 3-month margin, or a
re-judgement into another band: ``cpi.domain.alerts``). An alert for month M *flags* the client when
it is about a fall (its direction is ``down``: against the previous month since schema 1.1; or it
left the band the client had settled in downwards, ``settled_band``; or the trailing move below is
downwards: what ``down`` meant before 1.1) and at least one of:

* ``thin/critical``: its band is thin or critical (margin below 40 %);
* ``problem client``: ``problem_client`` (this and the previous month below 20 %);
* ``trailing mean``: CPI's trailing-mean trigger holds downwards on the client's final ledger lines
  (``trailing_move``: the last ``CPI_MARGIN_SUSTAIN_MONTHS`` months, each of them, more than
  ``CPI_MARGIN_CHANGE_POINTS`` under the 3 months before, and at least
  ``CPI_MARGIN_MIN_PROFIT_CHANGE`` of profit), the trigger CPI applies.

A strong → healthy crossing that is not also a trailing-mean drop is an alert but not a flag.

**Scoring, per client.** Planted = ``truth.margin_erosion[]``. A planted client is a true positive
(TP) when it is flagged for a month on or after the month of ``starts_on``, else a false negative
(FN; flags before the start are listed as early). An unplanted client flagged in any month is a false
positive (FP), with one exception: a *churning* client (``truth.churn[]``) flagged for a month on or
after its ``signals_from`` month, when the truth's ``observed`` series shows its labour hours that
month above its own mean before ``signals_from``: its margin genuinely fell (the planted
dissatisfaction raises ticket volume on a fixed fee), so the alert is right, but it is not planted
erosion. Those are counted apart as *explained*. Two precisions are reported:

* ``precision`` = TP / (TP + FP + explained): strict, only planted erosion counts as a hit;
* ``precision (truth-aware)`` = (TP + explained) / (TP + FP + explained): a flag on a margin the
  truth shows falling is a correct flag.

Recall = TP / (TP + FN). Lead time: for each TP, whole months from the ``starts_on`` month to the
first flagged month (0 = the month it started), and days from ``starts_on`` to when CPI published it
(month M is judged once the clock passes M's end plus the grace days).

It also checks CPI's costing against the truth: for every client month the truth observes (planted
and churning clients), CPI's ledger labour hours and labour cost must equal the truth's ``observed``
``labour_hours`` and ``labour_cost`` (hours x the technician's cost rate on the work date).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, select, text
from sqlmodel import Session

from msp_events import eventlog
from msp_events.envelope import Envelope
from msp_events.testing.replay import replay

from cpi.app import create_service, ledger_config
from cpi.domain.alerts import Policy, trailing_move
from cpi.domain.ledger import MonthLines, cents
from cpi.domain.months import add_months, month_of
from cpi.handlers import build_router
from cpi.settings import Settings
from cpi.store.repository import client_month_lines
from cpi.store.tables import MarginJudgement
from msp_sim.truth import Truth

ALERT = "client.profitability.changed"
LOW_BANDS = ("thin", "critical")
RULES = ("thin/critical", "problem client", "trailing mean")


# -- feeding CPI -----------------------------------------------------------------------------------------


def consumed_types() -> set[str]:
    """The event types CPI handles (its handlers' and the clock)."""
    router = build_router(ledger_config(Settings()))
    return {spec.type for spec in router.specs} | {"clock.ticked"}


def cpi_inputs(log: Path) -> Iterator[Envelope[Any]]:
    """The log's events CPI consumes, parsed lazily (the rest is never decoded)."""
    markers = [f'"type":"{t}"'.encode() for t in consumed_types()]
    with log.open("rb") as file:
        for number, raw in enumerate(file, start=1):
            if any(m in raw for m in markers):
                yield eventlog.loads(raw, path=str(log), number=number)


@dataclass
class CpiRun:
    inputs: int
    seconds: float
    alerts: list[dict[str, Any]]
    """The ``client.profitability.changed`` payloads with ``published_at`` (the event time)."""
    judgements: dict[tuple[str, str], Decimal]
    """(client, month) → the margin CPI judged the closed month at."""
    lines: dict[tuple[str, str], MonthLines]
    """(client, month) → the client's ledger lines (its agreements added up)."""
    dead_letters: int


def run_cpi(log: Path, workdir: Path, settings: Settings | None = None, timeout_s: float = 3600) -> CpiRun:
    settings = settings or Settings()
    db = workdir / "cpi.db"
    db.unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    events = list(cpi_inputs(log))
    started = time.perf_counter()
    result = asyncio.run(
        replay(create_service, settings, events, order="day", database_url=url, timeout_s=timeout_s)
    )
    seconds = time.perf_counter() - started
    alerts = alerts_of(result.outputs)
    judgements, lines = ledger_state(url)
    return CpiRun(len(result.inputs), seconds, alerts, judgements, lines, len(result.dead_letters))


def alerts_of(outputs: Iterable[Envelope[Any]]) -> list[dict[str, Any]]:
    """The margin alerts among published events, as ``score`` takes them (with ``published_at``)."""
    return [{**e.data.model_dump(mode="json"), "published_at": e.time} for e in outputs if e.type == ALERT]


def ledger_state(
    url: str,
) -> tuple[dict[tuple[str, str], Decimal], dict[tuple[str, str], MonthLines]]:
    """CPI's judged margins and ledger lines per (client, month), from its database (also what
    ``make demo`` scores its embedded run with)."""
    engine = create_engine(url)
    with Session(engine) as session:
        judgements = {
            (j.client_id, j.month): j.margin_pct for j in session.execute(select(MarginJudgement)).scalars()
        }
        months = [str(m) for (m,) in session.execute(text("SELECT month FROM ledger_months"))]
        lines = {key: value[0] for key, value in client_month_lines(session, months).items()}
    engine.dispose()
    return judgements, lines


# -- scoring ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    client_id: str
    month: str
    margin_pct: Decimal
    band: str
    reasons: tuple[str, ...]
    published_at: datetime
    driver: str
    rules: frozenset[str] = frozenset()
    """Which of ``RULES`` fired."""


@dataclass
class ClientVerdict:
    client_id: str
    outcome: str
    """TP, FN, FP, explained, or TN (not planted, never flagged)."""
    flags: list[Flag]
    detail: str = ""
    lead_months: int | None = None
    lead_days: int | None = None
    mechanism: str | None = None
    starts_on: date | None = None


@dataclass
class Score:
    verdicts: dict[str, ClientVerdict]
    costing_mismatches: list[str] = field(default_factory=list)
    costing_checked: int = 0

    def count(self, outcome: str) -> int:
        return sum(1 for v in self.verdicts.values() if v.outcome == outcome)

    @property
    def tp(self) -> int:
        return self.count("TP")

    @property
    def fp(self) -> int:
        return self.count("FP")

    @property
    def fn(self) -> int:
        return self.count("FN")

    @property
    def explained(self) -> int:
        return self.count("explained")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def precision(self) -> float:
        flagged = self.tp + self.fp + self.explained
        return self.tp / flagged if flagged else float("nan")

    @property
    def precision_truth_aware(self) -> float:
        flagged = self.tp + self.fp + self.explained
        return (self.tp + self.explained) / flagged if flagged else float("nan")


RANK = {"critical": 0, "thin": 1, "healthy": 2, "strong": 3}
"""Bands, lowest first: an alert whose band is below its ``settled_band`` left it downwards."""


def flags_of(
    alerts: Sequence[dict[str, Any]],
    lines: dict[tuple[str, str], MonthLines],
    policy: Policy,
    only: frozenset[str] = frozenset(RULES),
) -> dict[str, list[Flag]]:
    """The flagging alerts per client, in month order (see the module docstring); ``only``: count
    a flag only when one of these rules fired (to see what each rule contributes)."""
    out: dict[str, list[Flag]] = defaultdict(list)
    for a in sorted(alerts, key=lambda a: (a["client_id"], a["period"], a["published_at"])):
        client, month, margin = a["client_id"], a["period"], Decimal(a["gross_margin_pct"])
        current = lines.get((client, month))
        history = [lines.get((client, add_months(month, -i))) for i in range(1, policy.history_months + 1)]
        move = trailing_move(current, history, policy) if current is not None else None
        trailing_down = move is not None and move.points < 0 and move.triggers(policy)
        # a fall: against the previous month (the schema's direction since 1.1), out of the band the
        # client had settled in, or the trailing move (what "down" meant before 1.1)
        settled = a.get("settled_band")
        left_down = settled is not None and RANK[a["band"]] < RANK[settled]
        if not (a["direction"] == "down" or left_down or trailing_down):
            continue
        reasons, rules = [], set()
        if a["band"] in LOW_BANDS:
            reasons.append(a["band"])
            rules.add("thin/critical")
        if a["problem_client"]:
            reasons.append("problem client")
            rules.add("problem client")
        if trailing_down and move is not None:
            reasons.append(f"trailing mean {move.recent_pct} vs {move.baseline_pct}")
            rules.add("trailing mean")
        if rules & only:
            top = a["drivers"][0]["detail"] if a["drivers"] else ""
            flag = Flag(
                client, month, margin, a["band"], tuple(reasons), a["published_at"], top, frozenset(rules)
            )
            out[client].append(flag)
    return dict(out)


def _observed_hours(truth: Truth) -> dict[str, dict[str, Decimal]]:
    series: dict[str, dict[str, Decimal]] = {}
    for entry in [*truth.margin_erosion, *truth.churn]:
        series[entry.client_id] = {o.period: o.labour_hours for o in entry.observed}
    return series


def score(
    truth: Truth,
    alerts: Sequence[dict[str, Any]],
    judgements: dict[tuple[str, str], Decimal],
    lines: dict[tuple[str, str], MonthLines],
    clients: Sequence[str],
    policy: Policy | None = None,
    agreement_types: dict[str, str] | None = None,
    only: frozenset[str] = frozenset(RULES),
) -> Score:
    policy = policy or Policy()
    flags = flags_of(alerts, lines, policy, only)
    planted = {e.client_id: e for e in truth.margin_erosion}
    churn = {c.client_id: c for c in truth.churn}
    hours = _observed_hours(truth)
    types = agreement_types or {}
    verdicts: dict[str, ClientVerdict] = {}
    for client in sorted(set(clients) | set(flags) | set(planted)):
        mine = flags.get(client, [])
        if client in planted:
            e = planted[client]
            start = month_of(e.starts_on)
            after = [f for f in mine if f.month >= start]
            v = ClientVerdict(
                client, "TP" if after else "FN", mine, mechanism=e.mechanism, starts_on=e.starts_on
            )
            if after:
                first = after[0]
                v.lead_months = _months_apart(start, first.month)
                v.lead_days = (first.published_at.date() - e.starts_on).days
                v.detail = f"first flag {first.month} ({', '.join(first.reasons)})"
            else:
                early = ", ".join(f.month for f in mine)
                v.detail = f"never flagged from {start}" + (f"; early flags {early}" if early else "")
            verdicts[client] = v
            continue
        if not mine:
            verdicts[client] = ClientVerdict(client, "TN", mine)
            continue
        c = churn.get(client)
        if c is not None:
            signals = month_of(c.signals_from)
            series = hours.get(client, {})
            before = [h for m, h in series.items() if m < signals]
            base = sum(before, Decimal(0)) / len(before) if before else None
            rising = [
                f
                for f in mine
                if f.month >= signals and base is not None and series.get(f.month, Decimal(0)) > base
            ]
            if rising and len(rising) == len(mine):
                first = rising[0]
                detail = (
                    f"churning ({c.driver}, signals {c.signals_from}, churned {c.churned_on}): {first.month} "
                    f"labour {series[first.month]} h vs {base:.1f} h before signals"
                )
                verdicts[client] = ClientVerdict(client, "explained", mine, detail=detail)
                continue
            reason = (
                f"churning ({c.driver}, signals {c.signals_from}), but a flag falls before the signals or "
                f"in a month of normal labour; {_reason(client, mine, lines, types.get(client))}"
            )
        else:
            reason = _reason(client, mine, lines, types.get(client))
        verdicts[client] = ClientVerdict(client, "FP", mine, detail=reason)
    return Score(verdicts)


def _reason(
    client: str, flags: Sequence[Flag], lines: dict[tuple[str, str], MonthLines], kind: str | None
) -> str:
    """Why an unplanted, non-churning client was flagged: its agreement type and the first flagged
    month's labour hours against its own mean over the other months."""
    first = flags[0]
    mine = {m: lm for (c, m), lm in lines.items() if c == client}
    others = [lm.labour_hours for m, lm in mine.items() if m != first.month]
    now = mine.get(first.month, MonthLines()).labour_hours
    mean = sum(others, Decimal(0)) / len(others) if others else Decimal(0)
    prefix = {
        "block_hours": "block hours: the prepaid block is revenue in the month it is invoiced, its hours are "
        "costed as worked",
    }.get(kind or "", kind or "agreement unknown")
    return f"{prefix}; {first.month} labour {now:.2f} h vs {mean:.1f} h mean (top driver: {first.driver})"


def check_costing(
    score_: Score, truth: Truth, lines: dict[tuple[str, str], MonthLines], last_month: str
) -> None:
    """CPI's labour hours and cost per client month against the truth's ``observed`` series (every
    month but the log's last, whose late time entries the simulator cut with the log)."""
    for entry in [*truth.margin_erosion, *truth.churn]:
        for o in entry.observed:
            if o.period >= last_month:
                continue
            got = lines.get((entry.client_id, o.period), MonthLines())
            score_.costing_checked += 1
            cost = cents(got.cost_labour)
            if got.labour_hours != o.labour_hours or cost != o.labour_cost:
                score_.costing_mismatches.append(
                    f"{entry.client_id} {o.period}: CPI {got.labour_hours} h {cost} vs truth "
                    f"{o.labour_hours} h {o.labour_cost}"
                )


def _months_apart(a: str, b: str) -> int:
    return (int(b[:4]) - int(a[:4])) * 12 + int(b[5:]) - int(a[5:])


def log_facts(log: Path) -> tuple[list[str], dict[str, str]]:
    """Every client id in the log and each client's latest agreement type."""
    import json

    clients: set[str] = set()
    types: dict[str, str] = {}
    with log.open("rb") as file:
        for raw in file:
            if b'"type":"psa.client.upserted"' in raw:
                clients.add(json.loads(raw)["data"]["client_id"])
            elif b'"type":"psa.agreement.upserted"' in raw:
                d = json.loads(raw)["data"]
                types[d["client_id"]] = d["agreement_type"]
    return sorted(clients), types


@dataclass
class Evaluation:
    run: CpiRun
    score: Score
    truth: Truth
    clients: list[str]
    agreement_types: dict[str, str]
    policy: Policy

    def by_rule(self, rules: frozenset[str]) -> Score:
        """The score if only ``rules`` counted as flags."""
        return score(
            self.truth,
            self.run.alerts,
            self.run.judgements,
            self.run.lines,
            self.clients,
            self.policy,
            self.agreement_types,
            rules,
        )


def evaluate(log: Path, workdir: Path, settings: Settings | None = None) -> Evaluation:
    """Feed ``log`` through CPI and score it against ``log``'s truth file (what the test calls)."""
    settings = settings or Settings()
    truth = Truth.model_validate_json(log.with_suffix(".truth.json").read_text())
    run = run_cpi(log, workdir, settings)
    clients, types = log_facts(log)
    policy = ledger_config(settings).policy
    result = score(truth, run.alerts, run.judgements, run.lines, clients, policy, types)
    check_costing(result, truth, run.lines, month_of(truth.run.end))
    return Evaluation(run, result, truth, clients, types, policy)


# -- report ----------------------------------------------------------------------------------------------


def report(console: Console, ev: Evaluation) -> None:
    run, result, truth = ev.run, ev.score, ev.truth
    console.print(
        f"CPI: {run.inputs:,} events in {run.seconds:.1f} s ({run.inputs / run.seconds:,.0f} events/s), "
        f"{len(run.alerts)} margin alerts, {run.dead_letters} dead letters, "
        f"{len({m for _, m in run.judgements})} months judged"
    )
    planted = Table(title="Planted margin erosion")
    for column in ("client", "mechanism", "starts_on", "outcome", "lead (months)", "lead (days)", "detail"):
        planted.add_column(column)
    for e in truth.margin_erosion:
        v = result.verdicts[e.client_id]
        planted.add_row(
            e.client_id,
            e.mechanism,
            str(e.starts_on),
            v.outcome,
            "" if v.lead_months is None else str(v.lead_months),
            "" if v.lead_days is None else str(v.lead_days),
            v.detail,
        )
    console.print(planted)
    wrong = Table(title="Flagged but not planted (false positives and explained)")
    for column in ("client", "outcome", "flagged months", "reason"):
        wrong.add_column(column)
    for v in result.verdicts.values():
        if v.outcome in ("FP", "explained"):
            months = ", ".join(f"{f.month} {f.margin_pct}% ({'; '.join(f.reasons)})" for f in v.flags[:4])
            more = f" +{len(v.flags) - 4}" if len(v.flags) > 4 else ""
            wrong.add_row(v.client_id, v.outcome, months + more, v.detail)
    console.print(wrong)
    leads = [v.lead_months for v in result.verdicts.values() if v.lead_months is not None]
    days = [v.lead_days for v in result.verdicts.values() if v.lead_days is not None]
    summary = Table(title="Score")
    summary.add_column("measure")
    summary.add_column("value")
    summary.add_row("planted / clients", f"{result.tp + result.fn} / {len(result.verdicts)}")
    summary.add_row(
        "TP / FP / FN / explained (churn)", f"{result.tp} / {result.fp} / {result.fn} / {result.explained}"
    )
    summary.add_row("recall", f"{result.recall:.2f}")
    summary.add_row("precision (strict)", f"{result.precision:.2f}")
    summary.add_row("precision (truth-aware)", f"{result.precision_truth_aware:.2f}")
    if leads:
        summary.add_row("lead time, months (min/median/max)", _spread(leads))
        summary.add_row("lead time, days to publication (min/median/max)", _spread(days))
    summary.add_row(
        "labour costing vs truth",
        f"{len(result.costing_mismatches)} mismatches in {result.costing_checked} client months",
    )
    fp_types: dict[str, int] = defaultdict(int)
    for v in result.verdicts.values():
        if v.outcome == "FP":
            fp_types[ev.agreement_types.get(v.client_id, "unknown")] += 1
    summary.add_row("FP by agreement type", ", ".join(f"{k} {n}" for k, n in sorted(fp_types.items())))
    console.print(summary)
    rules = Table(title="If only one rule flagged")
    for column in (
        "rule",
        "TP",
        "FP",
        "FN",
        "explained",
        "recall",
        "precision (strict)",
        "precision (truth-aware)",
    ):
        rules.add_column(column)
    for rule in RULES:
        r = ev.by_rule(frozenset({rule}))
        rules.add_row(
            rule,
            str(r.tp),
            str(r.fp),
            str(r.fn),
            str(r.explained),
            f"{r.recall:.2f}",
            f"{r.precision:.2f}",
            f"{r.precision_truth_aware:.2f}",
        )
    console.print(rules)
    for line in result.costing_mismatches[:10]:
        console.print(f"  [red]{line}[/red]")


def _spread(values: Sequence[int]) -> str:
    ordered = sorted(values)
    return f"{ordered[0]} / {ordered[len(ordered) // 2]} / {ordered[-1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, help="an existing simulated log (its .truth.json beside it)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clients", type=int, default=60)
    parser.add_argument("--technicians", type=int, default=12)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument(
        "--out", type=Path, help="directory for the log and CPI's database (default: temporary)"
    )
    args = parser.parse_args()
    console = Console(width=160)
    with tempfile.TemporaryDirectory(prefix="cpi-margin-truth-") as tmp:
        workdir = args.out or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        log = args.log
        if log is None:
            from msp_sim.generate import generate
            from msp_sim.params import Params

            log = workdir / f"sim-s{args.seed}-c{args.clients}-m{args.months}.jsonl"
            started = time.perf_counter()
            stats = generate(Params(args.seed, args.clients, args.technicians, args.months), log)
            console.print(
                f"generated {stats.events:,} events in {time.perf_counter() - started:.1f} s: {log}"
            )
        report(console, evaluate(log, workdir))


if __name__ == "__main__":
    main()
