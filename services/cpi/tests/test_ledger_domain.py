"""The ledger's formulas on small cases, every expectation worked out by hand in the comments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cpi.domain.alerts import Policy, band_of, drivers, judge, trailing_mean
from cpi.domain.costing import (
    RateInput,
    first_difference,
    labour_cost,
    normalise_rates,
    per_month,
    rate_on,
    split_over_months,
)
from cpi.domain.ledger import MonthLines, efficiency_index, figures, write_down, write_down_entries
from cpi.domain.months import add_months, last_closed_month, months_between
from cpi.domain.quality import quality

D = Decimal
POLICY = Policy()


def rate(start: date, cost: str, end: date | None = None, currency: str = "USD") -> RateInput:
    return RateInput(start, end, D(cost), currency)


def month(fee: str, labour: str, hours: str = "10", **more: str) -> MonthLines:
    return MonthLines(
        revenue_fee=D(fee), cost_labour=D(labour), labour_hours=D(hours), **{k: D(v) for k, v in more.items()}
    )  # type: ignore[arg-type]


# -- costing ---------------------------------------------------------------------------------------


def test_labour_cost_is_hours_times_rate_times_multiplier() -> None:
    # 1.5 h x 80 x 1.5 (overtime) = 180; 2 h x 47.333 = 94.666 -> 4 decimals: 94.6660
    assert labour_cost(D("1.5"), D(80), D("1.5")) == D("180.0000")
    assert labour_cost(D(2), D("47.333")) == D("94.6660")
    assert labour_cost(D(3), D(50), D(0)) == 0  # a 0 multiplier means no labour cost (CW)


def test_the_rate_in_force_on_the_work_date_applies() -> None:
    periods = normalise_rates([rate(date(2026, 1, 15), "80"), rate(date(2025, 1, 1), "50")])
    # 50 from 2025-01-01 to 2026-01-14, then 80 (a later start ends the earlier rate the day before)
    assert rate_on(periods, date(2026, 1, 14)).hourly_cost == 50  # type: ignore[union-attr]
    assert rate_on(periods, date(2026, 1, 15)).hourly_cost == 80  # type: ignore[union-attr]
    assert rate_on(periods, date(2024, 12, 31)) is None  # before any rate: uncosted


def test_an_effective_dated_change_recosts_only_from_its_date() -> None:
    old = normalise_rates([rate(date(2025, 1, 1), "50")])
    new = normalise_rates([rate(date(2025, 1, 1), "50"), rate(date(2026, 1, 15), "80")])
    assert first_difference(old, new) == date(2026, 1, 15)
    assert first_difference(old, old) is None
    # a rate ended early leaves a gap from the day after its end
    gap = normalise_rates([rate(date(2025, 1, 1), "50", end=date(2025, 12, 31))])
    assert first_difference(old, gap) == date(2026, 1, 1)


def test_rates_with_the_same_start_do_not_depend_on_list_order() -> None:
    a, b = rate(date(2025, 1, 1), "50"), rate(date(2025, 1, 1), "55")
    assert normalise_rates([a, b]) == normalise_rates([b, a])


def test_cycle_amounts_are_monthly_and_period_lines_split_in_cents() -> None:
    assert per_month(D(3000), "quarterly") == D(1000)  # 3000 / 3
    assert per_month(D(1200), "annual") == D(100)  # 1200 / 12
    assert per_month(D(500), "one_time") is None
    # 100 over 3 months: 33.33 + 33.33 + 33.34 (remainder in the last month)
    assert split_over_months(D(100), 3) == [D("33.33"), D("33.33"), D("33.34")]


# -- month figures -----------------------------------------------------------------------------


def test_profit_margin_effective_and_contribution_rate() -> None:
    lines = MonthLines(
        revenue_fee=D(3000),
        cost_addition=D(700),
        cost_labour=D(1100),
        labour_hours=D(20),
        prepaid_hours=D("7.5"),
    )
    f = figures(lines, D(60), hours_included=D(10))
    # profit = 3000 - (700 + 1100) = 1200; margin = 1200 / 3000 = 40 %
    assert (f.profit, f.gross_margin_pct) == (D(1200), D(40))
    # effective rate = (3000 - 700) / 20 = 115 (MSPCFO's example); contribution = 1200 / 20 = 60
    assert (f.effective_rate, f.contribution_rate) == (D(115), D(60))
    # prepaid burn: 7.5 of 10 included hours = 75 %
    assert (f.hours_used, f.burn_pct) == (D("7.5"), D(75))
    # efficiency index = 0.40 + (1 - 0.60) = 0.80
    assert f.efficiency_index == D("0.8000")


def test_no_revenue_and_no_hours_give_no_ratio_rather_than_zero() -> None:
    f = figures(MonthLines(cost_labour=D(100)), D(60))
    assert (f.gross_margin_pct, f.effective_rate, f.efficiency_index, f.burn_pct) == (None, None, None, None)


def test_efficiency_index_is_one_on_target() -> None:
    assert efficiency_index(D(60), D(60)) == 1  # 0.60 + 0.40
    assert efficiency_index(D("45.5"), D(60)) == D("0.8550")  # 0.455 + 0.40


def test_fixed_fee_write_down_scales_each_entry_by_its_share() -> None:
    # CW's example: cap 500, 2 h at 100 (200) + 4 h at 150 (600) = 800 of time value
    # each entry x 500/800: 200 -> 125, 600 -> 375; written rate 500 / 6 h = 83.33
    assert write_down_entries([D(200), D(600)], D(500)) == [D(125), D(375)]
    w = write_down(D(800), D(500), D(6))
    assert (w.written_value, w.write_down) == (D(500), D(300))
    assert (w.effective_rate_raw, w.effective_rate_written) == (D("133.33"), D("83.33"))
    # under the cap nothing is written down
    assert write_down_entries([D(100), D(50)], D(500)) == [D(100), D(50)]


def test_write_down_rounding_keeps_the_cap_exact() -> None:
    # 3 x 100 capped at 100: 33.33 each, the remainder 0.01 on the first of the largest
    parts = write_down_entries([D(100), D(100), D(100)], D(100))
    assert parts == [D("33.34"), D("33.33"), D("33.33")] and sum(parts) == 100


def test_data_quality_counters_are_reported_never_zeroed() -> None:
    dq = quality(MonthLines(uncosted_hours=D("2.5"), currency_mismatches=1))
    assert not dq.clean
    assert dq.warnings() == [
        "2.5 h have no cost rate on their work date: labour cost is understated",
        "1 facts in another currency were left out (never converted)",
    ]


# -- bands, triggers, drivers ------------------------------------------------------------------


def test_bands() -> None:
    got = [band_of(D(m), POLICY) for m in ("60", "59.99", "40", "39.99", "20", "19.99", "-5")]
    assert got == ["strong", "healthy", "healthy", "thin", "thin", "critical", "critical"]


def test_trailing_mean_leaves_out_months_without_revenue() -> None:
    assert trailing_mean([D(50), None, D(41)]) == D("45.50")  # (50 + 41) / 2
    assert trailing_mean([None]) is None


def test_drivers_are_ordered_by_their_effect_on_profit() -> None:
    before = month("1000", "300", hours="6", cost_licence="100")
    after = month("1100", "700", hours="14", cost_licence="150", leakage="60")
    got = [(d.line, d.change) for d in drivers(after, before)]
    # labour cost +400 -> -400; fee +100 -> +100; leakage +60 -> -60; licence cost +50 -> -50
    assert got == [
        ("labour_cost", D(-400)),
        ("agreement_fee", D(100)),
        ("other", D(-60)),
        ("licence_cost", D(-50)),
    ]
    assert drivers(after, before)[0].detail == "labour cost 300.00 -> 700.00 (6.00 h -> 14.00 h)"


def test_a_band_crossing_triggers() -> None:
    # previous 1000 - 300 = 70 % (strong); now 1000 - 650 = 35 % (thin): crossed
    j = judge("2026-02", month("1000", "650"), [month("1000", "300")], None, POLICY)
    assert j is not None and (j.publish, j.trigger, j.band, j.previous_band) == (
        True,
        "band_crossed",
        "thin",
        "strong",
    )
    assert (j.direction, j.previous_margin_pct) == ("down", D(70))


def test_the_trailing_mean_triggers_within_a_band() -> None:
    # history 80, 78, 79 % (mean 79); now 61 %: still strong, but 18 points below the mean (> 10)
    history = [month("1000", "200"), month("1000", "220"), month("1000", "210")]
    j = judge("2026-04", month("1000", "390"), history, None, POLICY)
    assert j is not None and (j.trigger, j.band, j.trailing_mean_pct) == ("trailing_mean", "strong", D(79))
    # 72 %: 7 points from the mean, same band: no news
    quiet = judge("2026-04", month("1000", "280"), history, None, POLICY)
    assert quiet is not None and not quiet.publish


def test_a_first_month_is_not_news_and_a_month_without_revenue_is_not_judged() -> None:
    first = judge("2026-01", month("1000", "900"), [], None, POLICY)
    assert first is not None and not first.publish and first.band == "critical"
    assert judge("2026-01", MonthLines(cost_labour=D(10)), [], None, POLICY) is None


def test_a_rejudged_month_is_published_only_when_its_band_changes() -> None:
    now = month("1000", "650")  # 35 % thin
    assert not judge("2026-02", now, [month("1000", "300")], "thin", POLICY).publish  # type: ignore[union-attr]
    again = judge("2026-02", now, [month("1000", "300")], "healthy", POLICY)
    assert again is not None and (again.publish, again.trigger) == (True, "rejudged")


def test_problem_client_after_two_months_below_20_percent() -> None:
    # previous 1000 - 850 = 15 %, now 1000 - 900 = 10 %: both critical -> problem client
    j = judge("2026-03", month("1000", "900"), [month("1000", "850")], None, POLICY)
    assert j is not None and j.problem_client
    # one month below 20 % is not enough
    k = judge("2026-03", month("1000", "900"), [month("1000", "700")], None, POLICY)
    assert k is not None and not k.problem_client


def test_a_month_closes_after_its_end_plus_the_grace_days() -> None:
    # grace 5: February closes on 1 March + 5 days = 6 March
    assert last_closed_month(date(2026, 3, 5), 5) == "2026-01"
    assert last_closed_month(date(2026, 3, 6), 5) == "2026-02"
    assert add_months("2026-01", -1) == "2025-12" and list(months_between("2025-11", "2026-01")) == [
        "2025-11",
        "2025-12",
        "2026-01",
    ]
