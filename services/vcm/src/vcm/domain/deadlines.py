"""Notice deadlines and renewal reminders: the dates a procurement team must not miss.

The notice deadline is the end of the running term less the notice period (for an auto-renewing
contract, the last day to opt out). Periods are read as the contract states them: days are
calendar days, months calendar months (31 May less three months is 28 February, 29 in a leap
year), business days weekdays (public holidays not excluded, see ``calendar``). An evergreen
contract whose deadline has passed has renewed: its term rolls forward by the renewal term until
the deadline is today or later, so there is always a next deadline to warn of.

Reminders fire at fixed offsets before the deadline (120, 90, 60, 30 and 7 days by default), each
once per deadline. A contract registered late (say 20 days before its deadline) gets only the
tightest reminder it is inside (the 30-day one), not the 120/90/60 ones in a burst.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from vcm.domain.calendar import minus_period, plus_period

DEFAULT_OFFSETS = (120, 90, 60, 30, 7)


@dataclass(frozen=True, slots=True)
class Period:
    value: int
    unit: str
    """"days", "weeks", "months", "years" or "workdays" (business days, notice periods only)."""


@dataclass(frozen=True, slots=True)
class RenewalTerms:
    expiration_date: date | None
    """End of the initial term; None for a perpetual contract or when the document does not say."""
    auto_renew: bool
    renewal_term: Period | None
    notice_period: Period | None


@dataclass(frozen=True, slots=True)
class Deadline:
    term_end: date
    """Last day of the running term (the renewal starts the day after)."""
    notice_deadline: date
    renewals: int
    """Terms rolled forward past the initial one (evergreen)."""


def notice_deadline(term_end: date, notice: Period) -> date:
    return minus_period(term_end, notice.value, notice.unit)


def next_term_end(term_end: date, renewal: Period) -> date:
    """End of the renewal term starting the day after ``term_end`` (a term starting on the 31st and
    running one month ends on the 30th, or on the last day of February)."""
    start = term_end + timedelta(days=1)
    anniversary = plus_period(start, renewal.value, renewal.unit)
    if renewal.unit in ("months", "years") and anniversary.day < start.day:
        return anniversary
    return anniversary - timedelta(days=1)


def current_deadline(terms: RenewalTerms, today: date) -> Deadline | None:
    """The next notice deadline on or after ``today``, rolling an evergreen term forward; None when
    there is no deadline to act on (no end date, no notice period, or a fixed term whose deadline
    has passed)."""
    if terms.expiration_date is None or terms.notice_period is None:
        return None
    end = terms.expiration_date
    deadline = notice_deadline(end, terms.notice_period)
    renewals = 0
    while deadline < today and terms.auto_renew and terms.renewal_term is not None:
        end = next_term_end(end, terms.renewal_term)
        deadline = notice_deadline(end, terms.notice_period)
        renewals += 1
    if deadline < today:
        return None
    return Deadline(end, deadline, renewals)


def term_end_on(expiration: date, auto_renew: bool, renewal: Period | None, today: date) -> date:
    """End of the term running on ``today`` (the initial term's end once a fixed term is over)."""
    end = expiration
    while end < today and auto_renew and renewal is not None:
        end = next_term_end(end, renewal)
    return end


def reminders_due(
    deadline: date, today: date, sent: frozenset[int], offsets: tuple[int, ...] = DEFAULT_OFFSETS
) -> list[int]:
    """The reminder offsets to publish today: at most one, the tightest window ``today`` is in, and
    never one already sent for this deadline; the wider ones it passes are due no more."""
    days_left = (deadline - today).days
    if days_left < 0:
        return []
    inside = sorted(o for o in offsets if days_left <= o)
    if not inside:
        return []
    tightest = inside[0]
    return [] if tightest in sent else [tightest]


def skipped_by(offset: int, offsets: tuple[int, ...] = DEFAULT_OFFSETS) -> list[int]:
    """The wider reminders that no longer fire once ``offset`` has (recorded so they never do)."""
    return sorted((o for o in offsets if o > offset), reverse=True)
