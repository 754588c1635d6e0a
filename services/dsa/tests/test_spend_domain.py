"""Budget against actual on hand-worked months (no database, no broker).

November 2026 has 30 days, so at midnight on the 16th exactly half of it has elapsed: a plan of
3,000 expects 1,500 by then. Q4 2026 has 92 days: 9,200 spread over it is 100 a day, so October
(31 days) plans 3,100, November 3,000 and December 3,100.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from msp_events.money import Money

from dsa.domain.budgets import BudgetVersion
from dsa.domain.spend import SpendLine, budget_status, elapsed_share, month_lines, period_forecast, planned_in

MID_NOVEMBER = datetime(2026, 11, 16, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def november(**changes: object) -> BudgetVersion:
    base = BudgetVersion(
        budget_id="B-2026-11-SD-SW",
        department="Service Delivery",
        category="Software",
        cost_center=None,
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        planned=usd("3000"),
        alert_threshold_pct=None,
        as_of=datetime(2026, 10, 20, tzinfo=UTC),
        digest="a" * 64,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def spend(line_id: str, day: date, amount: str, **changes: str) -> SpendLine:
    fields = {"department": "Service Delivery", "category": "Software", "vendor": "Microsoft"} | changes
    return SpendLine(line_id=line_id, day=day, amount=usd(amount), **fields)


NOVEMBER_SPEND = [
    spend("E1", date(2026, 11, 3), "1200"),
    spend("E2", date(2026, 11, 10), "600", vendor="Adobe"),
    spend("E3", date(2026, 11, 16), "400"),  # booked on the 16th: not yet spent at its midnight
    spend("E4", date(2026, 11, 5), "999", department="Sales"),
    spend("E5", date(2026, 11, 6), "777", category="Travel"),
    spend("E6", date(2026, 10, 31), "555"),  # before the period
]


def test_half_a_month_elapsed_expects_half_the_plan() -> None:
    status = budget_status(november(), NOVEMBER_SPEND, MID_NOVEMBER)
    assert status.elapsed_share == Decimal("0.5")
    assert status.actual == usd("1800")
    assert status.expected_to_date == usd("1500")
    assert status.achievement == Decimal("1.2")
    assert status.variance == usd("300")
    assert status.remaining == usd("1200")
    assert status.by_vendor == {"Adobe": usd("600"), "Microsoft": usd("1200")}
    assert status.by_category == {"Software": usd("1800")}


def test_the_run_rate_forecast_alerts_before_actual_spend_crosses() -> None:
    status = budget_status(november(), NOVEMBER_SPEND, MID_NOVEMBER)
    assert status.forecast == usd("3600")  # 1,800 in half the month
    assert [(a.threshold_pct, a.basis, a.limit) for a in status.alerts] == [
        (Decimal(80), "forecast", usd("2400")),
        (Decimal(100), "forecast", usd("3000")),
    ]


def test_actual_spend_past_80_percent_alerts_on_actual_and_100_on_forecast() -> None:
    lines = [*NOVEMBER_SPEND, spend("E7", date(2026, 11, 15), "700")]  # 2,500 by the 16th
    status = budget_status(november(), lines, MID_NOVEMBER)
    assert [(a.threshold_pct, a.basis, a.spend) for a in status.alerts] == [
        (Decimal(80), "actual", usd("2500")),
        (Decimal(100), "forecast", usd("5000")),
    ]


def test_a_given_forecast_replaces_the_run_rate_but_never_undercuts_actual() -> None:
    calm = budget_status(november(), NOVEMBER_SPEND, MID_NOVEMBER, forecast=usd("2300"))
    assert calm.forecast == usd("2300") and calm.alerts == ()
    below_actual = budget_status(november(), NOVEMBER_SPEND, MID_NOVEMBER, forecast=usd("1000"))
    assert below_actual.forecast == usd("1800")


def test_a_budget_revised_mid_period_replaces_the_plan_for_the_whole_period() -> None:
    revised = november(planned=usd("4000"), as_of=datetime(2026, 11, 10, tzinfo=UTC))
    status = budget_status(revised, NOVEMBER_SPEND, MID_NOVEMBER)
    assert status.expected_to_date == usd("2000")
    assert status.achievement == Decimal("0.9")
    assert status.variance == usd("-200")
    # 3,600 forecast >= 3,200 (80 % of 4,000) but < 4,000
    assert [(a.threshold_pct, a.basis) for a in status.alerts] == [(Decimal(80), "forecast")]


def test_the_lines_own_threshold_replaces_the_80_percent_default() -> None:
    status = budget_status(november(alert_threshold_pct=Decimal(125)), NOVEMBER_SPEND, MID_NOVEMBER)
    assert [a.threshold_pct for a in status.alerts] == [Decimal(100)]  # 100 % stays; 3,600 < 3,750
    status = budget_status(november(alert_threshold_pct=Decimal(90)), NOVEMBER_SPEND, MID_NOVEMBER)
    assert [(a.threshold_pct, a.basis) for a in status.alerts] == [
        (Decimal(90), "forecast"),
        (Decimal(100), "forecast"),
    ]


def test_before_the_period_nothing_is_expected_and_after_it_everything_is() -> None:
    early = budget_status(november(), NOVEMBER_SPEND, datetime(2026, 10, 15, tzinfo=UTC))
    assert (early.elapsed_share, early.achievement, early.actual) == (Decimal(0), None, usd("0"))
    late = budget_status(november(), NOVEMBER_SPEND, datetime(2027, 1, 5, tzinfo=UTC))
    assert late.elapsed_share == Decimal(1)
    assert late.actual == usd("2200") and late.achievement == Decimal("2200") / Decimal("3000")


def test_refunds_reduce_spend_and_other_currencies_are_not_mixed_in() -> None:
    lines = [
        *NOVEMBER_SPEND,
        spend("R1", date(2026, 11, 4), "-300"),
        replace(spend("X1", date(2026, 11, 4), "0"), amount=Money(amount=Decimal(1), currency="EUR")),
    ]
    assert budget_status(november(), lines, MID_NOVEMBER).actual == usd("1500")


def test_a_department_wide_budget_counts_every_category() -> None:
    status = budget_status(november(category=None), NOVEMBER_SPEND, MID_NOVEMBER)
    assert status.actual == usd("2577")
    assert status.by_category == {"Software": usd("1800"), "Travel": usd("777")}


def test_elapsed_share_counts_seconds_of_whole_days() -> None:
    assert elapsed_share(date(2026, 11, 1), date(2026, 11, 30), datetime(2026, 11, 1, 12, tzinfo=UTC)) == (
        Decimal(1) / Decimal(60)
    )


def test_a_quarter_is_spread_over_its_months_by_days() -> None:
    quarter = november(period_start=date(2026, 10, 1), period_end=date(2026, 12, 31), planned=usd("9200"))
    assert [planned_in(quarter, date(2026, m, 1)) for m in (9, 10, 11, 12)] == [0, 3100, 3000, 3100]


def test_the_year_view_has_one_line_per_department_category_and_month() -> None:
    quarter = november(period_start=date(2026, 10, 1), period_end=date(2026, 12, 31), planned=usd("9200"))
    lines = month_lines([quarter], NOVEMBER_SPEND, 2026, MID_NOVEMBER)
    assert [(ln.month.month, ln.planned, ln.actual, ln.expected_to_date) for ln in lines] == [
        (10, usd("3100"), usd("555"), usd("3100")),
        (11, usd("3000"), usd("1800"), usd("1500")),
        (12, usd("3100"), usd("0"), usd("0")),
    ]
    october, _, december = lines
    assert october.variance == usd("-2545") and october.achievement == Decimal(555) / Decimal(3100)
    assert december.achievement is None
    assert month_lines([quarter], NOVEMBER_SPEND, 2027, MID_NOVEMBER) == []


def q4(**changes: object) -> BudgetVersion:
    return november(
        budget_id="B-2026-Q4-SD-SW", period_start=date(2026, 10, 1), period_end=date(2026, 12, 31), **changes
    )


def test_the_forecasters_projection_raises_a_100_pct_alert_the_run_rate_misses() -> None:
    """Q4 planned 9,200 (80 %: 7,360). At midnight on 16 November 4,000 is booked (October 3,000,
    November 1,000) and half the quarter has elapsed: the run rate says 8,000 (80 % only). The
    forecaster expects 3,000 for November and 4,650 for December (a December renewal): 4,000 +
    15/30 x 3,000 + 4,650 = 10,150, over the whole budget."""
    booked = [spend("O1", date(2026, 10, 12), "3000"), spend("N1", date(2026, 11, 9), "1000")]
    run_rate = budget_status(q4(planned=usd("9200")), booked, MID_NOVEMBER)
    assert run_rate.forecast == usd("8000")
    assert [(a.threshold_pct, a.basis) for a in run_rate.alerts] == [(Decimal(80), "forecast")]
    monthly = {date(2026, 11, 1): Decimal(3000), date(2026, 12, 1): Decimal(4650)}
    projected = period_forecast(q4(planned=usd("9200")), booked, MID_NOVEMBER, monthly)
    assert projected == usd("10150")
    status = budget_status(q4(planned=usd("9200")), booked, MID_NOVEMBER, forecast=projected)
    assert [(a.threshold_pct, a.basis, a.spend.amount) for a in status.alerts] == [
        (Decimal(80), "forecast", Decimal(10150)),
        (Decimal(100), "forecast", Decimal(10150)),
    ]


def test_a_one_off_is_not_extrapolated_when_the_forecaster_sees_quiet_months() -> None:
    """A 7,500 October bill: actual crosses 80 % (7,360) by itself; the run rate (7,500 / 0.5 =
    15,000) would cry 100 %, the forecaster (1,000 a month) lands at 7,500 + 500 + 1,000 = 9,000."""
    booked = [spend("O1", date(2026, 10, 2), "7500")]
    monthly = {date(2026, 11, 1): Decimal(1000), date(2026, 12, 1): Decimal(1000)}
    projected = period_forecast(q4(planned=usd("9200")), booked, MID_NOVEMBER, monthly)
    assert projected == usd("9000")
    status = budget_status(q4(planned=usd("9200")), booked, MID_NOVEMBER, forecast=projected)
    assert [(a.threshold_pct, a.basis) for a in status.alerts] == [(Decimal(80), "actual")]
    assert [a.basis for a in budget_status(q4(planned=usd("9200")), booked, MID_NOVEMBER).alerts] == [
        "actual",
        "forecast",
    ]


def test_booked_days_are_not_forecast_twice_and_a_missing_month_gives_no_projection() -> None:
    booked = [spend("N1", date(2026, 11, 16), "300")]
    noon = datetime(2026, 11, 16, 12, tzinfo=UTC)  # the 16th is booked: 14 of 30 days are left
    monthly = {date(2026, 11, 1): Decimal(3000)}
    assert period_forecast(november(), booked, noon, monthly) == usd("1700")  # 300 + 14/30 x 3,000
    assert period_forecast(q4(), booked, noon, monthly) is None  # December has no forecast
