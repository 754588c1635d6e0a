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

from ram.dispatch import own_open_work
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
    spread,
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

    An open ticket assigned in the PSA, or by RAM (``resource.assignment.made``) when nobody holds
    it there, books its remaining estimate spread evenly over the working days from today to its
    fix-by day (today when overdue or without one). A requested visit books its duration on its
    day for the technician the day's plan routes it to, else the one its ticket is assigned to,
    else the one RAM assigned it to; a visit whose ticket is already booked by its estimate is not
    counted again (the estimate covers the onsite time).
    """
    out: dict[str, list[Booked]] = defaultdict(list)
    owner: dict[str, str] = {}
    estimated: set[str] = set()
    own_tickets, own_visits = own_open_work(session)
    held = [(t.assigned_technician_id, t) for t in facts.open_assigned_tickets(session)]
    for tech, t in sorted([*held, *((tech, t) for tech, _, t in own_tickets)], key=lambda x: x[1].ticket_id):
        assert tech is not None
        owner[t.ticket_id] = tech
        if t.estimated_hours is None:
            continue
        left = t.estimated_hours - (t.actual_hours or Decimal(0))
        estimated.add(t.ticket_id)
        if left <= 0:
            continue
        for day, hours in spread(left, today, None if t.fix_by is None else t.fix_by.date()):
            if day <= end:
                out[tech].append(Booked(day, hours, t.client_id))
    assigned_visits = {v.visit_id: tech for tech, _, v in own_visits}
    routed: dict[date, dict[str, str]] = {}
    for v in facts.visits_from(session, today, end):
        if v.ticket_id in estimated:
            continue
        if v.plan_date not in routed:
            plan = stored_plan(session, v.plan_date)
            routed[v.plan_date] = (
                {} if plan is None else {s.visit_id: r.technician_id for r in plan.routes for s in r.stops}
            )
        tech = (
            routed[v.plan_date].get(v.visit_id)
            or owner.get(v.ticket_id or "")
            or assigned_visits.get(v.visit_id)
        )
        if tech is not None:
            out[tech].append(Booked(v.plan_date, Decimal(v.duration_minutes) / 60, v.client_id))
    return out


Subject = tuple[str, str, Measure, list[Entry], list[Booked]]
"""(technician or ``team:<role>``, name, projected measure, entries logged, work booked ahead)."""


def forecast_on_tick(uow: UnitOfWork, bands: Bands, under_lookahead_days: int) -> None:
    """Warn before a week or month closes when booked work projects a technician or team into a
    band, and withdraw the warning when the booking changes and the projection leaves the band.

    Judged from the facts stored at the tick (so delivery order does not matter), once per
    technician or team, period and band; only an *entry*: a subject whose last closed period was
    already in that band is not warned again (the actual alert said so). A withdrawn forecast is
    published again if the projection enters the band again.
    """
    session, today = uow.session, uow.now.date()
    # booked once up to the later period end; each period's projection takes its own days
    booked = booked_work(session, today, max(period_of(g, today).end for g in GRANULARITIES))
    for granularity in GRANULARITIES:
        period = period_of(granularity, today)
        logged = facts.entries(session, period.start, period.end)
        subjects: list[Subject] = []
        teams: dict[str, tuple[Measure, list[Entry], list[Booked]]] = {}
        idle: dict[str, tuple[str, Measure]] = {}  # what a subject without data projects to
        for t in roster(session):
            e, b = logged.get(t.technician_id, []), booked.get(t.technician_id, [])
            if not e and not b:  # no data: not judged, as for closed periods
                nothing = projected(t.daily_capacity_hours, [], [], period)
                idle[t.technician_id] = (t.name, nothing)
                team = idle.get(team_of(t), (f"Team {t.work_role}", ZERO))
                idle[team_of(t)] = (team[0], team[1] + nothing)
                continue
            m = projected(t.daily_capacity_hours, e, b, period)
            subjects.append((t.technician_id, t.name, m, e, b))
            tm, te, tb = teams.get(team_of(t), (ZERO, [], []))
            teams[team_of(t)] = (tm + m, te + e, tb + b)
        subjects.sort(key=lambda s: s[0])
        subjects += [(k, f"Team {k[5:]}", *v) for k, v in sorted(teams.items())]
        _withdraw(uow, bands, period, subjects, idle)
        for subject, who, m, e, b in subjects:
            _forecast(uow, bands, under_lookahead_days, period, subject, who, m, e, b)


def _withdraw(
    uow: UnitOfWork,
    bands: Bands,
    period: Period,
    subjects: list[Subject],
    idle: dict[str, tuple[str, Measure]],
) -> None:
    """Withdraw the period's standing forecasts whose projection no longer reaches their band."""
    session = uow.session
    standing = session.exec(
        select(ForecastAlert)
        .where(
            col(ForecastAlert.granularity) == period.granularity,
            col(ForecastAlert.period_start) == period.start,
            col(ForecastAlert.withdrawn_at).is_(None),
        )
        .order_by(col(ForecastAlert.subject), col(ForecastAlert.band))
    ).all()
    if not standing:
        return
    judged = {s[0]: s for s in subjects}
    for alert in standing:
        kind: AlertBand = "over" if alert.band == "over" else "under"
        if alert.subject in judged:
            _, who, m, entries, booked = judged[alert.subject]
        elif alert.subject in idle:
            (who, m), entries, booked = idle[alert.subject], [], []
        else:  # left the roster: nothing of theirs is booked any more
            who, m, entries, booked = alert.subject, ZERO, [], []
        if m.available_hours > 0 and bands.of(m.utilisation_pct) == kind:
            continue
        ahead = _ahead(period, booked)
        text = forecast_summary(
            who, period, kind, m, sum((b.hours for b in ahead), Decimal(0)), withdrawn=True
        )
        prev = _previous(session, alert.subject, period)
        entries = entries + [Entry(b.work_date, b.hours, False, True, client_id=b.client_id) for b in ahead]
        uow.emit(
            _alert(
                alert.subject, period, "forecast", kind, "left", m, bands, entries, text, prev, "withdrawn"
            )
        )
        alert.withdrawn_at = uow.now
        session.add(alert)


def _ahead(period: Period, booked: list[Booked]) -> list[Booked]:
    return [b for b in booked if period.start <= b.work_date <= period.end]


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
    stored = session.get(ForecastAlert, key)
    if stored is not None and stored.withdrawn_at is None:
        return
    prev = _previous(session, subject, period)
    if prev is not None and prev.band == kind:
        return
    ahead = _ahead(period, booked)
    booked_hours = sum((b.hours for b in ahead), Decimal(0))
    entries = entries + [Entry(b.work_date, b.hours, False, True, client_id=b.client_id) for b in ahead]
    text = forecast_summary(who, period, kind, m, booked_hours)
    uow.emit(_alert(subject, period, "forecast", kind, "entered", m, bands, entries, text, prev))
    row = stored or ForecastAlert(
        subject=subject,
        granularity=period.granularity,
        period_start=period.start,
        band=kind,
        utilisation_pct=m.utilisation_pct,
        alerted_at=uow.now,
    )
    row.utilisation_pct, row.alerted_at, row.withdrawn_at = m.utilisation_pct, uow.now, None
    session.add(row)


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
    status: Literal["open", "withdrawn"] = "open",
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
        status=status,
    )
