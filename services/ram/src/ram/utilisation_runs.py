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

from sqlmodel import Session, col, select

from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import ClientHours, ResourceUtilizationAlert

from ram.domain.technicians import TechnicianVersion
from ram.domain.utilisation import (
    ZERO,
    Bands,
    Entry,
    Granularity,
    Measure,
    Period,
    closed_periods,
    measure,
    summary,
    transitions,
)
from ram.store import facts
from ram.store.repository import TechnicianRepository
from ram.store.tables import UtilisationEvaluation, UtilisationState

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
                ResourceUtilizationAlert(
                    technician_id=subject,
                    period_start=period.start,
                    period_end=period.end,
                    basis="actual",
                    kind=kind,
                    utilisation_pct=m.utilisation_pct,
                    target_pct=(bands.target_low + bands.target_high) / 2,
                    threshold_pct=bands.threshold(kind),
                    billable_hours=m.billable_hours,
                    available_hours=m.available_hours,
                    client_hours=_client_hours(entries),
                    summary=summary(
                        who, period, change, kind, m, None if prev is None else prev.utilisation_pct
                    ),
                    change=change,
                    scope="team" if subject.startswith("team:") else "technician",
                    granularity=period.granularity,
                    previous_utilisation_pct=None if prev is None else prev.utilisation_pct,
                    logged_hours=m.logged_hours,
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
