"""The ROI ledger in the service: store the facts behind recommendations as they arrive, build the
ledger from them on the service clock when asked.

Facts: every report of an SLI licence finding (``license.compliance.violation``), DSA's latest
rule-3 analysis per contract renewal, and the anomalies the MSP confirmed (the ``anomalies``
table). Stored as a set (licence reports all kept, a renewal's latest analysis by event time then
digest), so the ledger depends on the facts and the clock, not on arrival order.

RAM's allocation advice (``resource.allocation.recommended``) is stored as a set too, with every
ticket assignment state (``psa.ticket.updated``): a move counts as acted on only when the ticket
is seen assigned to the recommended technician after the advice. What it saved is measured from
the time logged on tickets (``psa.time_entry.logged``, written set-wise per batch: the busiest
fact) and the technicians' cost rates (``psa.technician.upserted``).

Extension point: ``SOURCES`` lists the functions that turn stored facts into
:class:`~dsa.domain.roi.Recommendation` values with the spend that measures them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Table, func, inspect
from sqlmodel import Session, col, select

from msp_events.runtime.store import insert_for
from msp_events.runtime.uow import UnitOfWork
from msp_events.types.agents import (
    ContractRenewalDue,
    LicenseComplianceViolation,
    ResourceAllocationRecommended,
    SpendVendorAnalyzed,
)
from msp_events.types.psa import TechnicianUpserted, TicketUpdated, TimeEntryLogged

from dsa.anomaly_runs import series_of
from dsa.domain import roi
from dsa.store.tables import (
    AllocationAdviceRow,
    AnomalyRow,
    LicenceReportRow,
    RenewalAdviceRow,
    SpendLineRow,
    TechnicianRatesRow,
    TicketAssignmentRow,
    TimeEntryRow,
)


def _keep_once(uow: UnitOfWork, row: LicenceReportRow | AllocationAdviceRow | TechnicianRatesRow) -> bool:
    """Add a fact row unless the same fact (primary key: id, event time, digest) is stored: a
    redelivered or repeated event changes nothing."""
    # One INSERT ... ON CONFLICT DO NOTHING, not a lookup then an ORM insert: every ticket state
    # comes through here (the busiest fact an MSP has), so the round trip and the ORM object count.
    mapper = inspect(type(row))
    values = {attr.columns[0].name: getattr(row, attr.key) for attr in mapper.column_attrs}
    insert = insert_for(uow.session.get_bind().dialect.name, mapper.local_table)
    result = uow.session.execute(insert.values(values).on_conflict_do_nothing())
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def record_licence_report(uow: UnitOfWork, v: LicenseComplianceViolation, at: datetime) -> bool:
    """Keep one report of an SLI finding (a repeated one changes nothing)."""
    nature = v.exposure_nature or roi.NATURE_OF_KIND.get(v.kind)
    return _keep_once(
        uow,
        LicenceReportRow(
            violation_id=v.violation_id,
            reported_at=at,
            digest=v.digest(),
            client_id=v.client_id,
            status=v.status,
            nature=nature,
            monthly_exposure=v.monthly_exposure.amount,
            currency=v.monthly_exposure.currency,
            exposure_known=v.exposure_known,
            summary=v.summary,
        ),
    )


def record_allocation_advice(uow: UnitOfWork, r: ResourceAllocationRecommended, at: datetime) -> bool:
    """Keep one RAM allocation advice (a repeated one changes nothing)."""
    moves = [
        {
            "work_id": m.work_id,
            "kind": m.kind,
            "to_technician_id": m.to_technician_id,
            "from_technician_id": m.from_technician_id,
            "monthly_saving": str(m.monthly_saving.amount),
        }
        for m in r.moves
    ]
    return _keep_once(
        uow,
        AllocationAdviceRow(
            client_id=r.client_id,
            advised_at=at,
            digest=r.digest(),
            period=r.period,
            monthly_saving=r.monthly_saving.amount,
            currency=r.monthly_saving.currency,
            summary=r.summary,
            moves=json.dumps(moves),
        ),
    )


TICKET_ASSIGNMENTS = "dsa.roi_ticket_assignments"
TIME_ENTRIES = "dsa.roi_time_entries"


@dataclass
class _HeldInserts:
    """A batch's fact rows for one table, written with one INSERT ... ON CONFLICT DO NOTHING at
    its end: every version is kept and only ``GET /roi`` reads them (after the commit), so holding
    them changes nothing but the round trips (ticket states and time entries are the busiest facts)."""

    table: Table
    rows: dict[tuple[object, ...], dict[str, object]] = field(default_factory=dict)

    def flush(self, session: Session) -> None:
        if self.rows:
            insert = insert_for(session.get_bind().dialect.name, self.table)
            session.execute(insert.values(list(self.rows.values())).on_conflict_do_nothing())


def _hold_insert(
    uow: UnitOfWork, name: str, table: Table, key: tuple[object, ...], values: dict[str, object]
) -> None:
    held = uow.batch.deferred(name, lambda: _HeldInserts(table))
    if held is None:
        held = _HeldInserts(table)
        held.rows[key] = values
        held.flush(uow.session)
        return
    held.rows[key] = values


def record_ticket_assignment(uow: UnitOfWork, t: TicketUpdated) -> None:
    """Keep a ticket state's assigned technician (a repeated state changes nothing)."""
    digest = t.digest()
    values: dict[str, object] = {
        "ticket_id": t.ticket_id,
        "updated_at": t.updated_at,
        "digest": digest,
        "technician_id": t.assigned_technician_id,
    }
    table: Table = TicketAssignmentRow.__table__  # type: ignore[attr-defined]
    _hold_insert(uow, TICKET_ASSIGNMENTS, table, (t.ticket_id, t.updated_at, digest), values)


def record_time_entry(uow: UnitOfWork, e: TimeEntryLogged, at: datetime) -> None:
    """Keep a version of a time entry on a ticket (work only: absence and ticketless time cannot
    be a moved ticket's hours). Deferred to the batch's one insert when the batch defers."""
    if e.ticket_id is None or e.absence:
        return
    digest = e.digest()
    values: dict[str, object] = {
        "time_entry_id": e.time_entry_id,
        "logged_at": at,
        "digest": digest,
        "ticket_id": e.ticket_id,
        "technician_id": e.technician_id,
        "work_date": e.work_date,
        "hours": e.hours,
        "multiplier": e.work_type_cost_multiplier if e.work_type_cost_multiplier is not None else Decimal(1),
    }
    table: Table = TimeEntryRow.__table__  # type: ignore[attr-defined]
    _hold_insert(uow, TIME_ENTRIES, table, (e.time_entry_id, at, digest), values)


def record_technician_rates(uow: UnitOfWork, t: TechnicianUpserted, at: datetime) -> bool:
    """Keep a version of a technician's cost rates (a repeated one changes nothing)."""
    rates = [
        {
            "effective_from": r.effective_from.isoformat(),
            "effective_to": r.effective_to.isoformat() if r.effective_to else None,
            "hourly_cost": str(r.hourly_cost.amount),
            "currency": r.hourly_cost.currency,
        }
        for r in t.cost_rates
    ]
    return _keep_once(
        uow,
        TechnicianRatesRow(
            technician_id=t.technician_id, upserted_at=at, digest=t.digest(), cost_rates=json.dumps(rates)
        ),
    )


def record_renewal_advice(uow: UnitOfWork, due: ContractRenewalDue, analysis: SpendVendorAnalyzed) -> None:
    """Keep DSA's latest analysis of a renewal (event time, then digest: any arrival order agrees).
    A renewal of unknown value has no baseline to measure the advice against: nothing is kept."""
    if analysis.annual_value is None:
        return
    value = analysis.annual_value
    digest = analysis.digest()
    key = (due.contract_id, due.renewal_date)
    row = uow.session.get(RenewalAdviceRow, key)
    at = uow.cause.time
    if row is not None and (at, digest) <= (row.analysed_at, row.digest):
        return
    row = row or RenewalAdviceRow(
        contract_id=due.contract_id,
        renewal_date=due.renewal_date,
        analysed_at=at,
        digest=digest,
        vendor="",
        recommendation="",
        term_months=1,
        forecast_next_term=Decimal(0),
        spend_12m=Decimal(0),
        annual_value=Decimal(0),
        currency="",
    )
    row.analysed_at, row.digest = at, digest
    row.vendor, row.department, row.recommendation = due.vendor, due.department, analysis.recommendation
    row.term_months = due.renewal_term_months or 12
    row.forecast_next_term = analysis.forecast_next_term.amount
    row.spend_12m, row.annual_value = analysis.spend_12m.amount, value.amount
    row.currency = value.currency
    uow.session.add(row)


@dataclass(frozen=True)
class SeriesScope:
    """The spend of one detection series (a confirmed anomaly's)."""

    series_key: str

    @property
    def source(self) -> str:
        return self.series_key.split("|", 1)[0]

    def __call__(self, line: SpendLineRow) -> bool:
        return any(k.key == self.series_key for k in series_of(line))


@dataclass(frozen=True)
class VendorScope:
    """The spend with one vendor (case-insensitive), in one department or every one."""

    vendor: str
    department: str | None

    def __call__(self, line: SpendLineRow) -> bool:
        return line.vendor.casefold() == self.vendor and self.department in (None, line.department)


@dataclass(frozen=True)
class Sourced:
    rec: roi.Recommendation
    scope: SeriesScope | VendorScope | None
    """which booked spend measures it (measured recommendations only)"""


def licence_recommendations(session: Session) -> Iterator[Sourced]:
    reports: dict[str, list[roi.LicenceReport]] = defaultdict(list)
    for r in session.exec(select(LicenceReportRow)):
        reports[r.violation_id].append(
            roi.LicenceReport(
                violation_id=r.violation_id,
                reported_at_day=r.reported_at.date(),
                order=(r.reported_at.isoformat(), r.digest),
                status="resolved" if r.status == "resolved" else "open",
                nature=r.nature,
                monthly_exposure=r.monthly_exposure,
                currency=r.currency,
                exposure_known=r.exposure_known,
                client_id=r.client_id,
                summary=r.summary,
            )
        )
    for violation_id in sorted(reports):
        rec = roi.licence_recommendation(reports[violation_id])
        if rec is not None:
            yield Sourced(rec, None)


def anomaly_recommendations(session: Session) -> Iterator[Sourced]:
    query = select(AnomalyRow).where(AnomalyRow.feedback == "confirmed").order_by(AnomalyRow.anomaly_id)
    for a in session.exec(query):
        rec = roi.anomaly_recommendation(
            roi.ConfirmedAnomaly(
                anomaly_id=a.anomaly_id,
                series_key=a.series_key,
                subject=f"{a.dimension} {a.value!r} of {a.department}: {a.shape} from {a.period_start}",
                department=a.department,
                shape=a.shape,
                period_start=a.period_start,
                period_end=a.period_end,
                expected=a.expected,
                actual=a.actual,
                currency=a.currency,
                feedback=a.feedback,
                feedback_day=a.feedback_day,
            )
        )
        if rec is not None:
            yield Sourced(rec, SeriesScope(a.series_key))


def renewal_recommendations(session: Session) -> Iterator[Sourced]:
    query = select(RenewalAdviceRow).order_by(
        col(RenewalAdviceRow.contract_id), col(RenewalAdviceRow.renewal_date)
    )
    for r in session.exec(query):
        rec = roi.renewal_recommendation(
            roi.RenewalAdvice(
                contract_id=r.contract_id,
                vendor=r.vendor,
                department=r.department,
                recommendation=r.recommendation,
                renewal_date=r.renewal_date,
                term_months=r.term_months,
                forecast_next_term=r.forecast_next_term,
                spend_12m=r.spend_12m,
                annual_value=r.annual_value,
                currency=r.currency,
            )
        )
        if rec is not None:
            yield Sourced(rec, VendorScope(r.vendor.casefold(), r.department))


def allocation_recommendations(session: Session) -> Iterator[Sourced]:
    advice = [
        roi.AllocationAdvice(
            client_id=r.client_id,
            period=r.period,
            made_on=r.advised_at.date(),
            order=(r.advised_at.isoformat(), r.digest),
            monthly_saving=r.monthly_saving,
            currency=r.currency,
            summary=r.summary,
            moves=tuple(
                roi.AdvisedMove(
                    m["work_id"],
                    m["kind"],
                    m["to_technician_id"],
                    Decimal(m["monthly_saving"]),
                    m.get("from_technician_id"),
                )
                for m in json.loads(r.moves)
            ),
        )
        for r in session.exec(select(AllocationAdviceRow))
    ]
    if not advice:
        return
    tickets = {m.work_id for a in advice for m in a.moves if m.kind == "ticket"}
    history: dict[str, list[roi.Assignment]] = defaultdict(list)
    if tickets:
        query = select(TicketAssignmentRow).where(col(TicketAssignmentRow.ticket_id).in_(sorted(tickets)))
        for t in session.exec(query):
            history[t.ticket_id].append(
                roi.Assignment(t.updated_at.date(), (t.updated_at.isoformat(), t.digest), t.technician_id)
            )
    labour = _labour(session, tickets)
    rates = _rates(session)
    for rec in roi.allocation_recommendations(advice, history, labour, rates):
        yield Sourced(rec, None)


def _labour(session: Session, tickets: set[str]) -> dict[str, list[roi.LabourEntry]]:
    """The latest version of every time entry on these tickets, per ticket."""
    latest: dict[str, TimeEntryRow] = {}
    if tickets:
        query = select(TimeEntryRow).where(col(TimeEntryRow.ticket_id).in_(sorted(tickets)))
        for row in session.exec(query):
            kept = latest.get(row.time_entry_id)
            if kept is None or (row.logged_at, row.digest) > (kept.logged_at, kept.digest):
                latest[row.time_entry_id] = row
    out: dict[str, list[roi.LabourEntry]] = defaultdict(list)
    for row in latest.values():
        out[row.ticket_id].append(
            roi.LabourEntry(row.technician_id, row.work_date, row.hours, row.multiplier)
        )
    return out


def _rates(session: Session) -> dict[str, list[roi.CostRate]]:
    """Each technician's cost rates from its latest state."""
    latest: dict[str, TechnicianRatesRow] = {}
    for row in session.exec(select(TechnicianRatesRow)):
        kept = latest.get(row.technician_id)
        if kept is None or (row.upserted_at, row.digest) > (kept.upserted_at, kept.digest):
            latest[row.technician_id] = row
    return {
        tech: [
            roi.CostRate(
                date.fromisoformat(r["effective_from"]),
                date.fromisoformat(r["effective_to"]) if r["effective_to"] else None,
                Decimal(r["hourly_cost"]),
                r["currency"],
            )
            for r in json.loads(row.cost_rates)
        ]
        for tech, row in latest.items()
    }


SOURCES: tuple[Callable[[Session], Iterator[Sourced]], ...] = (
    licence_recommendations,
    anomaly_recommendations,
    renewal_recommendations,
    allocation_recommendations,
)
"""Where recommendations come from; a new agent's recommendations add a function here."""


@dataclass(frozen=True)
class Ledger:
    recommendations: list[tuple[roi.Recommendation, list[roi.MonthEntry]]]
    totals: list[roi.MonthTotal]
    through: date
    measured_through: date
    """the last day spend-measured savings count to: the day before the clock's (a complete day)"""


def build_ledger(session: Session, through: date) -> Ledger:
    """Every recommendation's expected and realised saving per month up to ``through`` (the service
    clock's day).

    Measured ones count to the last complete day (the day before the clock's), and a cloud
    series only to the last day with booked cloud cost: cloud costs arrive a day or two late, and
    a day not yet booked would read as a full saving. Expenses are sparse (a day without one is
    normal), so they count to the last complete day.
    """
    sourced = [s for source in SOURCES for s in source(session)]
    measured_through = through - timedelta(days=1)
    last_cloud = session.exec(select(func.max(SpendLineRow.day)).where(SpendLineRow.source == "cloud")).one()
    measured = [s for s in sourced if s.scope is not None]
    spend: dict[str, dict[date, Decimal]] = {s.rec.rec_id: defaultdict(Decimal) for s in measured}
    if measured:
        start = min(s.rec.counts_from for s in measured)
        lines = session.exec(select(SpendLineRow).where(SpendLineRow.day >= start))
        for line in lines:
            for s in measured:
                if line.currency == s.rec.currency and s.scope is not None and s.scope(line):
                    spend[s.rec.rec_id][line.day] += line.amount
    out = []
    for s in sourced:
        if s.scope is None:
            out.append((s.rec, roi.entries(s.rec, through)))
            continue
        last = measured_through
        if isinstance(s.scope, SeriesScope) and s.scope.source == "cloud" and last_cloud is not None:
            last = min(last, last_cloud)
        out.append((s.rec, roi.entries(s.rec, last, spend[s.rec.rec_id])))
    return Ledger(
        recommendations=out,
        totals=roi.month_totals(e for _, es in out for e in es),
        through=through,
        measured_through=measured_through,
    )
