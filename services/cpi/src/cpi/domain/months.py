"""Calendar months as ``YYYY-MM`` strings: they sort, compare and key tables the same everywhere."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def month_of(day: date | datetime) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def parse_month(text: str) -> tuple[int, int]:
    """``'2026-03'`` → ``(2026, 3)``; anything else raises ``ValueError`` naming the expected form."""
    match = MONTH_RE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a month: use YYYY-MM, e.g. 2026-03")
    return int(match.group(1)), int(match.group(2))


def first_day(month: str) -> date:
    year, number = parse_month(month)
    return date(year, number, 1)


def last_day(month: str) -> date:
    year, number = parse_month(month)
    return date(year, number, calendar.monthrange(year, number)[1])


def add_months(month: str, n: int) -> str:
    year, number = parse_month(month)
    index = year * 12 + (number - 1) + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_between(start: str, end: str) -> Iterator[str]:
    """Every month from ``start`` to ``end``, both included (nothing when start > end)."""
    month = start
    while month <= end:
        yield month
        month = add_months(month, 1)


def month_count(start: date, end: date) -> int:
    """Months touched by the days ``start``..``end`` (a period inside one month touches 1)."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


def last_closed_month(today: date, grace_days: int) -> str:
    """The latest month M whose books are closed on ``today``: the first day after M plus
    ``grace_days`` has been reached (grace for late invoices and time entries)."""
    return add_months(month_of(today - timedelta(days=grace_days)), -1)
