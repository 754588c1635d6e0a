"""Utilisation arithmetic on hand-worked weeks, the bands, and which changes raise an alert."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ram.domain.utilisation import Bands, Entry, closed_periods, measure, period_of, transitions, working_days

MON = date(2026, 11, 2)


def day(n: int) -> date:
    return date.fromordinal(MON.toordinal() + n)


def test_a_hand_worked_week() -> None:
    entries = [
        Entry(day(0), Decimal(8), absence=True, client_work=False),  # PTO Monday
        Entry(day(1), Decimal(6), absence=False, client_work=True, hours_billed=Decimal(6)),
        Entry(day(2), Decimal(7), absence=False, client_work=True, hours_billed=Decimal(0)),  # covered
        Entry(day(3), Decimal("5.5"), absence=False, client_work=True, hours_billed=Decimal("5.5")),
        Entry(day(4), Decimal("1.5"), absence=False, client_work=False),  # admin
        Entry(
            day(5), Decimal(3), absence=False, client_work=True, hours_billed=Decimal(3)
        ),  # Saturday call-out
        Entry(day(7), Decimal(8), absence=False, client_work=True),  # next week: not counted
    ]
    m = measure(Decimal(8), entries, day(0), day(6))
    # 5 working days x 8 h - 8 h PTO = 32 available; client work 6 + 7 + 5.5 + 3 = 21.5
    assert (m.available_hours, m.logged_hours, m.billable_hours, m.billed_hours) == (
        Decimal(32),
        Decimal(23),
        Decimal("21.5"),
        Decimal("14.5"),
    )
    assert m.utilisation_pct == Decimal("67.2")  # 21.5 / 32
    assert m.realisation_pct == Decimal("67.4")  # 14.5 / 21.5
    assert Bands().of(m.utilisation_pct) == "below_target"


@pytest.mark.parametrize(
    ("pct", "band"),
    [
        ("59.9", "under"),
        ("60", "below_target"),
        ("74.9", "below_target"),
        ("75", "target"),
        ("85", "target"),
        ("85.1", "over"),
    ],
)
def test_default_bands(pct: str, band: str) -> None:
    assert Bands().of(Decimal(pct)) == band


def test_bands_are_configurable() -> None:
    assert Bands(Decimal(50), Decimal(70), Decimal(80)).of(Decimal(82)) == "over"


def test_entering_and_leaving_alert_bands() -> None:
    assert transitions(None, "over") == [("entered", "over")]
    assert transitions("target", "target") == []
    assert transitions("over", "over") == []
    assert transitions("over", "target") == [("left", "over")]
    assert transitions("over", "under") == [("left", "over"), ("entered", "under")]
    assert transitions("below_target", "under") == [("entered", "under")]


def test_periods_and_working_days() -> None:
    assert working_days(date(2026, 11, 1), date(2026, 11, 30)) == 21
    assert period_of("week", date(2026, 11, 5)).start == MON
    assert period_of("month", date(2026, 2, 14)).end == date(2026, 2, 28)
    closed = list(closed_periods("week", date(2026, 11, 1), date(2026, 11, 18)))
    assert [p.start for p in closed] == [MON, date(2026, 11, 9)]
    assert [p.label for p in closed_periods("month", None, date(2026, 12, 1))] == ["2026-11"]
