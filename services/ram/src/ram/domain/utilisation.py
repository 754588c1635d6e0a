"""Utilisation per technician and team, per week and month, and the bands it falls in.

Definitions (the PSA's, as a service manager reads them):

* available hours = daily capacity x working days (Mon-Fri) in the period - absence hours
  (PTO, holidays, sick time: the PSA logs them as absence entries);
* logged hours = every non-absence hour logged;
* billable hours = hours of client work (billable or no-charge under an agreement; work marked
  non-billable, the MSP's own admin, is not client work);
* billable utilisation = billable hours / available hours; realisation = hours billed / billable.

Bands (configurable): under-used below 60 %, target 75-85 %, burnout risk above 85 %; between 60
and 75 is below target but not yet an alert. An alert is raised when a technician or a team
*enters or leaves* the under or over band from one closed period to the next of the same length,
with the previous period's utilisation as the trend.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Literal

Band = Literal["under", "below_target", "target", "over"]
Granularity = Literal["week", "month"]
Change = Literal["entered", "left"]
PCT = Decimal("0.1")
AlertBand = Literal["under", "over"]


@dataclass(frozen=True)
class Bands:
    under_below: Decimal = Decimal(60)
    target_low: Decimal = Decimal(75)
    target_high: Decimal = Decimal(85)
    """Above this: burnout risk (the 'over' band)."""

    def of(self, pct: Decimal) -> Band:
        if pct > self.target_high:
            return "over"
        if pct >= self.target_low:
            return "target"
        if pct >= self.under_below:
            return "below_target"
        return "under"

    def threshold(self, band: AlertBand) -> Decimal:
        return self.target_high if band == "over" else self.under_below


@dataclass(frozen=True)
class Period:
    granularity: Granularity
    start: date
    end: date
    """Inclusive."""

    def previous(self) -> Period:
        return period_of(self.granularity, self.start - timedelta(days=1))

    @property
    def label(self) -> str:
        if self.granularity == "month":
            return self.start.strftime("%Y-%m")
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"


def period_of(granularity: Granularity, day: date) -> Period:
    if granularity == "week":
        start = day - timedelta(days=day.weekday())
        return Period("week", start, start + timedelta(days=6))
    start = day.replace(day=1)
    nxt = (start + timedelta(days=32)).replace(day=1)
    return Period("month", start, nxt - timedelta(days=1))


def closed_periods(granularity: Granularity, after: date | None, today: date) -> Iterator[Period]:
    """Periods that ended before ``today`` and after ``after`` (the last one already evaluated)."""
    last = period_of(granularity, today).previous()
    if after is None:
        return iter([last])
    out: list[Period] = []
    p = last
    while p.end > after:
        out.append(p)
        p = p.previous()
    return iter(reversed(out))


def working_days(start: date, end: date) -> int:
    days = (end - start).days + 1
    if days <= 0:
        return 0
    full, rest = divmod(days, 7)
    count = full * 5
    for k in range(rest):
        if (start + timedelta(days=full * 7 + k)).weekday() < 5:
            count += 1
    return count


@dataclass(frozen=True)
class Entry:
    """One logged time entry, as utilisation needs it."""

    work_date: date
    hours: Decimal
    absence: bool
    client_work: bool
    hours_billed: Decimal = Decimal(0)
    client_id: str | None = None


@dataclass(frozen=True)
class Measure:
    available_hours: Decimal
    logged_hours: Decimal
    billable_hours: Decimal
    billed_hours: Decimal

    @property
    def utilisation_pct(self) -> Decimal:
        if self.available_hours <= 0:
            return Decimal(0)
        return (self.billable_hours * 100 / self.available_hours).quantize(PCT, rounding=ROUND_HALF_UP)

    @property
    def realisation_pct(self) -> Decimal | None:
        if self.billable_hours <= 0:
            return None
        return (self.billed_hours * 100 / self.billable_hours).quantize(PCT, rounding=ROUND_HALF_UP)

    def __add__(self, other: Measure) -> Measure:
        return Measure(
            self.available_hours + other.available_hours,
            self.logged_hours + other.logged_hours,
            self.billable_hours + other.billable_hours,
            self.billed_hours + other.billed_hours,
        )


ZERO = Measure(Decimal(0), Decimal(0), Decimal(0), Decimal(0))


def measure(daily_capacity: Decimal, entries: Iterable[Entry], start: date, end: date) -> Measure:
    """One technician's hours over [start, end] (entries outside the range are ignored)."""
    absence = logged = billable = billed = Decimal(0)
    for e in entries:
        if not start <= e.work_date <= end:
            continue
        if e.absence:
            absence += e.hours
            continue
        logged += e.hours
        if e.client_work:
            billable += e.hours
            billed += e.hours_billed
    available = max(Decimal(0), daily_capacity * working_days(start, end) - absence)
    return Measure(available, logged, billable, billed)


def _alert_band(band: str | None) -> AlertBand | None:
    if band == "under":
        return "under"
    if band == "over":
        return "over"
    return None


def transitions(previous: str | None, current: Band) -> list[tuple[Change, AlertBand]]:
    """The alerts a move from ``previous`` to ``current`` raises: leaving first, then entering."""
    out: list[tuple[Change, AlertBand]] = []
    left, entered = _alert_band(previous), _alert_band(current)
    if left is not None and previous != current:
        out.append(("left", left))
    if entered is not None and previous != current:
        out.append(("entered", entered))
    return out


def summary(
    who: str, period: Period, change: Change, band: AlertBand, m: Measure, previous_pct: Decimal | None
) -> str:
    name = {"under": "the under-used band", "over": "the burnout-risk band"}.get(band, band)
    trend = "" if previous_pct is None else f" (from {previous_pct} % the {period.granularity} before)"
    return (
        f"{who} {change} {name} in {period.label}: {m.utilisation_pct} % billable utilisation{trend}, "
        f"{m.billable_hours} billable of {m.available_hours} available hours."
    )


@dataclass(frozen=True)
class Booked:
    """Client work booked ahead for one technician: an open ticket's remaining estimate or a visit."""

    work_date: date
    """The day it is expected: one working day of a ticket's spread up to its fix-by day (``spread``),
    a visit's day."""
    hours: Decimal
    client_id: str | None = None


def spread(hours: Decimal, today: date, due: date | None) -> list[tuple[date, Decimal]]:
    """Remaining work spread evenly over the working days from ``today`` to its ``due`` day.

    Overdue work or work without a due day is expected today; work due on a day with no working
    day before it (a weekend) on the due day. Shares are cents of an hour, the last one takes the
    remainder, so the shares add up to ``hours`` exactly.
    """
    if due is None or due <= today:
        return [(today, hours)]
    days = [d for k in range((due - today).days + 1) if (d := today + timedelta(days=k)).weekday() < 5]
    if not days:
        return [(due, hours)]
    share = (hours / len(days)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    out = [(d, share) for d in days[:-1]]
    out.append((days[-1], hours - share * (len(days) - 1)))
    return out


def projected(
    daily_capacity: Decimal, entries: Iterable[Entry], booked: Iterable[Booked], period: Period
) -> Measure:
    """The period as it will close if the booked work is done: logged so far plus booked in the period.

    Booked work is client work (billable or covered); it adds to logged and billable hours, not to
    billed hours (nothing is invoiced yet).
    """
    ahead = [
        Entry(b.work_date, b.hours, absence=False, client_work=True, client_id=b.client_id)
        for b in booked
        if period.start <= b.work_date <= period.end
    ]
    return measure(daily_capacity, [*entries, *ahead], period.start, period.end)


def forecast_band(
    m: Measure, bands: Bands, today: date, period: Period, under_lookahead_days: int
) -> AlertBand | None:
    """The alert band the projection falls in, if any.

    Over is foreseen as soon as booked work pushes the period past the burnout line. Under is only
    foreseen in the period's last ``under_lookahead_days`` working days: earlier, work not booked
    yet would make every technician look idle.
    """
    band = _alert_band(bands.of(m.utilisation_pct))
    if band == "under" and working_days(today, period.end) > under_lookahead_days:
        return None
    return band


def forecast_summary(
    who: str, period: Period, band: AlertBand, m: Measure, booked_hours: Decimal, *, withdrawn: bool = False
) -> str:
    """The forecast's sentence; ``withdrawn``: the booking changed and the projection left the band."""
    name = {"under": "the under-used band", "over": "the burnout-risk band"}[band]
    what = "is no longer projected" if withdrawn else "is projected"
    why = "the booked work changed, " if withdrawn else ""
    return (
        f"{who} {what} to enter {name} in {period.label}: {why}{m.utilisation_pct} % billable "
        f"utilisation with {booked_hours} h of booked work still ahead, {m.billable_hours} billable "
        f"of {m.available_hours} available hours."
    )
