"""Calendar arithmetic for contract terms: months are calendar months, days are calendar days,
business days are Monday to Friday.

"Three months before 31 May" is 28 February (29 in a leap year): a month subtracted from a day
the target month does not have lands on that month's last day, which is how courts and
procurement teams read a notice period stated in months.

"Thirty business days before the end of the term" counts back thirty weekdays from the end (the
end day itself not counted), so the deadline is always a weekday. Public holidays are NOT
excluded: they differ by jurisdiction and year and VCM has no calendar of them, so a period that
spans a holiday gives a deadline one day per holiday later than the contract's own reckoning
(the reminders, 7 days before at the latest, leave room; see the README).
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


BUSINESS_DAYS = "workdays"
"""The register's unit for a period in business (working) days."""


def minus_business_days(d: date, value: int) -> date:
    """The ``value``-th weekday before ``d`` (Friday 5 June less 5 business days is Friday 29 May)."""
    for _ in range(value):
        d -= timedelta(days=1)
        while d.weekday() >= 5:  # Saturday, Sunday
            d -= timedelta(days=1)
    return d


def minus_period(d: date, value: int, unit: str) -> date:
    """``d`` less a period as the contract states it ("90 days", "3 months", "1 year", "2 weeks",
    "30 business days")."""
    if unit == BUSINESS_DAYS:
        return minus_business_days(d, value)
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
