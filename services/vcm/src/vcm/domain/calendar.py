"""Calendar arithmetic for contract terms: months are calendar months, days are calendar days.

"Three months before 31 May" is 28 February (29 in a leap year): a month subtracted from a day
the target month does not have lands on that month's last day, which is how courts and
procurement teams read a notice period stated in months.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def add_months(d: date, months: int) -> date:
    """``d`` plus ``months`` calendar months (negative to go back), the day clamped to the month."""
    index = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(index, 12)
    day = min(d.day, calendar.monthrange(year, month0 + 1)[1])
    return date(year, month0 + 1, day)


def minus_period(d: date, value: int, unit: str) -> date:
    """``d`` less a period as the contract states it ("90 days", "3 months", "1 year", "2 weeks")."""
    if unit == "days":
        return d - timedelta(days=value)
    if unit == "weeks":
        return d - timedelta(weeks=value)
    if unit == "months":
        return add_months(d, -value)
    if unit == "years":
        return add_months(d, -12 * value)
    raise ValueError(f"unknown unit {unit!r}")


def plus_period(d: date, value: int, unit: str) -> date:
    if unit == "days":
        return d + timedelta(days=value)
    if unit == "weeks":
        return d + timedelta(weeks=value)
    if unit == "months":
        return add_months(d, value)
    if unit == "years":
        return add_months(d, 12 * value)
    raise ValueError(f"unknown unit {unit!r}")
