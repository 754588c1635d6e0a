"""The simulated calendar: months, business days, US holidays and the shape of support demand.

Ticket volume follows the qualitative benchmarks (msp-benchmarks.md section 4): low on weekends
and holidays, a Monday-morning peak, a bump after a holiday (password resets) and on Patch
Tuesday and the day after, and a busier January. All times are produced in the MSP's local time
zone (America/Chicago) and converted to UTC for the events.
"""

from __future__ import annotations

import calendar as _cal
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("America/Chicago")
BUSINESS_START_HOUR = 8
BUSINESS_END_HOUR = 17


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's last day (contract terms work this way)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, _cal.monthrange(year, month)[1]))


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    """The last day of the month containing ``day``."""
    return day.replace(day=_cal.monthrange(day.year, day.month)[1])


def days_of_month(first: date) -> list[date]:
    return [first + timedelta(days=i) for i in range(_cal.monthrange(first.year, first.month)[1])]


def period(day: date) -> str:
    """``YYYY-MM`` of a day."""
    return f"{day.year:04d}-{day.month:02d}"


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    return first + timedelta(days=offset + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = date(year, month, _cal.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


@lru_cache(maxsize=64)
def holidays(year: int) -> frozenset[date]:
    """US federal holidays most MSPs close for (observed on the nearest weekday)."""
    fixed = [date(year, 1, 1), date(year, 6, 19), date(year, 7, 4), date(year, 11, 11), date(year, 12, 25)]
    observed = set()
    for d in fixed:
        if d.weekday() == 5:
            d -= timedelta(days=1)
        elif d.weekday() == 6:
            d += timedelta(days=1)
        observed.add(d)
    observed |= {
        _nth_weekday(year, 1, 0, 3),  # Martin Luther King Jr. Day
        _nth_weekday(year, 2, 0, 3),  # Presidents' Day
        _last_weekday(year, 5, 0),  # Memorial Day
        _nth_weekday(year, 9, 0, 1),  # Labor Day
        _nth_weekday(year, 10, 0, 2),  # Columbus Day
        _nth_weekday(year, 11, 3, 4),  # Thanksgiving
    }
    return frozenset(observed)


def is_holiday(day: date) -> bool:
    return day in holidays(day.year)


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and not is_holiday(day)


def patch_tuesday(year: int, month: int) -> date:
    """Microsoft's monthly update day: the second Tuesday."""
    return _nth_weekday(year, month, 1, 2)


def ticket_day_weight(day: date) -> float:
    """Relative ticket volume of a day (1.0 = an ordinary Tuesday-Friday)."""
    if is_holiday(day):
        return 0.1
    if day.weekday() >= 5:
        return 0.12
    weight = 1.0
    if day.weekday() == 0:
        weight *= 1.35
    pt = patch_tuesday(day.year, day.month)
    if day in (pt, pt + timedelta(days=1)):
        weight *= 1.25
    previous = day - timedelta(days=1)
    while previous.weekday() >= 5 or is_holiday(previous):
        if is_holiday(previous):
            weight *= 1.3  # first day back: password resets and lockouts
            break
        previous -= timedelta(days=1)
    return weight


MONTH_FACTOR = {
    1: 1.15,
    2: 1.0,
    3: 1.02,
    4: 1.0,
    5: 0.98,
    6: 0.95,
    7: 0.92,
    8: 0.93,
    9: 1.05,
    10: 1.02,
    11: 0.97,
    12: 0.88,
}
"""January (new-year changes, onboarding waves) is busiest; summer and December are quieter."""

HOUR_WEIGHTS = (
    0.2,
    0.2,
    0.15,
    0.15,
    0.15,
    0.2,
    0.4,
    1.2,
    2.6,
    2.4,
    2.0,
    1.6,
    1.1,
    1.6,
    1.6,
    1.4,
    1.2,
    0.7,
    0.4,
    0.3,
    0.3,
    0.25,
    0.2,
    0.2,
)
"""Local hour-of-day shape: most calls in business hours, the majority in the morning."""

MONDAY_HOUR_BOOST = {7: 1.5, 8: 1.8, 9: 1.6, 10: 1.3}


def local_to_utc(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A local wall-clock time on ``day`` as an aware UTC datetime."""
    local = datetime.combine(day, time(hour, minute, second), tzinfo=LOCAL_TZ)
    return local.astimezone(UTC)


def utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def add_business_hours(start: datetime, hours: float) -> datetime:
    """``start`` plus working hours (8:00-17:00 local, business days), as SLA clocks count them."""
    local = start.astimezone(LOCAL_TZ)
    remaining = timedelta(hours=hours)
    while True:
        day = local.date()
        open_at = datetime.combine(day, time(BUSINESS_START_HOUR), tzinfo=LOCAL_TZ)
        close_at = datetime.combine(day, time(BUSINESS_END_HOUR), tzinfo=LOCAL_TZ)
        if not is_business_day(day) or local >= close_at:
            local = datetime.combine(day + timedelta(days=1), time(BUSINESS_START_HOUR), tzinfo=LOCAL_TZ)
            continue
        local = max(local, open_at)
        if local + remaining <= close_at:
            return (local + remaining).astimezone(UTC)
        remaining -= close_at - local
        local = datetime.combine(day + timedelta(days=1), time(BUSINESS_START_HOUR), tzinfo=LOCAL_TZ)
