"""The ROI ledger: what the agents' recommendations were worth, expected against realised, per month.

A FinOps controller keeps two columns per month: the saving a recommendation promised (*expected*,
"identified savings") and the saving that showed up (*realised*). A recommendation becomes a
:class:`Recommendation` with a promised rate (per day or per month), the days it counts on, the
day the MSP acted on it (``None``: not yet) and how its realisation is known:

* :class:`Reported`: the agent that made it says the gap closed (SLI resolves a licence finding
  once its reconciliation no longer sees it): from the action on, realised = the promised rate.
* :class:`Measured`: the spend tells. ``baseline`` is what would have been spent per day/month
  without the action (the anomalous run rate, the contract's next term as analysed); realised on a
  day = baseline - the spend actually booked that day in the recommendation's scope. It can be
  negative (spend went up anyway): the ledger shows it, it does not hide it.

Amounts for part of a month are prorated by days (a monthly rate counts days / days in that
month, so a whole month counts the rate exactly). Pure and exact (Decimal), no clock: the caller
passes the last day that counts, so the ledger depends on the facts and the service clock only.

* :class:`Costed`: no booked spend shows the saving, the labour does (RAM's moves): from the
  ticket seen assigned to the recommended technician, each hour logged on it is costed at the
  previous technician's rate and at the rate of whoever logged it, both in force on the work date;
  realised = the difference, on the work dates.

Sources of recommendations (built in the service layer from stored facts, each a function that
returns ``Recommendation`` values): SLI licence findings, confirmed DSA spend anomalies, DSA's own
renewal analyses (rule 3), RAM's allocation advice.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

ZERO = Decimal(0)


@dataclass(frozen=True)
class Rate:
    """Money per day or per month (a month's rate is prorated by that month's days)."""

    amount: Decimal
    per: Literal["day", "month"]

    def over(self, month: date, days: int) -> Decimal:
        """The rate over ``days`` days of ``month``."""
        if self.per == "day":
            return self.amount * days
        return self.amount * days / calendar.monthrange(month.year, month.month)[1]


@dataclass(frozen=True)
class Reported:
    """The recommending agent reports the gap closed: from the action on, realised = promised."""


@dataclass(frozen=True)
class Measured:
    """Realised = ``baseline`` - the spend booked in the recommendation's scope, per day."""

    baseline: Rate


@dataclass(frozen=True)
class Costed:
    """Realised = the labour cost saved on the work the recommended move shifted, day by day.

    For RAM's moves: each hour logged on a moved ticket while the move is in place costs the
    hours x work-type multiplier x (the previous technician's rate - the rate of the technician who
    logged it), both in force on the work date. ``savings`` holds those amounts per work date.
    """

    savings: tuple[tuple[date, Decimal], ...]

    def over(self, first: date, last: date) -> Decimal:
        return sum((amount for day, amount in self.savings if first <= day <= last), ZERO)


@dataclass(frozen=True)
class Recommendation:
    rec_id: str
    agent: str
    """who recommended it: sli, dsa, ram, ..."""
    kind: str
    """licence_saving, licence_leakage, spend_anomaly, vendor_cancel, vendor_renegotiate, ..."""
    subject: str
    currency: str
    promised: Rate
    """the saving promised while it counts"""
    counts_from: date
    counts_until: date | None
    """last day it counts (a contract term); None: open-ended"""
    acted_on: date | None
    """the first day of the MSP's action; None: not acted on (only the promise counts)"""
    realisation: Reported | Measured | Costed
    department: str | None = None


@dataclass(frozen=True)
class MonthEntry:
    """One recommendation's expected and realised saving in one month."""

    rec_id: str
    agent: str
    kind: str
    currency: str
    month: date
    expected: Decimal
    realised: Decimal


@dataclass
class MonthTotal:
    month: date
    currency: str
    expected: Decimal = ZERO
    realised: Decimal = ZERO
    by_kind: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    """kind -> (expected, realised)"""


def months_between(start: date, end: date) -> list[date]:
    """First days of the months from ``start``'s to ``end``'s, both included."""
    out, m = [], start.replace(day=1)
    while m <= end:
        out.append(m)
        m = (m + timedelta(days=32)).replace(day=1)
    return out


def _days(first: date, last: date) -> Iterable[date]:
    for k in range((last - first).days + 1):
        yield first + timedelta(days=k)


def entries(
    rec: Recommendation, through: date, spend: Mapping[date, Decimal] | None = None
) -> list[MonthEntry]:
    """``rec``'s expected and realised saving per month up to ``through`` (inclusive).

    ``spend`` is the booked spend per day in the recommendation's scope (measured ones only; a
    day without an entry spent nothing).
    """
    last = through if rec.counts_until is None else min(through, rec.counts_until)
    if last < rec.counts_from:
        return []
    out = []
    for month in months_between(rec.counts_from, last):
        month_last = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        lo, hi = max(rec.counts_from, month), min(last, month_last)
        expected = rec.promised.over(month, (hi - lo).days + 1)
        realised = ZERO
        if rec.acted_on is not None and rec.acted_on <= hi:
            act_lo = max(lo, rec.acted_on)
            n = (hi - act_lo).days + 1
            if isinstance(rec.realisation, Costed):
                realised = rec.realisation.over(act_lo, hi)
            elif isinstance(rec.realisation, Measured):
                booked = sum(((spend or {}).get(d, ZERO) for d in _days(act_lo, hi)), ZERO)
                realised = rec.realisation.baseline.over(month, n) - booked
            else:
                realised = rec.promised.over(month, n)
        out.append(MonthEntry(rec.rec_id, rec.agent, rec.kind, rec.currency, month, expected, realised))
    return out


def month_totals(all_entries: Iterable[MonthEntry]) -> list[MonthTotal]:
    """Totals per month and currency (currencies are never added together), oldest month first."""
    totals: dict[tuple[date, str], MonthTotal] = {}
    kinds: dict[tuple[date, str], dict[str, list[Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: [ZERO, ZERO])
    )
    for e in all_entries:
        key = (e.month, e.currency)
        t = totals.setdefault(key, MonthTotal(e.month, e.currency))
        t.expected += e.expected
        t.realised += e.realised
        pair = kinds[key][e.kind]
        pair[0] += e.expected
        pair[1] += e.realised
    for key, t in totals.items():
        t.by_kind = {k: (v[0], v[1]) for k, v in sorted(kinds[key].items())}
    return [totals[k] for k in sorted(totals)]


# -- the facts behind SLI's recommendations ----------------------------------------------------------


@dataclass(frozen=True)
class LicenceReport:
    """One report of an SLI finding (``license.compliance.violation``) as DSA stored it."""

    violation_id: str
    reported_at_day: date
    order: tuple[str, str]
    """(event time ISO, digest): the order of reports, whatever order they arrived in"""
    status: Literal["open", "resolved"]
    nature: str | None
    """saving, leakage, credit or None (unknown)"""
    monthly_exposure: Decimal
    currency: str
    exposure_known: bool
    client_id: str
    summary: str


COUNTED_NATURES = {"saving": "licence_saving", "leakage": "licence_leakage"}
"""What a closed licence gap is worth to the MSP: a cost saved or revenue recovered. A credit owed
back to the client and a gap with no known price are not savings."""


def licence_recommendation(reports: Iterable[LicenceReport]) -> Recommendation | None:
    """The recommendation behind one SLI finding, from every report of it (any arrival order).

    Promised: the latest open report's monthly exposure, from the first open report's day.
    Acted on: when the latest report is a resolution, the first resolution after the latest open
    report (SLI resolves a finding only when its reconciliation no longer sees the gap).
    """
    ordered = sorted(reports, key=lambda r: r.order)
    opens = [r for r in ordered if r.status == "open"]
    if not opens:
        return None
    latest_open = opens[-1]
    kind = COUNTED_NATURES.get(latest_open.nature or "")
    if kind is None or not latest_open.exposure_known or latest_open.monthly_exposure <= 0:
        return None
    acted_on = None
    if ordered[-1].status == "resolved":
        acted_on = next(r for r in ordered if r.order > latest_open.order).reported_at_day
    return Recommendation(
        rec_id=f"sli:{latest_open.violation_id}",
        agent="sli",
        kind=kind,
        subject=latest_open.summary,
        currency=latest_open.currency,
        promised=Rate(latest_open.monthly_exposure, "month"),
        counts_from=opens[0].reported_at_day,
        counts_until=None,
        acted_on=acted_on,
        realisation=Reported(),
    )


NATURE_OF_KIND = {"unused_seats": "saving", "unbilled_seats": "leakage", "over_billed": "credit"}
"""The nature of a 1.0 report (which carries none), from its kind; over-deployed and expired
seats are a cost to become compliant, never a saving."""


# -- DSA's own recommendations ------------------------------------------------------------------------

SUSTAINED_SHAPES = frozenset({"level_shift", "drift", "seasonal_break"})
"""Only a lasting rise can be saved from month to month; a spike is over before anyone acts."""


@dataclass(frozen=True)
class ConfirmedAnomaly:
    anomaly_id: str
    series_key: str
    subject: str
    department: str
    shape: str
    period_start: date
    period_end: date
    expected: Decimal
    actual: Decimal
    currency: str
    feedback: str | None
    feedback_day: date | None


def anomaly_recommendation(a: ConfirmedAnomaly) -> Recommendation | None:
    """A lasting spend rise the MSP confirmed (feedback ``confirmed``): promised, its excess per day
    over what was expected; realised, the anomalous run rate minus what the series spends from the
    day after both the anomaly's last flagged day and the feedback."""
    if a.feedback != "confirmed" or a.feedback_day is None or a.shape not in SUSTAINED_SHAPES:
        return None
    if a.actual <= a.expected:
        return None
    days = (a.period_end - a.period_start).days + 1
    start = max(a.feedback_day, a.period_end + timedelta(days=1))
    return Recommendation(
        rec_id=f"dsa:anomaly:{a.anomaly_id}",
        agent="dsa",
        kind="spend_anomaly",
        subject=a.subject,
        currency=a.currency,
        promised=Rate((a.actual - a.expected) / days, "day"),
        counts_from=start,
        counts_until=None,
        acted_on=start,
        realisation=Measured(Rate(a.actual / days, "day")),
        department=a.department,
    )


@dataclass(frozen=True)
class RenewalAdvice:
    """DSA's latest rule-3 analysis of one contract renewal (``spend.vendor.analyzed``)."""

    contract_id: str
    vendor: str
    department: str | None
    recommendation: str
    renewal_date: date
    term_months: int
    forecast_next_term: Decimal
    spend_12m: Decimal
    annual_value: Decimal
    currency: str


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def renewal_recommendation(r: RenewalAdvice) -> Recommendation | None:
    """A renewal DSA advised to cancel or renegotiate, measured over the next term.

    Without action the next term costs, per month: for *cancel*, the contract's annual value / 12
    (an auto-renewing contract bills whether or not it is used); for *renegotiate*, the analysed
    next term / term months (the last quarter's run rate with the expected uplift). The target is
    nothing (cancel) or last year's mean month (renegotiate: no rise); promised = the difference
    (nothing to promise when the target is not lower). Realised per month = that baseline - the
    spend booked with the vendor, from the renewal date to the end of the term.
    """
    if r.recommendation == "cancel":
        baseline, target, kind = r.annual_value / 12, ZERO, "vendor_cancel"
    elif r.recommendation == "renegotiate":
        baseline, target, kind = r.forecast_next_term / r.term_months, r.spend_12m / 12, "vendor_renegotiate"
    else:
        return None
    if baseline - target <= 0:
        return None
    return Recommendation(
        rec_id=f"dsa:renewal:{r.contract_id}:{r.renewal_date}",
        agent="dsa",
        kind=kind,
        subject=f"{r.recommendation} {r.vendor} (contract {r.contract_id}) at its {r.renewal_date} renewal",
        currency=r.currency,
        promised=Rate(baseline - target, "month"),
        counts_from=r.renewal_date,
        counts_until=add_months(r.renewal_date, r.term_months) - timedelta(days=1),
        acted_on=r.renewal_date,
        realisation=Measured(Rate(baseline, "month")),
        department=r.department,
    )


# -- RAM's allocation advice ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AdvisedMove:
    work_id: str
    kind: str
    """ticket or visit"""
    to_technician_id: str
    monthly_saving: Decimal
    from_technician_id: str | None = None
    """assigned when RAM advised (None: unassigned, or advice stored before DSA kept it)"""


@dataclass(frozen=True)
class AllocationAdvice:
    """One ``resource.allocation.recommended`` as DSA stored it."""

    client_id: str
    period: str
    made_on: date
    order: tuple[str, str]
    """(event time ISO, digest)"""
    monthly_saving: Decimal
    currency: str
    summary: str
    moves: tuple[AdvisedMove, ...]


@dataclass(frozen=True)
class Assignment:
    """A ticket's assigned technician from one ``psa.ticket.updated`` (the ticket's state then)."""

    day: date
    order: tuple[str, str]
    """(updated_at ISO, digest): newer wins"""
    technician_id: str | None


@dataclass(frozen=True)
class LabourEntry:
    """One time entry on a ticket (its latest version): who worked how long on which day."""

    technician_id: str
    work_date: date
    hours: Decimal
    multiplier: Decimal = Decimal(1)
    """the work type's cost multiplier (1.5 for overtime)"""


@dataclass(frozen=True)
class CostRate:
    """A technician's effective-dated fully loaded hourly cost (``psa.technician.upserted``)."""

    effective_from: date
    effective_to: date | None
    hourly_cost: Decimal
    currency: str


def rate_on(rates: Iterable[CostRate], day: date, currency: str) -> Decimal | None:
    """The rate in force on ``day`` in ``currency`` (the latest one started by then), else None."""
    live = [
        r
        for r in rates
        if r.currency == currency
        and r.effective_from <= day
        and (r.effective_to is None or day <= r.effective_to)
    ]
    return max(live, key=lambda r: r.effective_from).hourly_cost if live else None


def _in_place(
    move: AdvisedMove, after: tuple[str, str], history: Iterable[Assignment]
) -> tuple[tuple[date, date | None], ...]:
    """The days ``move`` is in place: from a ticket state at or after the advice that has the
    recommended technician, to the day before a later state with someone else. A visit has no
    assignment fact in the registry, so it is never seen in place."""
    spans: list[tuple[date, date | None]] = []
    start: date | None = None
    if move.kind == "ticket":
        for a in sorted((a for a in history if a.order >= after), key=lambda a: a.order):
            here = a.technician_id == move.to_technician_id
            if here and start is None:
                start = a.day
            elif not here and start is not None:
                if a.day > start:
                    spans.append((start, a.day - timedelta(days=1)))
                start = None
    if start is not None:
        spans.append((start, None))
    return tuple(spans)


def labour_savings(
    move: AdvisedMove,
    spans: Iterable[tuple[date, date | None]],
    entries_: Iterable[LabourEntry],
    rates: Mapping[str, Iterable[CostRate]],
    currency: str,
) -> dict[date, Decimal]:
    """Per work date, what the hours logged on the moved ticket while the move was in place cost
    less than the previous technician's hours would have. An hour whose rate is unknown on its day
    (either technician's) is left out rather than guessed; a move without a previous technician
    has nothing to compare with and saves nothing measurable."""
    out: dict[date, Decimal] = defaultdict(Decimal)
    if move.from_technician_id is None:
        return out
    spans = list(spans)
    for e in entries_:
        if not any(lo <= e.work_date and (hi is None or e.work_date <= hi) for lo, hi in spans):
            continue
        before = rate_on(rates.get(move.from_technician_id, ()), e.work_date, currency)
        actual = rate_on(rates.get(e.technician_id, ()), e.work_date, currency)
        if before is None or actual is None:
            continue
        out[e.work_date] += e.hours * e.multiplier * (before - actual)
    return out


def allocation_recommendations(
    advice: Iterable[AllocationAdvice],
    assignments: Mapping[str, Iterable[Assignment]],
    labour: Mapping[str, Iterable[LabourEntry]] | None = None,
    rates: Mapping[str, Iterable[CostRate]] | None = None,
) -> list[Recommendation]:
    """RAM's advice per client: promised, its monthly saving from the day it was made until the
    day before RAM re-plans that client (a later advice replaces the plan, so a client's promise
    is never counted twice); acted on from the first day a move is seen in place; realised, the
    labour cost the moved tickets' logged hours saved on the days their moves were in place
    (:class:`Costed`; ``labour``: time entries per ticket, ``rates``: cost rates per technician).
    A move never seen done realises nothing."""
    labour, rates = labour or {}, rates or {}
    by_client: dict[str, list[AllocationAdvice]] = defaultdict(list)
    for a in advice:
        by_client[a.client_id].append(a)
    out = []
    for client in sorted(by_client):
        ordered = sorted(by_client[client], key=lambda a: a.order)
        for k, a in enumerate(ordered):
            if a.monthly_saving <= 0:
                continue
            until = ordered[k + 1].made_on - timedelta(days=1) if k + 1 < len(ordered) else None
            savings: dict[date, Decimal] = defaultdict(Decimal)
            first: date | None = None
            for m in a.moves:
                spans = _in_place(m, a.order, assignments.get(m.work_id, ()))
                if spans:
                    first = min(spans[0][0], first or spans[0][0])
                for day, amount in labour_savings(
                    m, spans, labour.get(m.work_id, ()), rates, a.currency
                ).items():
                    savings[day] += amount
            out.append(
                Recommendation(
                    rec_id=f"ram:allocation:{a.client_id}:{a.period}:{a.order[0]}",
                    agent="ram",
                    kind="allocation",
                    subject=a.summary,
                    currency=a.currency,
                    promised=Rate(a.monthly_saving, "month"),
                    counts_from=a.made_on,
                    counts_until=until,
                    acted_on=first,
                    realisation=Costed(tuple(sorted(savings.items()))),
                )
            )
    return out
