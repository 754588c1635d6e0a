"""The anomaly use case: judge the closed days of every spend series on the platform clock and
publish what changed (a new anomaly, one that grew, one that ended).

Why on the clock and from the stored lines: the detector judges each day from the days before it,
so re-running it over the stored history gives every past day the same verdict it had (no
look-ahead), whatever order the facts came in; the published set then depends on the facts and
the ticks only. A run is made when a tick reaches a new ISO week (the closed days up to the
Sunday before): detection over the whole history costs about a millisecond per day, so a run per
daily tick would make a year's replay quadratic. A restated cloud day or a late expense changes
the verdicts from its day on, which the next run publishes as an update or a closing.

Series: each department's total, and per department its categories and vendors; each cloud
account and cloud service. An anomaly's id derives from its series and first day, so a re-run
finds it again; it is re-published only when its end, size or status changed.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol, cast

import numpy as np
from sqlalchemy import select as sa_select
from sqlmodel import select

from msp_events.money import Money
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import RootCause, SpendAnomalyDetected

from dsa.detection.detector import FeedbackNote, detect
from dsa.detection.episodes import Episode, episodes
from dsa.store.tables import AnomalyRow, SpendLineRow

NAMESPACE = uuid.UUID("6f1d3a8e-5a43-4c1e-9d0f-2b7c4e8a9d11")
GAP_DAYS = 7
CENT = Decimal("0.01")


@dataclass(frozen=True)
class SeriesKey:
    dimension: str
    department: str
    value: str
    source: str

    @property
    def key(self) -> str:
        return f"{self.source}|{self.dimension}|{self.department}|{self.value}"


def run_due(tick: datetime) -> bool:
    """A run on the tick that starts a week (Monday 00:00 UTC): hourly and daily clocks both send it."""
    return tick.weekday() == 0 and tick.time() == time(0) and tick.utcoffset() == timedelta(0)


class BookedLine(Protocol):
    """What a detection run reads of a stored spend line (a plain row or a ``SpendLineRow``)."""

    source: str
    day: date
    department: str
    category: str
    vendor: str
    account: str | None
    service: str | None
    amount: Decimal
    currency: str


LINE_COLUMNS = tuple(BookedLine.__annotations__)


def series_of(row: BookedLine) -> list[SeriesKey]:
    """The detection series a booked line counts in (the ROI ledger measures confirmed anomalies by them)."""
    dept = row.department
    keys = [
        SeriesKey("department", dept, dept, row.source),
        SeriesKey("category", dept, row.category, row.source),
        SeriesKey("vendor", dept, row.vendor, row.source),
    ]
    if row.account:
        keys.append(SeriesKey("account", dept, row.account, "cloud"))
    if row.service:
        keys.append(SeriesKey("service", dept, row.service, "cloud"))
    return keys


def detect_and_publish(uow: UnitOfWork, through: date) -> int:
    """Judge every day up to ``through`` (inclusive); returns how many events were published.

    Each source is judged up to its own last booked day: cloud costs arrive a day or two after
    the usage, so at Monday's tick Sunday has no cloud line yet and would read as a drop to zero.
    Only increases are published (AWS Cost Anomaly Detection does the same): a controller acts
    on overspend; a stream that stops shows in budget against actual.
    """
    session = uow.session
    columns = [SpendLineRow.__table__.c[name] for name in LINE_COLUMNS]  # type: ignore[attr-defined]
    # plain rows, not ORM objects: a run reads every stored line, and tracking them costs more
    # than the detection itself
    query = sa_select(*columns).where(SpendLineRow.__table__.c.day <= through)  # type: ignore[attr-defined]
    lines = cast(list[BookedLine], list(session.execute(query)))
    stored = {row.anomaly_id: row for row in session.exec(select(AnomalyRow))}
    seen: set[str] = set()
    published = 0
    for source in sorted({r.source for r in lines}):
        mine = [r for r in lines if r.source == source]
        published += _judge(uow, mine, max(r.day for r in mine), stored, seen)
    for anomaly_id, row in sorted(stored.items()):  # a late fact can erase an anomaly: it ends
        if anomaly_id not in seen and row.status == "open":
            row.status = "closed"
            session.add(row)
            uow.emit(_event(row))
            published += 1
    return published


def _judge(
    uow: UnitOfWork, lines: list[BookedLine], through: date, stored: dict[str, AnomalyRow], seen: set[str]
) -> int:
    session = uow.session
    currency = _main_currency(lines)
    first = min(r.day for r in lines)
    days = (through - first).days + 1
    index: dict[str, int] = {}
    keys: list[SeriesKey] = []
    totals: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    drivers: dict[tuple[int, int], dict[tuple[str, str], Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for r in lines:
        if r.currency != currency:
            continue
        t = (r.day - first).days
        for k in series_of(r):
            i = index.setdefault(k.key, len(keys))
            if i == len(keys):
                keys.append(k)
            totals[(i, t)] += r.amount
            for dim, val in (("vendor", r.vendor), ("category", r.category), ("service", r.service or "")):
                if val and dim != k.dimension:
                    drivers[(i, t)][(dim, val)] += r.amount
    order = sorted(range(len(keys)), key=lambda i: keys[i].key)  # rows in key order: deterministic
    keys = [keys[i] for i in order]
    remap = {old: new for new, old in enumerate(order)}
    matrix = np.zeros((len(keys), days))
    for (i, t), amount in totals.items():
        matrix[remap[i], t] = float(amount)
    drivers = {(remap[i], t): v for (i, t), v in drivers.items()}
    times = np.arange(np.datetime64(first, "D"), np.datetime64(first, "D") + days)
    notes = _feedback_notes(stored.values(), {k.key: i for i, k in enumerate(keys)}, first)
    result = detect(times, matrix, feedback=notes)
    published = 0
    for ep in episodes(result, matrix, GAP_DAYS):
        if ep.actual <= ep.expected:
            continue
        key = keys[ep.series]
        anomaly_id = str(uuid.uuid5(NAMESPACE, f"{key.key}|{first + timedelta(days=ep.start)}"))
        seen.add(anomaly_id)
        row = _row(anomaly_id, key, ep, first, currency, drivers)
        before = stored.get(anomaly_id)
        if before is not None and _same(before, row):
            continue
        if before is not None:  # the same anomaly grown or ended: updated in place, feedback kept
            for field in (
                "period_end",
                "peak",
                "expected",
                "actual",
                "score",
                "shape",
                "status",
                "root_causes",
            ):
                setattr(before, field, getattr(row, field))
            row = before
        session.add(row)
        uow.emit(_event(row))
        published += 1
    return published


def _main_currency(lines: list[BookedLine]) -> str:
    spend: dict[str, Decimal] = defaultdict(Decimal)
    for r in lines:
        spend[r.currency] += abs(r.amount)
    return max(sorted(spend), key=lambda c: spend[c])


def _feedback_notes(rows: object, series: dict[str, int], first: date) -> list[FeedbackNote]:
    notes = []
    for row in rows:  # type: ignore[attr-defined]
        if row.feedback is None or row.series_key not in series or row.feedback_day is None:
            continue
        start, end = (row.period_start - first).days, (row.period_end - first).days
        effective = max((row.feedback_day - first).days, end + 1)
        notes.append(FeedbackNote(series[row.series_key], start, end, row.feedback, effective))
    return sorted(notes, key=lambda n: (n.effective, n.series, n.start))


def _row(
    anomaly_id: str,
    key: SeriesKey,
    ep: Episode,
    first: date,
    currency: str,
    drivers: dict[tuple[int, int], dict[tuple[str, str], Decimal]],
) -> AnomalyRow:
    start, end = first + timedelta(days=ep.start), first + timedelta(days=ep.end)
    impact: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for t in range(ep.start, ep.end + 1):
        for dv, amount in drivers.get((ep.series, t), {}).items():
            impact[dv] += amount
    window = ep.end - ep.start + 1
    for t in range(max(0, ep.start - 28), ep.start):  # what each driver usually spends, per day
        for dv, amount in drivers.get((ep.series, t), {}).items():
            impact[dv] -= amount * window / 28
    causes = sorted(((v, dv) for dv, v in impact.items() if v > 0), key=lambda x: (-x[0], x[1]))[:3]
    return AnomalyRow(
        anomaly_id=anomaly_id,
        series_key=key.key,
        dimension=key.dimension,
        value=key.value,
        department=key.department,
        spend_source=key.source,
        category=key.value if key.dimension == "category" else None,
        vendor=key.value if key.dimension == "vendor" else None,
        period_start=start,
        period_end=end,
        peak=first + timedelta(days=ep.peak),
        expected=_cents(ep.expected),
        actual=_cents(ep.actual),
        currency=currency,
        score=Decimal(str(round(ep.score, 4))),
        shape=ep.shape,
        status="open" if ep.open else "closed",
        root_causes=json.dumps(
            [
                {"dimension": d, "value": v, "impact": str(a.quantize(CENT, ROUND_HALF_UP))}
                for a, (d, v) in causes
            ]
        ),
    )


def _cents(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)


def _same(a: AnomalyRow, b: AnomalyRow) -> bool:
    fields = ("period_end", "actual", "expected", "status", "shape", "score")
    return all(getattr(a, f) == getattr(b, f) for f in fields)


def _event(row: AnomalyRow) -> SpendAnomalyDetected:
    money = lambda amount: Money(amount=amount, currency=row.currency)  # noqa: E731
    impact = row.actual - row.expected
    causes = [
        RootCause(dimension=c["dimension"], value=c["value"], impact=money(Decimal(c["impact"])))
        for c in json.loads(row.root_causes)
    ]
    seasonal = row.shape == "seasonal_break"
    shape = "level_shift" if seasonal else row.shape
    pct = None if row.expected == 0 else (impact / row.expected * 100).quantize(CENT, ROUND_HALF_UP)
    return SpendAnomalyDetected(
        anomaly_id=row.anomaly_id,
        department=row.department,
        spend_source="cloud" if row.spend_source == "cloud" else "expense",
        category=row.category,
        vendor=row.vendor,
        shape=shape,  # type: ignore[arg-type]
        period_start=row.period_start,
        period_end=row.period_end,
        expected=money(row.expected),
        actual=money(row.actual),
        impact=money(impact),
        impact_pct=pct,
        score=row.score,
        root_causes=causes,
        summary=(
            f"{row.dimension} {row.value!r} of {row.department} spent {row.actual} {row.currency} from "
            f"{row.period_start} to {row.period_end} against {row.expected} expected ({shape}"
            f"{', seasonal break' if seasonal else ''}, {row.status})"
        ),
        status=row.status,  # type: ignore[arg-type]
        seasonal_break=seasonal,
        dimension=row.dimension,
    )
