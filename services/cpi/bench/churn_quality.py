"""Churn model quality on simulated history: AUC and a calibration table on a time-based hold-out.

    .venv/bin/python services/cpi/bench/churn_quality.py [--log /tmp/x.jsonl] [--seed 7] [--clients 300]
        [--months 24] [--split 2026-01-01]

Generates a simulation (unless ``--log`` is given), turns its PSA and billing facts into the same
facts CPI's ``record_*`` use cases keep (ticket breach/CSAT known at the version that reported it,
agreement versions with the time they became known, invoices with their payments), builds the
per-client monthly signal table and features with ``cpi.domain.churn`` and trains with
``cpi.churn.model.fit`` on the months whose outcome window closed by the split date. It tests on
the month ends after the split (outcomes later than anything trained on) and prints the model's AUC,
Brier score and calibration table next to the health score's AUC (the baseline it replaces).
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import tempfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sklearn.metrics import brier_score_loss, roc_auc_score

from cpi.churn.model import fit
from cpi.domain.churn import (
    FEATURES,
    AgreementFact,
    ClientFact,
    History,
    InvoiceFact,
    TicketFact,
    add_months,
    health_score,
    month_start,
    signal_table,
    training_rows,
)

TYPES = (
    "psa.client.upserted",
    "psa.agreement.upserted",
    "psa.ticket.updated",
    "billing.invoice.issued",
    "billing.payment.received",
)
BINS = (0.0, 0.02, 0.05, 0.10, 0.25, 0.50, 1.0001)


def _dt(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def load(path: Path) -> tuple[History, date]:
    clients: dict[str, tuple[datetime, ClientFact]] = {}
    tickets: dict[str, dict[str, object]] = {}
    agreements: dict[tuple[str, datetime, str], AgreementFact] = {}
    invoices: dict[str, tuple[str, date, Decimal]] = {}
    payments: dict[str, list[tuple[date, Decimal]]] = {}
    last = date.min
    with path.open() as fh:
        for line in fh:
            kind = next((t for t in TYPES if f'"type":"{t}"' in line), None)
            if kind is None:
                if '"type":"clock.ticked"' in line:
                    last = max(last, _dt(json.loads(line)["data"]["now"]).date())
                continue
            event = json.loads(line)
            d, time = event["data"], _dt(event["time"])
            if kind == "psa.client.upserted":
                at = _dt(d["updated_at"]) if d.get("updated_at") else time
                if d["client_id"] not in clients or clients[d["client_id"]][0] <= at:
                    churned = date.fromisoformat(d["churned_on"]) if d.get("churned_on") else None
                    fact = ClientFact(
                        d["client_id"], date.fromisoformat(d["created_on"]), d["status"], churned
                    )
                    clients[d["client_id"]] = (at, fact)
            elif kind == "psa.agreement.upserted":
                at = _dt(d["updated_at"]) if d.get("updated_at") else time
                key = (d["agreement_id"], at, event["id"])
                agreements[key] = AgreementFact(
                    agreement_id=d["agreement_id"],
                    client_id=d["client_id"],
                    known_at=at,
                    start_date=date.fromisoformat(d["start_date"]),
                    end_date=date.fromisoformat(d["end_date"]) if d.get("end_date") else None,
                    auto_renew=d.get("auto_renew"),
                    cancelled=bool(d.get("cancelled")),
                    cancelled_date=date.fromisoformat(d["cancelled_date"])
                    if d.get("cancelled_date")
                    else None,
                    digest=event["id"],
                )
            elif kind == "psa.ticket.updated":
                at = _dt(d["updated_at"])
                t = tickets.setdefault(
                    d["ticket_id"], {"client_id": d["client_id"], "opened_at": _dt(d["opened_at"])}
                )
                if d.get("sla_breached") and ("breached_at" not in t or at < t["breached_at"]):  # type: ignore[operator]
                    t["breached_at"] = at
                if d.get("csat_rating"):
                    t.setdefault("csat_at", at)
                    t["csat_rating"] = d["csat_rating"]
            elif kind == "billing.invoice.issued":
                invoices[d["invoice_id"]] = (
                    d["client_id"],
                    date.fromisoformat(d["due_date"]),
                    Decimal(d["total"]["amount"]),
                )
            else:
                payments.setdefault(d["invoice_id"], []).append(
                    (date.fromisoformat(d["received_on"]), Decimal(d["amount"]["amount"]))
                )
    history = History(
        clients=[c for _, c in sorted(clients.values(), key=lambda x: x[1].client_id)],
        tickets=[
            TicketFact(
                t["client_id"],
                t["opened_at"],
                t.get("breached_at"),
                t.get("csat_rating"),  # type: ignore[arg-type]
                t.get("csat_at"),
            )
            for _, t in sorted(tickets.items())
        ],
        invoices=[
            InvoiceFact(i, c, due, total, tuple(sorted(payments.get(i, []))))
            for i, (c, due, total) in sorted(invoices.items())
        ],
        agreements=[agreements[k] for k in sorted(agreements)],
    )
    return history, last


def auc(labels: list[bool], scores: list[float]) -> float:
    return float(roc_auc_score(labels, scores)) if 0 < sum(labels) < len(labels) else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--split", type=date.fromisoformat, default=date(2026, 5, 1))
    parser.add_argument("--horizon", type=int, default=3)
    args = parser.parse_args()
    console = Console()
    log = args.log
    if log is None:
        log = Path(tempfile.mkdtemp()) / "churn.jsonl"
        console.print(f"generating seed {args.seed}, {args.clients} clients, {args.months} months ...")
        subprocess.run(
            [
                str(Path(sys.executable).parent / "msp-sim"),
                "generate",
                "--seed",
                str(args.seed),
                "--clients",
                str(args.clients),
                "--technicians",
                str(max(1, args.clients // 5)),
                "--months",
                str(args.months),
                "--out",
                str(log),
            ],
            check=True,
            capture_output=True,
        )
    history, last = load(log)
    table = signal_table(history)
    end = add_months(month_start(last), 1)  # the log's last complete month is before this
    rows = training_rows(table, end, args.horizon)
    train = [r for r in rows if add_months(r.month, 1 + args.horizon) <= args.split]
    test = [r for r in rows if add_months(r.month, 1) >= args.split]
    model = fit(train)
    feats = [dict(zip(FEATURES, r.features, strict=True)) for r in test]
    p_model = [model.probability(f) for f in feats]
    p_health = [1 - health_score(f) / 100 for f in feats]
    y = [r.churned for r in test]

    summary = Table(
        title=f"Churn within {args.horizon} months: train month ends ≤ "
        f"{add_months(args.split, -1 - args.horizon)}, test month ends ≥ {add_months(args.split, -1)}"
    )
    for col in (
        "set",
        "client-months",
        "churn rows",
        "churned clients",
        "AUC model",
        "AUC health score",
        "Brier model",
    ):
        summary.add_column(col, justify="right")
    train_y = [r.churned for r in train]
    train_f = [dict(zip(FEATURES, r.features, strict=True)) for r in train]
    summary.add_row(
        "train",
        str(len(train)),
        str(sum(train_y)),
        str(len({r.client_id for r in train if r.churned})),
        f"{auc(train_y, [model.probability(f) for f in train_f]):.3f}",
        f"{auc(train_y, [1 - health_score(f) / 100 for f in train_f]):.3f}",
        "",
    )
    quiet = [i for i, f in enumerate(feats) if not f["notice_given"]]
    summary.add_row(
        "test, no notice given",
        str(len(quiet)),
        str(sum(y[i] for i in quiet)),
        str(len({test[i].client_id for i in quiet if y[i]})),
        f"{auc([y[i] for i in quiet], [p_model[i] for i in quiet]):.3f}",
        f"{auc([y[i] for i in quiet], [p_health[i] for i in quiet]):.3f}",
        "",
    )
    summary.add_row(
        "test",
        str(len(test)),
        str(sum(y)),
        str(len({r.client_id for r in test if r.churned})),
        f"{auc(y, p_model):.3f}",
        f"{auc(y, p_health):.3f}",
        f"{brier_score_loss(y, p_model):.4f}",
    )
    console.print(summary)

    calib = Table(title="Calibration on the test months (model)")
    for col in ("predicted", "client-months", "mean predicted", "observed churn rate", "churn rows"):
        calib.add_column(col, justify="right")
    for lo, hi in itertools.pairwise(BINS):
        idx = [i for i, p in enumerate(p_model) if lo <= p < hi]
        if not idx:
            continue
        mean_p = sum(p_model[i] for i in idx) / len(idx)
        obs = sum(y[i] for i in idx) / len(idx)
        calib.add_row(
            f"{lo:.2f}-{min(hi, 1):.2f}",
            str(len(idx)),
            f"{mean_p:.3f}",
            f"{obs:.3f}",
            str(sum(y[i] for i in idx)),
        )
    console.print(calib)

    coefs = Table(title="Coefficients (standardised features, log-odds)")
    coefs.add_column("feature")
    coefs.add_column("coefficient", justify="right")
    for name, c in sorted(zip(model.features, model.coef, strict=True), key=lambda x: -abs(x[1])):
        coefs.add_row(name, f"{c:+.3f}")
    console.print(coefs)


if __name__ == "__main__":
    main()
