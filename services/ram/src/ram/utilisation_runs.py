"""Utilisation judged on ``clock.ticked``: each closed week and month once, alerts on band changes.

The tick is the only clock (no wall clock); a period is judged once, from the time entries stored
by then, so the alerts are the same whatever order the facts before the tick arrived in. A time
entry for a period already judged is a late fact: it counts in ``GET /technicians/utilization``
but does not re-open the alert (the alert said what was known when the period closed).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Literal

from sqlmodel import Session, col, select

from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import ClientHours, ResourceUtilizationAlert

from ram.domain.technicians import TechnicianVersion
from ram.domain.utilisation import (
    ZERO,
    AlertBand,
    Bands,
    Booked,
    Change,
    Entry,
    Granularity,
    Measure,
    Period,
    closed_periods,
    forecast_band,
    forecast_summary,
    measure,
    period_of,
    projected,
    summary,
    transitions,
)
from ram.planning import stored_plan
from ram.store import facts
from ram.store.repository import TechnicianRepository
from ram.store.tables import ForecastAlert, UtilisationEvaluation, UtilisationState

GRANULARITIES: tuple[Granularity, ...] = ("week", "month")


def team_of(t: TechnicianVersion) -> str:
    return f"team:{t.work_role}"


def roster(session: Session) -> list[TechnicianVersion]:
    return [t for t in TechnicianRepository(session).list(limit=100_000) if t.include_in_utilisation]


def measures(session: Session, start: date, end: date) -> tuple[dict[str, Measure], dict[str, Measure]]:
    """Per technician and per team (work role), the hours of [start, end]."""
    by_tech = facts.entries(session, start, end)
    techs: dict[str, Measure] = {}
    teams: dict[str, Measure] = defaultdict(lambda: ZERO)
    for t in roster(session):
        logged = by_tech.get(t.technician_id, [])
        m = measure(t.daily_capacity_hours, logged, start, end)
        techs[t.technician_id] = m
        if logged:  # a member with nothing logged (no data yet) would read as idle capacity
            teams[team_of(t)] = teams[team_of(t)] + m
    return techs, dict(teams)


def on_tick(uow: UnitOfWork, bands: Bands) -> None:
    today = uow.now.date()
    for granularity in GRANULARITIES:
        state = uow.session.get(UtilisationState, granularity)
        through = None if state is None else state.evaluated_through
        last = None
        for period in closed_periods(granularity, through, today):
            _judge(uow, period, bands)
            last = period.end
        if last is not None:
            state = state or UtilisationState(granularity=granularity, evaluated_through=last)
            state.evaluated_through = last
            uow.session.add(state)


def _previous(session: Session, subject: str, period: Period) -> UtilisationEvaluation | None:
    query = (
        select(UtilisationEvaluation)
        .where(
            col(UtilisationEvaluation.subject) == subject,
            col(UtilisationEvaluation.granularity) == period.granularity,
            col(UtilisationEvaluation.period_start) < period.start,
        )
        .order_by(col(UtilisationEvaluation.period_start).desc())
        .limit(1)
    )
    return session.exec(query).first()


def _judge(uow: UnitOfWork, period: Period, bands: Bands) -> None:
    session = uow.session
    techs, teams = measures(session, period.start, period.end)
    by_tech = facts.entries(session, period.start, period.end)
    names = {t.technician_id: t.name for t in roster(session)}
    subjects: list[tuple[str, str, Measure, list[Entry]]] = [
        (tid, names[tid], m, by_tech.get(tid, [])) for tid, m in sorted(techs.items())
    ]
    members: dict[str, list[Entry]] = defaultdict(list)
    for t in roster(session):
        members[team_of(t)] += by_tech.get(t.technician_id, [])
    subjects += [(team, f"Team {team[5:]}", m, members[team]) for team, m in sorted(teams.items())]
    for subject, who, m, entries in subjects:
        if m.available_hours <= 0 or not entries:
            continue  # away the whole period, or nothing logged at all (no data yet): no band to be in
        band = bands.of(m.utilisation_pct)
        prev = _previous(session, subject, period)
        prev_band = None if prev is None else prev.band
        for change, kind in transitions(prev_band, band):
            uow.emit(
                _alert(
                    subject,
                    period,
                    "actual",
                    kind,
                    change,
                    m,
                    bands,
                    entries,
                    summary(who, period, change, kind, m, None if prev is None else prev.utilisation_pct),
                    prev,
                )
            )
        session.add(
            UtilisationEvaluation(
                subject=subject,
                granularity=period.granularity,
                period_start=period.start,
                period_end=period.end,
                band=band,
                utilisation_pct=m.utilisation_pct,
                available_hours=m.available_hours,
                billable_hours=m.billable_hours,
            )
        )


def _client_hours(entries: list[Entry]) -> list[ClientHours]:
    hours: dict[str, Decimal] = defaultdict(Decimal)
    for e in entries:
        if e.client_work and e.client_id is not None:
            hours[e.client_id] += e.hours
    ranked = sorted(hours.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    return [ClientHours(client_id=c, hours=h) for c, h in ranked]


def booked_work(session: Session, today: date, end: date) -> dict[str, list[Booked]]:
    """Client work booked ahead per technician, from ``today`` to ``end``.

    An open assigned ticket books its remaining estimate on its fix-by day (today when overdue or
    without one). A requested visit books its duration on its day for the technician the day's
    plan routes it to, else the technician its ticket is assigned to; a visit whose ticket is
    already booked by its estimate is not counted again (the estimate covers the onsite time).
    """
    out: dict[str, list[Booked]] = defaultdict(list)
    owner: dict[str, str] = {}
    estimated: set[str] = set()
    for t in facts.open_assigned_tickets(session):
        assert t.assigned_technician_id is not None
        owner[t.ticket_id] = t.assigned_technician_id
        if t.estimated_hours is None:
            continue
        left = t.estimated_hours - (t.actual_hours or Decimal(0))
        estimated.add(t.ticket_id)
        if left <= 0:
            continue
        day = today if t.fix_by is None else max(today, t.fix_by.date())
        out[t.assigned_technician_id].append(Booked(day, left, t.client_id))
    routed: dict[date, dict[str, str]] = {}
    for v in facts.visits_from(session, today, end):
        if v.ticket_id in estimated:
            continue
        if v.plan_date not in routed:
            plan = stored_plan(session, v.plan_date)
            routed[v.plan_date] = (
                {} if plan is None else {s.visit_id: r.technician_id for r in plan.routes for s in r.stops}
            )
        tech = routed[v.plan_date].get(v.visit_id) or owner.get(v.ticket_id or "")
        if tech is not None:
            out[tech].append(Booked(v.plan_date, Decimal(v.duration_minutes) / 60, v.client_id))
    return out


def forecast_on_tick(uow: UnitOfWork, bands: Bands, under_lookahead_days: int) -> None:
    """Warn before a week or month closes when booked work projects a technician or team into a band.

    Judged from the facts stored at the tick (so delivery order does not matter), once per
    technician or team, period and band; only an *entry*: a subject whose last closed period was
    already in that band is not warned again (the actual alert said so).
    """
    session, today = uow.session, uow.now.date()
    for granularity in GRANULARITIES:
        period = period_of(granularity, today)
        logged = facts.entries(session, period.start, period.end)
        booked = booked_work(session, today, period.end)
        subjects: list[tuple[str, str, Measure, list[Entry], list[Booked]]] = []
        teams: dict[str, tuple[Measure, list[Entry], list[Booked]]] = {}
        for t in roster(session):
            e, b = logged.get(t.technician_id, []), booked.get(t.technician_id, [])
            if not e and not b:
                continue  # no data: not judged, as for closed periods
            m = projected(t.daily_capacity_hours, e, b, period)
            subjects.append((t.technician_id, t.name, m, e, b))
            tm, te, tb = teams.get(team_of(t), (ZERO, [], []))
            teams[team_of(t)] = (tm + m, te + e, tb + b)
        subjects.sort(key=lambda s: s[0])
        subjects += [(k, f"Team {k[5:]}", *v) for k, v in sorted(teams.items())]
        for subject, who, m, e, b in subjects:
            _forecast(uow, bands, under_lookahead_days, period, subject, who, m, e, b)


def _forecast(
    uow: UnitOfWork,
    bands: Bands,
    under_lookahead_days: int,
    period: Period,
    subject: str,
    who: str,
    m: Measure,
    entries: list[Entry],
    booked: list[Booked],
) -> None:
    session, today = uow.session, uow.now.date()
    if m.available_hours <= 0:
        return
    kind = forecast_band(m, bands, today, period, under_lookahead_days)
    if kind is None:
        return
    key = (subject, period.granularity, period.start, kind)
    if session.get(ForecastAlert, key) is not None:
        return
    prev = _previous(session, subject, period)
    if prev is not None and prev.band == kind:
        return
    ahead = [b for b in booked if period.start <= b.work_date <= period.end]
    booked_hours = sum((b.hours for b in ahead), Decimal(0))
    entries = entries + [Entry(b.work_date, b.hours, False, True, client_id=b.client_id) for b in ahead]
    text = forecast_summary(who, period, kind, m, booked_hours)
    uow.emit(_alert(subject, period, "forecast", kind, "entered", m, bands, entries, text, prev))
    session.add(
        ForecastAlert(
            subject=subject,
            granularity=period.granularity,
            period_start=period.start,
            band=kind,
            utilisation_pct=m.utilisation_pct,
            alerted_at=uow.now,
        )
    )


def _alert(
    subject: str,
    period: Period,
    basis: Literal["actual", "forecast"],
    kind: AlertBand,
    change: Change,
    m: Measure,
    bands: Bands,
    entries: list[Entry],
    text: str,
    prev: UtilisationEvaluation | None,
) -> ResourceUtilizationAlert:
    return ResourceUtilizationAlert(
        technician_id=subject,
        period_start=period.start,
        period_end=period.end,
        basis=basis,
        kind=kind,
        utilisation_pct=m.utilisation_pct,
        target_pct=(bands.target_low + bands.target_high) / 2,
        threshold_pct=bands.threshold(kind),
        billable_hours=m.billable_hours,
        available_hours=m.available_hours,
        client_hours=_client_hours(entries),
        summary=text,
        change=change,
        scope="team" if subject.startswith("team:") else "technician",
        granularity=period.granularity,
        previous_utilisation_pct=None if prev is None else prev.utilisation_pct,
        logged_hours=m.logged_hours,
    )
