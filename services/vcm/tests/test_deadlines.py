"""Notice deadlines on hand-worked calendars, reminders, and the approval state machine."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from vcm.domain.calendar import BUSINESS_DAYS
from vcm.domain.deadlines import (
    Deadline,
    Period,
    RenewalTerms,
    current_deadline,
    next_term_end,
    notice_deadline,
    reminders_due,
    skipped_by,
)
from vcm.domain.register import (
    IllegalTransition,
    approve,
    reject,
    roles_for,
    state_after_correction,
    status,
    terminate,
)

DAYS_90 = Period(90, "days")
MONTHS_3 = Period(3, "months")
YEAR = Period(12, "months")


@pytest.mark.parametrize(
    ("term_end", "notice", "deadline"),
    [
        (date(2026, 3, 31), Period(30, "days"), date(2026, 3, 1)),  # 31 March less 30 days
        (date(2026, 3, 31), DAYS_90, date(2025, 12, 31)),  # across the year end
        (date(2026, 5, 31), MONTHS_3, date(2026, 2, 28)),  # no 31 February: the month's last day
        (date(2028, 5, 31), MONTHS_3, date(2028, 2, 29)),  # leap year
        (date(2024, 2, 29), Period(1, "years"), date(2023, 2, 28)),  # a leap day less a year
        (date(2028, 3, 30), Period(30, "days"), date(2028, 2, 29)),  # days count the leap day
        (date(2027, 3, 30), Period(30, "days"), date(2027, 2, 28)),
        (date(2026, 1, 15), Period(2, "weeks"), date(2026, 1, 1)),
    ],
)
def test_notice_deadline_is_the_end_less_the_period_as_stated(
    term_end: date, notice: Period, deadline: date
) -> None:
    assert notice_deadline(term_end, notice) == deadline


@pytest.mark.parametrize(
    ("term_end", "business_days", "deadline"),
    [
        # Sunday 28 Feb 2027 less 30 business days: Fri 26 .. Mon 22 Feb (5), 19-15 (10), 12-8 (15),
        # 5-1 Feb (20), 29-25 Jan (25), Fri 22 .. Mon 18 Jan (30); 30 calendar days would be 29 Jan
        (date(2027, 2, 28), 30, date(2027, 1, 18)),
        (date(2026, 6, 5), 5, date(2026, 5, 29)),  # a Friday less a working week: the Friday before
        (date(2026, 6, 6), 1, date(2026, 6, 5)),  # a Saturday less one: the Friday
        (date(2026, 6, 8), 1, date(2026, 6, 5)),  # a Monday less one: the Friday, over the weekend
        # Monday 4 Jan 2027 less 3: Fri 1 Jan (a public holiday, counted: holidays are not known),
        # Thu 31 Dec, Wed 30 Dec
        (date(2027, 1, 4), 3, date(2026, 12, 30)),
    ],
)
def test_business_days_count_back_weekdays_only(term_end: date, business_days: int, deadline: date) -> None:
    assert notice_deadline(term_end, Period(business_days, BUSINESS_DAYS)) == deadline
    assert deadline.weekday() < 5


def test_an_evergreen_term_in_business_days_rolls_forward() -> None:
    terms = RenewalTerms(date(2027, 2, 28), True, Period(1, "years"), Period(30, BUSINESS_DAYS))
    assert current_deadline(terms, date(2027, 1, 18)) == Deadline(date(2027, 2, 28), date(2027, 1, 18), 0)
    # a day late: the next term ends Tue 29 Feb 2028; 30 weekdays back is Tue 18 Jan 2028
    assert current_deadline(terms, date(2027, 1, 19)) == Deadline(date(2028, 2, 29), date(2028, 1, 18), 1)


@pytest.mark.parametrize(
    ("end", "renewal", "next_end"),
    [
        (date(2025, 12, 31), YEAR, date(2026, 12, 31)),
        (date(2024, 1, 31), Period(1, "months"), date(2024, 2, 29)),  # starts 1 Feb, leap February
        (date(2024, 2, 29), Period(1, "months"), date(2024, 3, 31)),  # starts 1 March
        (date(2025, 1, 30), Period(1, "months"), date(2025, 2, 28)),  # starts 31 Jan: no 31 Feb
        (date(2027, 2, 28), Period(1, "years"), date(2028, 2, 29)),  # starts 1 March 2027, ends before it
    ],
)
def test_next_term_end(end: date, renewal: Period, next_end: date) -> None:
    assert next_term_end(end, renewal) == next_end


def test_evergreen_rolls_forward_past_a_missed_deadline() -> None:
    terms = RenewalTerms(date(2025, 12, 31), True, YEAR, Period(60, "days"))
    assert current_deadline(terms, date(2025, 11, 1)) == Deadline(date(2025, 12, 31), date(2025, 11, 1), 0)
    # one day late: the contract has renewed; the next deadline is a year on
    assert current_deadline(terms, date(2025, 11, 2)) == Deadline(date(2026, 12, 31), date(2026, 11, 1), 1)
    assert current_deadline(terms, date(2028, 6, 1)) == Deadline(date(2028, 12, 31), date(2028, 11, 1), 3)


def test_month_to_month_rolls_through_month_ends() -> None:
    terms = RenewalTerms(date(2024, 1, 31), True, Period(1, "months"), Period(7, "days"))
    assert current_deadline(terms, date(2024, 2, 20)) == Deadline(date(2024, 2, 29), date(2024, 2, 22), 1)
    assert current_deadline(terms, date(2024, 2, 25)) == Deadline(date(2024, 3, 31), date(2024, 3, 24), 2)


def test_a_fixed_term_past_its_deadline_has_none_and_a_contract_without_notice_has_none() -> None:
    assert current_deadline(RenewalTerms(date(2025, 12, 31), False, None, DAYS_90), date(2025, 10, 3)) is None
    assert current_deadline(RenewalTerms(date(2025, 12, 31), True, YEAR, None), date(2025, 1, 1)) is None
    assert current_deadline(RenewalTerms(None, True, YEAR, DAYS_90), date(2025, 1, 1)) is None


def test_each_reminder_window_fires_once_and_a_late_registration_gets_only_the_tightest() -> None:
    deadline = date(2026, 6, 30)
    assert reminders_due(deadline, date(2026, 3, 1), frozenset()) == []  # 121 days before
    assert reminders_due(deadline, date(2026, 3, 2), frozenset()) == [120]
    assert reminders_due(deadline, date(2026, 3, 3), frozenset({120})) == []
    assert reminders_due(deadline, date(2026, 6, 10), frozenset()) == [30]  # registered 20 days before
    assert skipped_by(30) == [120, 90, 60]
    assert reminders_due(deadline, date(2026, 6, 23), frozenset({120, 90, 60, 30})) == [7]
    assert reminders_due(deadline, date(2026, 6, 30), frozenset({120, 90, 60, 30, 7})) == []
    assert reminders_due(deadline, date(2026, 7, 1), frozenset()) == []  # past the deadline
    assert reminders_due(deadline, date(2026, 6, 16), frozenset(), (14, 3)) == [14]  # configurable


# --------------------------------------------------------------------------- approval


def test_approvers_by_value_threshold() -> None:
    assert roles_for(Decimal("9000")) == ("finance", "owner")
    assert roles_for(Decimal("10000")) == ("finance", "owner")
    assert roles_for(Decimal("10000.01")) == ("owner",)
    assert roles_for(None) == ("owner",)


def test_the_approval_state_machine() -> None:
    assert approve("pending_approval", [], ("finance",), ("finance", "owner")) == "approved"
    with pytest.raises(PermissionError, match="owner"):
        approve("pending_approval", [], ("finance",), ("owner",))
    with pytest.raises(IllegalTransition, match="notice_period"):
        approve("draft", ["notice_period"], ("owner",), ("owner",))
    with pytest.raises(IllegalTransition):
        approve("approved", [], ("owner",), ("owner",))
    assert reject("pending_approval") == "rejected"
    with pytest.raises(IllegalTransition):
        reject("approved")
    assert state_after_correction("rejected", []) == "pending_approval"
    assert state_after_correction("draft", ["parties"]) == "draft"
    assert state_after_correction("approved", []) == "approved"
    with pytest.raises(IllegalTransition):
        state_after_correction("terminated", [])


def test_termination_from_live_states_only_and_not_before_the_start() -> None:
    start = date(2026, 3, 1)
    for state in ("draft", "pending_approval", "approved"):
        assert terminate(state, start, date(2026, 6, 30)) == "terminated"
    assert terminate("approved", None, date(2020, 1, 1)) == "terminated"  # no start known: any date
    assert terminate("approved", start, start) == "terminated"  # the first day is allowed
    with pytest.raises(IllegalTransition, match="already terminated"):
        terminate("terminated", start, date(2026, 6, 30))
    with pytest.raises(IllegalTransition, match="never in force"):
        terminate("rejected", start, date(2026, 6, 30))
    with pytest.raises(ValueError, match="before the contract starts"):
        terminate("approved", start, date(2026, 2, 28))
    with pytest.raises(IllegalTransition):
        approve("terminated", [], ("owner",), ("owner",))


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2025, 12, 31), "pending_start"),
        (date(2026, 1, 1), "active"),
        (date(2026, 12, 31), "active"),
        (date(2027, 1, 1), "renewed"),
    ],
)
def test_status_follows_the_dates_once_approved(today: date, expected: str) -> None:
    assert status("approved", date(2026, 1, 1), date(2026, 12, 31), False, True, YEAR, today) == expected
    assert status("approved", date(2026, 1, 1), date(2026, 12, 31), False, False, None, date(2027, 1, 1)) == (
        "expired"
    )
    assert status("pending_approval", date(2026, 1, 1), None, False, False, None, today) == "pending_approval"
