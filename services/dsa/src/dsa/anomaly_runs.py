"""The anomaly use case: judge the days booked since the last run of every spend series, on the
platform clock's daily tick, and publish what changed (a new anomaly, one that grew, one that ended).

Why on the clock and from kept state: the detector judges each day from the days before it, so
the run resumes it from the state it kept after the last judged day (``anomaly_state.py``) and
judges only the new days: a year's replay costs one judgement per day, and every day gets the
verdict one run over the whole stored history would give it (no look-ahead;
``tests/test_anomaly_stream.py`` compares the two). When the kept state no longer describes the
stored history the source is judged whole again, as the weekly run did: a late or restated line
of a judged day, a new series, a change of main currency, new feedback taking effect. A judged
line is marked (``judge_state``), so finding what is new costs one indexed read per run.

Series: each department's total, and per department its categories and vendors; each cloud
account and cloud service. An anomaly's id derives from its series and first day, so a re-run
finds it again; it is re-published only when its end, size or status changed.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol, cast

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlmodel import Session, col, select

from msp_events.money import Money
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import RootCause, SpendAnomalyDetected

from dsa import anomaly_state
from dsa.anomaly_state import KeptState, Note, Point
from dsa.detection.detector import F64, Detection, Feedback, FeedbackNote, detect_from
from dsa.detection.episodes import Episode, episode_of, episodes
from dsa.store.tables import AnomalyRow, DetectorStateRow, SpendLineRow

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
    """A run on the tick that starts a day (00:00 UTC): hourly and daily clocks both send it."""
    return tick.time() == time(0) and tick.utcoffset() == timedelta(0)


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
    """Judge every day up to ``through`` (inclusive) not judged yet; returns how many events were
    published.

    Each source is judged up to its own last booked day: cloud costs arrive a day or two after
    the usage, so at midnight yesterday has no cloud line yet and would read as a drop to zero.
    Only increases are published (AWS Cost Anomaly Detection does the same): a controller acts
    on overspend; a stream that stops shows in budget against actual.
    """
    session = uow.session
    table = SpendLineRow.__table__  # type: ignore[attr-defined]
    columns = [table.c[name] for name in (*LINE_COLUMNS, "judge_state")]
    # plain rows, not ORM objects: tracking them costs more than reading them
    pending = cast(
        list[PendingLine], list(session.execute(sa_select(*columns).where(table.c.judge_state > 0)))
    )
    restated = {r.source for r in pending if r.judge_state == 2}
    states = {row.source: row for row in session.exec(select(DetectorStateRow))}
    published = 0
    for source in sorted({r.source for r in pending if r.day <= through} | restated):
        mine = [r for r in pending if r.source == source and r.day <= through]
        notes = _notes_of(session, source)
        row = states.get(source)
        kept = None if row is None or source in restated else anomaly_state.loads(row.state)
        if kept is not None and mine and _resumable(kept, mine, notes):
            published += _judge_new(uow, source, kept, mine, notes)
        else:
            published += _judge_all(uow, source, through, notes)
    done = table.c.judge_state > 0
    session.execute(update(SpendLineRow).where(done, table.c.day <= through).values(judge_state=0))
    # a restated line moved past ``through``: its old version is out of the state just rebuilt
    session.execute(update(SpendLineRow).where(table.c.judge_state == 2).values(judge_state=1))
    return published


class PendingLine(BookedLine, Protocol):
    judge_state: int


def _resumable(kept: KeptState, mine: list[PendingLine], notes: list[Note]) -> bool:
    """True when the kept state still describes the stored history, so only the new days need a
    judgement: every new line is dated after the last judged day, in a series the state has, the
    main currency stays, and no feedback starts to act that the state has not applied."""
    if min(r.day for r in mine) <= kept.judged_through:
        return False
    spend = dict(kept.spend)
    for r in mine:
        spend[r.currency] = spend.get(r.currency, Decimal(0)) + abs(r.amount)
    if _largest(spend) != kept.currency:
        return False
    known = set(kept.keys)
    if any(_tuple(k) not in known for r in mine if r.currency == kept.currency for k in series_of(r)):
        return False
    frontier = max(r.day for r in mine)
    return _applied(notes, known, frontier) == kept.notes


def _judge_all(uow: UnitOfWork, source: str, through: date, notes: list[Note]) -> int:
    """Judge the source's whole stored history (no state, or one the facts have overtaken)."""
    session = uow.session
    table = SpendLineRow.__table__  # type: ignore[attr-defined]
    query = sa_select(*[table.c[name] for name in LINE_COLUMNS]).where(
        table.c.source == source, table.c.day <= through
    )
    lines = cast(list[BookedLine], list(session.execute(query)))
    stored = {
        r.anomaly_id: r for r in session.exec(select(AnomalyRow).where(AnomalyRow.spend_source == source))
    }
    state_row = session.get(DetectorStateRow, source)
    if not lines:
        if state_row is not None:
            session.delete(state_row)
        return _close_unseen(uow, stored, set())
    spend: dict[str, Decimal] = defaultdict(Decimal)
    for r in lines:
        spend[r.currency] += abs(r.amount)
    currency = _largest(spend)
    first = min(r.day for r in lines)
    frontier = max(r.day for r in lines)
    mine = [r for r in lines if r.currency == currency]
    keys = sorted({k.key: k for r in mine for k in series_of(r)}.values(), key=lambda k: k.key)
    index = {k.key: i for i, k in enumerate(keys)}
    matrix = _matrix(mine, index, first, (frontier - first).days + 1)
    known = {_tuple(k) for k in keys}
    applied = _applied(notes, known, frontier)
    result, detector = detect_from(
        None, _days(first, frontier), matrix, feedback=_notes_at(applied, index, first)
    )
    drivers = _drivers(mine, index, first)
    seen: set[str] = set()
    published = 0
    open_points: dict[int, list[Point]] = {}
    for ep in episodes(result, matrix, GAP_DAYS):
        published += _publish(uow, ep, keys[ep.series], first, currency, drivers, stored, seen)
        if ep.open:
            flagged = np.flatnonzero(result.flags[ep.series, ep.start : ep.end + 1]) + ep.start
            open_points[ep.series] = [_point(result, matrix, ep.series, int(t), int(t)) for t in flagged]
    published += _close_unseen(uow, stored, seen)
    kept = KeptState(
        first, frontier, [_tuple(k) for k in keys], currency, dict(spend), applied, detector, open_points
    )
    _save(session, state_row, source, kept)
    return published


def _judge_new(
    uow: UnitOfWork, source: str, kept: KeptState, mine: list[PendingLine], notes: list[Note]
) -> int:
    """Judge only the days after the last judged one, resumed from the kept state."""
    session = uow.session
    keys = [SeriesKey(*k) for k in kept.keys]
    index = {k.key: i for i, k in enumerate(keys)}
    frontier = max(r.day for r in mine)
    start = kept.judged_through + timedelta(days=1)
    t0 = kept.detector.length
    ours = [r for r in mine if r.currency == kept.currency]
    matrix = _matrix(ours, index, start, (frontier - start).days + 1)
    result, detector = detect_from(kept.detector, _days(start, frontier), matrix)
    for r in mine:
        kept.spend[r.currency] = kept.spend.get(r.currency, Decimal(0)) + abs(r.amount)
    # the open anomalies' flagged points, then this run's: an anomaly grows or ends only here
    groups: list[tuple[int, list[Point]]] = []
    for s in range(len(keys)):
        points = list(kept.open_points.get(s, []))
        points += [_point(result, matrix, s, int(j), t0 + int(j)) for j in np.flatnonzero(result.flags[s])]
        if not points:
            continue
        group: list[Point] = []
        for p in points:
            if group and p[0] - group[-1][0] > GAP_DAYS:
                groups.append((s, group))
                group = []
            group.append(p)
        groups.append((s, group))
    found = [_episode(s, pts, detector.length) for s, pts in groups]
    drivers: dict[tuple[int, int], dict[tuple[str, str], Decimal]] = {}
    if found:  # root causes read the lines of the anomalies and the 28 days before them
        lo = kept.first + timedelta(days=min(ep.start for ep in found) - 28)
        hi = kept.first + timedelta(days=max(ep.end for ep in found))
        drivers = _drivers(_lines_between(session, source, kept.currency, lo, hi), index, kept.first)
    stored = {
        ep_id: session.get(AnomalyRow, ep_id)
        for ep_id in (_anomaly_id(keys[ep.series], kept.first, ep) for ep in found)
    }
    seen: set[str] = set()
    published = sum(
        _publish(uow, ep, keys[ep.series], kept.first, kept.currency, drivers, stored, seen) for ep in found
    )
    published += _close_unseen(uow, {k: row for k, row in stored.items() if row is not None}, seen)
    kept.open_points = {s: pts for (s, pts), ep in zip(groups, found, strict=True) if ep.open}
    kept.judged_through, kept.detector = frontier, detector
    kept.notes = _applied(notes, set(kept.keys), frontier)
    _save(session, session.get(DetectorStateRow, source), source, kept)
    return published


def _publish(
    uow: UnitOfWork,
    ep: Episode,
    key: SeriesKey,
    first: date,
    currency: str,
    drivers: dict[tuple[int, int], dict[tuple[str, str], Decimal]],
    stored: Mapping[str, AnomalyRow | None],
    seen: set[str],
) -> int:
    """Publish an episode that is new or changed; a stored anomaly that is no longer an increase ends."""
    anomaly_id = _anomaly_id(key, first, ep)
    before = stored.get(anomaly_id)
    if ep.actual <= ep.expected:
        return 0
    seen.add(anomaly_id)
    row = _row(anomaly_id, key, ep, first, currency, drivers)
    if before is not None and _same(before, row):
        return 0
    if before is not None:  # the same anomaly grown or ended: updated in place, feedback kept
        for name in ("period_end", "peak", "expected", "actual", "score", "shape", "status", "root_causes"):
            setattr(before, name, getattr(row, name))
        row = before
    uow.session.add(row)
    uow.emit(_event(row))
    return 1


def _close_unseen(uow: UnitOfWork, stored: dict[str, AnomalyRow], seen: set[str]) -> int:
    """A stored open anomaly the run no longer finds (a late fact erased it) ends as it was."""
    published = 0
    for anomaly_id, row in sorted(stored.items()):
        if anomaly_id not in seen and row.status == "open":
            row.status = "closed"
            uow.session.add(row)
            uow.emit(_event(row))
            published += 1
    return published


def _anomaly_id(key: SeriesKey, first: date, ep: Episode) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{key.key}|{first + timedelta(days=ep.start)}"))


def _episode(series: int, points: list[Point], length: int) -> Episode:
    idx, score, kind, expected, actual = (np.array(col) for col in zip(*points, strict=True))
    return episode_of(
        series, idx.astype(np.int64), score, kind.astype(np.int8), expected, actual, length, GAP_DAYS
    )


def _point(result: Detection, matrix: F64, s: int, j: int, t: int) -> Point:
    """Flagged point ``j`` of a judgement as kept: its absolute index ``t`` and its numbers."""
    return (
        t,
        float(result.scores[s, j]),
        int(result.kind[s, j]),
        float(result.expected[s, j]),
        float(matrix[s, j]),
    )


def _matrix(lines: Sequence[BookedLine], index: dict[str, int], first: date, days: int) -> F64:
    """Series x day totals from ``first`` (each day's Decimal sum, then a float: same bits in any run)."""
    totals: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for r in lines:
        t = (r.day - first).days
        for k in series_of(r):
            totals[(index[k.key], t)] += r.amount
    matrix = np.zeros((len(index), days))
    for (i, t), amount in totals.items():
        matrix[i, t] = float(amount)
    return matrix


def _drivers(
    lines: Sequence[BookedLine], index: dict[str, int], first: date
) -> dict[tuple[int, int], dict[tuple[str, str], Decimal]]:
    """Per series and day, the spend of each vendor, category and service in it (root causes)."""
    drivers: dict[tuple[int, int], dict[tuple[str, str], Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for r in lines:
        t = (r.day - first).days
        for k in series_of(r):
            i = index.get(k.key)
            if i is None:
                continue
            for dim, val in (("vendor", r.vendor), ("category", r.category), ("service", r.service or "")):
                if val and dim != k.dimension:
                    drivers[(i, t)][(dim, val)] += r.amount
    return drivers


def _lines_between(session: Session, source: str, currency: str, lo: date, hi: date) -> list[BookedLine]:
    table = SpendLineRow.__table__  # type: ignore[attr-defined]
    query = sa_select(*[table.c[name] for name in LINE_COLUMNS]).where(
        table.c.source == source, table.c.currency == currency, table.c.day >= lo, table.c.day <= hi
    )
    return cast(list[BookedLine], list(session.execute(query)))


def _days(first: date, last: date) -> NDArray[np.datetime64]:
    return np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1)


def _largest(spend: dict[str, Decimal]) -> str:
    return max(sorted(spend), key=lambda c: spend[c])


def _tuple(k: SeriesKey) -> tuple[str, str, str, str]:
    return (k.dimension, k.department, k.value, k.source)


def _save(session: Session, row: DetectorStateRow | None, source: str, kept: KeptState) -> None:
    blob = anomaly_state.dumps(kept)
    if row is None:
        row = DetectorStateRow(
            source=source, first_day=kept.first, judged_through=kept.judged_through, state=blob
        )
    row.first_day, row.judged_through, row.state = kept.first, kept.judged_through, blob
    session.add(row)


def _notes_of(session: Session, source: str) -> list[Note]:
    """The feedback on the source's anomalies, as the detector takes it: from the later of the day
    it was given and the day after the anomaly's last flagged day."""
    query = select(AnomalyRow).where(AnomalyRow.spend_source == source, col(AnomalyRow.feedback).is_not(None))
    notes = []
    for row in session.exec(query):
        if row.feedback is None or row.feedback_day is None:
            continue
        effective = max(row.feedback_day, row.period_end + timedelta(days=1))
        notes.append(
            (
                row.series_key,
                row.period_start.isoformat(),
                row.period_end.isoformat(),
                row.feedback,
                effective.isoformat(),
            )
        )
    return sorted(notes)


def _applied(notes: list[Note], known: set[tuple[str, str, str, str]], frontier: date) -> list[Note]:
    """The notes a judgement through ``frontier`` applies: on its series, acting by then."""
    keys = {"|".join((k[3], k[0], k[1], k[2])) for k in known}
    return [n for n in notes if n[0] in keys and date.fromisoformat(n[4]) <= frontier]


def _notes_at(notes: list[Note], series: dict[str, int], first: date) -> list[FeedbackNote]:
    out = []
    for key, start, end, label, effective in notes:
        out.append(
            FeedbackNote(
                series[key],
                (date.fromisoformat(start) - first).days,
                (date.fromisoformat(end) - first).days,
                cast(Feedback, label),
                (date.fromisoformat(effective) - first).days,
            )
        )
    return sorted(out, key=lambda n: (n.effective, n.series, n.start))


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
