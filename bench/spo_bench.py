"""SPO benchmarks (``make bench-spo``): the win model's training and scoring, and the service on
Kafka + PostgreSQL against the bare runtime, each against a baseline measured in the same run.

1. *Training*: ``--history`` (50,000) opportunities with planted drivers written to a CSV, then
   ``msp-spo train``'s path (read, detect, cross-validate both families, calibrate, out-of-time):
   seconds and CV ROC-AUC. Baseline: one plain ``LogisticRegression.fit`` on the same matrix.
2. *Scoring*: ``--score`` (100,000) rows: probabilities alone and with explanations (``why``),
   rows/s. Baseline: building the design matrix alone (the part every scorer pays).
3. *Service*: ``--events`` ``crm.opportunity.upserted`` of open deals scored by a trained model,
   events/s on Kafka + PostgreSQL, against the runtime with a no-op handler (inbox + commit).

Ratios, never timed asserts. ``ARGS="--history 5000 --score 20000 --events 500"`` on a busy box.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cpi_ledger import BOOTSTRAP, drop_database, fresh_database, publish, wait_consumed

from msp_events import Envelope, Money
from msp_events.runtime.kafka import KafkaTransport
from msp_events.runtime.router import HandlerRouter
from msp_events.runtime.service import Service
from msp_events.runtime.settings import KafkaSettings
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.crm import OpportunityUpserted
from msp_events.types.platform import ClockTicked

from spo.app import create_service
from spo.settings import Settings
from spo.winmodel.columns import design_matrix, detect
from spo.winmodel.table import read_table
from spo.winmodel.train import train

HEADER = [
    "deal",
    "created",
    "last_activity",
    "stage",
    "source",
    "industry",
    "mrr",
    "one_time",
    "recurring",
    "won",
]
SOURCES = ("Referral", "Website", "Event", "Cold outreach", "Partner")
STAGES = ("identified", "qualified", "assessment", "proposed", "verbal")
NOW = datetime(2026, 6, 1, 6, tzinfo=UTC)


def history_csv(path: Path, rows: int, seed: int = 0) -> None:
    r = random.Random(seed)
    with path.open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(HEADER)
        for i in range(rows):
            created = date(2022, 1, 1) + timedelta(days=r.randint(0, 1200))
            silent = r.randint(0, 60)
            source, stage = r.choice(SOURCES), r.randrange(5)
            logit = -1.5 + 0.6 * stage + (1.2 if source == "Referral" else 0) - silent / 25
            won = r.random() < 1 / (1 + np.exp(-logit))
            w.writerow(
                [
                    f"D-{i}",
                    created.isoformat(),
                    (created + timedelta(days=silent)).isoformat(),
                    STAGES[stage],
                    source,
                    r.choice(("Legal", "Dental", "Manufacturing", "Nonprofit")),
                    f"{r.lognormvariate(7.5, 0.5):.2f}",
                    "" if r.random() < 0.3 else f"{r.uniform(500, 20000):.2f}",
                    r.choice(("yes", "no")),
                    "yes" if won else "no",
                ]
            )


def bench_model(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp())
    hist = tmp / "history.csv"
    history_csv(hist, args.history)
    t = time.perf_counter()
    table = read_table(hist)
    model, report = train(table, "won", None, ["deal"], "created")
    train_s = time.perf_counter() - t
    detected = detect(table, {"won", "deal"}, "created")
    X = design_matrix(detected.features, detected.reference, table)
    y = np.array([v == "yes" for v in table.column("won")], dtype=np.int64)
    t = time.perf_counter()
    LogisticRegression(max_iter=5000).fit((X - X.mean(0)) / np.where(X.std(0) == 0, 1, X.std(0)), y)
    lr_s = time.perf_counter() - t
    auc = report.cv_auc[report.chosen]
    oot = report.out_of_time or {}
    print(
        f"training on {args.history:,} opportunities: {train_s:.1f} s ({train_s / lr_s:.0f}x one plain "
        f"LogisticRegression.fit at {lr_s:.2f} s); chosen {report.chosen}, CV ROC-AUC {auc:.4f} "
        f"(logistic {report.cv_auc['logistic_regression']:.4f}, "
        f"boosting {report.cv_auc['gradient_boosting']:.4f}), "
        f"CV log loss {report.cv_log_loss:.4f}, "
        f"out-of-time AUC {oot.get('auc', float('nan')):.4f}"
    )

    score_csv = tmp / "open.csv"
    history_csv(score_csv, args.score, seed=1)
    table = read_table(score_csv)
    t = time.perf_counter()
    model.design(table)
    design_s = time.perf_counter() - t
    t = time.perf_counter()
    model.probabilities(table)
    prob_s = time.perf_counter() - t
    t = time.perf_counter()
    model.explain(table)
    explain_s = time.perf_counter() - t
    n = args.score
    print(
        f"scoring {n:,} rows ({model.family}): probabilities {n / prob_s:,.0f} rows/s, with why "
        f"{n / explain_s:,.0f} rows/s; baseline design matrix alone {n / design_s:,.0f} rows/s "
        f"(probabilities {prob_s / design_s:.1f}x, "
        f"with why {explain_s / design_s:.1f}x its time)"
    )


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def opportunities(n: int, status: str, prefix: str, at: datetime) -> list[Envelope[Any]]:
    r = random.Random(prefix)
    out = []
    for i in range(n):
        won = r.random() < 0.4
        data = OpportunityUpserted(
            opportunity_id=f"{prefix}-{i}",
            name=f"Deal {i}",
            prospect_name=f"Prospect {i}",
            stage=r.choice(STAGES),
            status=status if status == "open" else ("won" if won else "lost"),
            expected_close_date=(at + timedelta(days=30)).date(),
            source=r.choice(SOURCES),
            estimated_recurring_monthly=usd(f"{r.randint(800, 5000)}"),
            recurring_term_months=36,
            created_on=(at - timedelta(days=r.randint(5, 90))).date(),
            closed_on=None if status == "open" else at.date(),
            last_activity_at=at - timedelta(days=r.randint(0, 30)),
            updated_at=at + timedelta(seconds=i),
        )
        out.append(Envelope.build(data, source="crm.bench", time=at + timedelta(seconds=i)))
    return out


noop_router = HandlerRouter()


@noop_router.handles(OpportunityUpserted)
def noop(uow: UnitOfWork, event: Envelope[OpportunityUpserted]) -> None:
    """The bare runtime: decode, inbox claim, commit, offsets."""


async def run_service(kind: str, events: list[Envelope[Any]]) -> float:
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    kafka = KafkaSettings(bootstrap_servers=BOOTSTRAP, topic_prefix=prefix)
    name, url = fresh_database("spo_bench")
    settings = Settings(MSP_TRANSPORT="kafka", DATABASE_URL=url, kafka=kafka)
    if kind == "spo":
        service = create_service(settings)
        closed = opportunities(200, "closed", "H", NOW - timedelta(days=40))
        warmup = [
            *closed,
            Envelope.build(ClockTicked(now=NOW, granularity="day"), source="platform.clock", time=NOW),
        ]
    else:
        service = Service(
            settings=settings,
            router=noop_router,
            transport=KafkaTransport(kafka, "bench"),
            migrations=Path(tempfile.mkdtemp()),
        )
        warmup = opportunities(1, "open", "W", NOW)
    await service.start()
    try:
        await publish(prefix, warmup)
        await wait_consumed(service, len(warmup))
        t = time.perf_counter()
        await publish(prefix, events)
        await wait_consumed(service, len(warmup) + len(events))
        return len(events) / (time.perf_counter() - t)
    finally:
        await service.stop()
        drop_database(name)


async def bench_service(args: argparse.Namespace) -> None:
    events = opportunities(args.events, "open", "O", NOW + timedelta(hours=1))
    bare = await run_service("bare", events)
    spo = await run_service("spo", events)
    print(
        f"service on Kafka + PostgreSQL, {args.events:,} open opportunities scored by the trained model: "
        f"{spo:,.0f} events/s vs bare runtime {bare:,.0f} events/s ({spo / bare:.2f}x)"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--history", type=int, default=50_000)
    p.add_argument("--score", type=int, default=100_000)
    p.add_argument("--events", type=int, default=2_000)
    p.add_argument("--skip-service", action="store_true", help="model benchmarks only (no Kafka/PostgreSQL)")
    p.add_argument("--service-only", action="store_true", help="the service against the bare runtime only")
    args = p.parse_args()
    if not args.service_only:
        bench_model(args)
    if not args.skip_service:
        asyncio.run(bench_service(args))


if __name__ == "__main__":
    main()
